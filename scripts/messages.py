"""The message catalog's upkeep (docs/translating.md), with Babel's catalog, .po and .mo code.

    python scripts/messages.py           (make messages)
        extract every key the code names into centrale/core/locale/centrale.pot, with the files
        that use it; add the keys no .po has yet, with empty texts, to each .po; refresh each
        entry's ``#:`` references and its ``python-brace-format`` flag. Files are written only
        when they change.
    python scripts/messages.py --check   (make messages-check; tests/core/test_translations.py)
        the same without writing: exit 1 if a file would change, if an entry is empty or fuzzy,
        or if the .mo a wheel gets (hatch_build.py) would read otherwise than its .po.

What counts as naming a key: the first argument (a literal, or either branch of ``a if c else
b``) of ``Msg(...)``, ``t(...)``, ``cli_help(...)``, ``Translator(lang)(...)`` and
``translator()(...)``; in the console's templates, ``t("key")``; and anywhere, a string literal
that is already a key of the catalog (``Light("red", "light.outbox_error")``). Keys built at run
time (``t(f"check.{name}")``, ``"job." ~ status``) are not found: their entries have no reference.
The ``.pot`` and the ``#:`` references name files, not lines, so moving code within a file does
not make them stale.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import string
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from centrale.core.i18n_catalog import read_mo  # noqa: E402  (the runtime's reader, which a wheel uses)
from centrale.core.i18n_catalog import read_po as runtime_read_po  # noqa: E402

PACKAGES = ("centrale", "cdc", "applier", "jobs")
TEMPLATES = ROOT / "centrale" / "app" / "console" / "templates"
LOCALE = ROOT / "centrale" / "core" / "locale"
POT = LOCALE / "centrale.pot"
CALLS = {"Msg", "t", "cli_help"}  # f("key", ...)
MAKERS = {"Translator", "translator"}  # Translator(lang)("key", ...), translator()("key", ...)
TEMPLATE_CALL = re.compile(r"""\bt\(\s*["']([a-z_.-]+)["']""")
TEMPLATE_STRING = re.compile(r"""["']([^"'\s]+)["']""")
BRACE = "python-brace-format"


def po_files() -> dict[str, Path]:
    return {p.parents[1].name: p for p in sorted(LOCALE.glob("*/LC_MESSAGES/centrale.po"))}


def known_keys() -> set[str]:
    keys: set[str] = set()
    for path in po_files().values():
        keys |= {key_of(m) for m in read(path) if m.id}
    return keys


def key_of(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, tuple | list) else message.id)


def forms(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(str(f) for f in s) if isinstance(s, tuple | list) else (str(s or ""),)


def has_placeholders(text: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(text))


def _literal_keys(node: ast.expr | None) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literal_keys(node.body)
        yield from _literal_keys(node.orelse)


def _names_key(call: ast.Call) -> bool:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id in CALLS
    return isinstance(f, ast.Call) and isinstance(f.func, ast.Name) and f.func.id in MAKERS


def python_keys(source: str, known: set[str]) -> set[str]:
    """The keys a module names: its translating calls' first arguments, and literals of the catalog."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _names_key(node) and node.args:
            found |= set(_literal_keys(node.args[0]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in known:
            found.add(node.value)
    return found


def template_keys(text: str, known: set[str]) -> set[str]:
    """``t("key")`` (not ``t("job." ~ status)``, a family built at run time) and the catalog's keys."""
    called = {k for k in TEMPLATE_CALL.findall(text) if not k.endswith(".")}
    return called | {s for s in TEMPLATE_STRING.findall(text) if s in known}


def extract(known: set[str] | None = None) -> dict[str, set[str]]:
    """Each key the code names -> the files (relative to the repository) that name it."""
    known = known_keys() if known is None else known
    uses: dict[str, set[str]] = {}
    files: list[tuple[Path, set[str]]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files.append((path, python_keys(path.read_text(), known)))
    for path in sorted(TEMPLATES.glob("*.html")):
        files.append((path, template_keys(path.read_text(), known)))
    for path, keys in files:
        for key in keys:
            uses.setdefault(key, set()).add(path.relative_to(ROOT).as_posix())
    return uses


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:  # Babel judges the flag by the msgid: here a key, never braced
        if message.id and any(has_placeholders(f) for f in forms(message)):
            message.flags.add(BRACE)
    return catalog


def dump(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_lineno=False)
    return out.getvalue()


def new_pot(uses: dict[str, set[str]], old: Catalog | None) -> Catalog:
    pot = Catalog(
        domain="centrale",
        project="Centrale",
        version="messages",
        msgid_bugs_address="the Centrale repository's issues",
        header_comment=(
            "# Every key the code names, and the files that name it: made by `make messages`\n"
            "# (scripts/messages.py), never edited by hand. The texts are in <lang>/LC_MESSAGES/centrale.po."
        ),
        fuzzy=False,
    )
    if old is not None:  # the same keys and files: keep the date, so an unchanged .pot is not rewritten
        pot.creation_date = old.creation_date
    for key in sorted(uses):
        pot.add(key, locations=[(f, 0) for f in sorted(uses[key])])
    return pot


def pot_entries(catalog: Catalog) -> dict[str, list[str]]:
    return {key_of(m): sorted(loc for loc, _ in m.locations) for m in catalog if m.id}


def updated_po(path: Path, uses: dict[str, set[str]]) -> tuple[Catalog, list[str]]:
    """The .po with its references refreshed and the keys it lacks added (empty); and those keys."""
    catalog = read(path)
    for message in catalog:
        if message.id:
            message.locations = [(f, 0) for f in sorted(uses.get(key_of(message), ()))]
    added = sorted(set(uses) - {key_of(m) for m in catalog if m.id})
    for key in added:
        comment = "new | write its texts, then put its part and area here"  # tests/core/po_catalog.py: PARTS
        catalog.add(key, "", locations=[(f, 0) for f in sorted(uses[key])], user_comments=[comment])
    return catalog, added


def incomplete(catalog: Catalog) -> list[str]:
    return [key_of(m) for m in catalog if m.id and (m.fuzzy or not all(forms(m)))]


def compiled_disagrees(path: Path) -> bool:
    """Would the wheel's .mo (Babel's compile, the runtime's reader) say otherwise than the .po?"""
    with tempfile.TemporaryDirectory() as tmp:
        mo = Path(tmp) / "centrale.mo"
        with path.open("rb") as f, mo.open("wb") as out:
            write_mo(out, read_po(f))
        return read_mo(mo) != runtime_read_po(path)


def run(check: bool) -> list[str]:
    """Bring the .pot and the .po files up to the code (or, with ``check``, say what is behind)."""
    problems: list[str] = []
    uses = extract()
    old = read(POT) if POT.exists() else None
    pot = new_pot(uses, old)
    behind = "is behind the code" if check else "written: it was behind the code"
    if old is None or pot_entries(old) != pot_entries(pot):
        problems.append(f"{POT.relative_to(ROOT)} {behind}")
        if not check:
            POT.write_bytes(dump(new_pot(uses, None)))
    for lang, path in po_files().items():
        catalog, added = updated_po(path, uses)
        rel = path.relative_to(ROOT)
        if added:
            problems.append(f"{rel}: new keys, to write the {lang} text of: {', '.join(added)}")
        if dump(catalog) != path.read_bytes():
            problems.append(f"{rel} {behind} (keys, references or flags)")
            if not check:
                path.write_bytes(dump(catalog))
        if empty := incomplete(catalog):
            problems.append(f"{rel}: empty or fuzzy: {', '.join(empty)}")
        elif compiled_disagrees(path):
            problems.append(f"{rel}: its compiled .mo reads otherwise than the .po")
    return problems


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is behind")
    args = parser.parse_args(list(argv) if argv is not None else None)
    problems = run(check=args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.check and problems:
        print("run `make messages`, then write the texts it asks for (docs/translating.md)", file=sys.stderr)
        return 1
    return 1 if any("empty or fuzzy" in p or "new keys" in p for p in problems) else 0


if __name__ == "__main__":
    raise SystemExit(main())
