"""The manual says what the code does: README.md and docs/*.md checked against the code.

The configuration reference is generated from the models (``scripts/gen_config_docs.py``); every
`centrale ...` command and its flags exist in the typer app; every dotted key and CENTRALE_*
variable exists; every TOML example loads (or is marked ``<!-- config-fragment -->`` and holds
only real keys); MkDocs builds the manual with --strict; links and anchors resolve.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
FRAGMENT = "<!-- config-fragment -->"
README_MAX_LINES = 200


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "scripts" / "gen_config_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Markdown, as much of it as these checks need ------------------------------------------------

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```|~~~)(?P<lang>[\w+-]*)\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    before: str  # the last non-blank line before the fence

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def split_fences(page: Path) -> tuple[list[Block], str]:
    """The fenced blocks of a page, and its text with each block's lines blanked out."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    prose = list(lines)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        assert j < len(lines), f"{page.relative_to(ROOT)}:{i + 1}: a code block is never closed"
        body = "\n".join(line[indent:] if line[:indent].isspace() else line.lstrip() for line in lines[i + 1 : j])
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        blocks.append(Block(page, i + 1, m["lang"], body, before))
        for k in range(i, j + 1):
            prose[k] = ""
        i = j + 1
    return blocks, "\n".join(prose)


def code_spans(page: Path) -> list[str]:
    """Inline code outside fenced blocks (a span may wrap onto the next line)."""
    _, prose = split_fences(page)
    return [re.sub(r"\s+", " ", s).strip() for s in re.findall(r"`([^`]+)`", prose)]


def prose_without_code(page: Path) -> str:
    _, prose = split_fences(page)
    return re.sub(r"`[^`]+`", "", prose)


# --- (a) the configuration reference -----------------------------------------------------------


def test_the_configuration_page_is_what_the_generator_writes() -> None:
    """docs/configuration.md between its markers is exactly what the models say now; after a change
    to centrale/core/config.py, run `python scripts/gen_config_docs.py`."""
    gen = generator()
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert gen.render(page) == page, "docs/configuration.md is out of date: run `python scripts/gen_config_docs.py`"


def test_every_key_of_the_models_has_a_description() -> None:
    """A key added to a model without a description in scripts/gen_config_docs.py (or a
    description left behind for a key removed) stops the generator."""
    assert generator().problems() == []


# --- (b) commands and their flags --------------------------------------------------------------


@cache
def cli() -> Any:
    import typer

    from centrale.app.cli.main import app

    return typer.main.get_command(app)


def options_of(cmd: Any) -> set[str]:
    names = {"--help"}
    for param in cmd.params:
        if param.param_type_name == "option":
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _choices() -> dict[tuple[str, ...], tuple[str, ...]]:
    from centrale.core.actions import ACTIONS, PULL_GROUPS, PUSH_GROUPS

    return {("pull",): PULL_GROUPS, ("push",): PUSH_GROUPS, ("sync",): ("customers",), ("jobs", "add"): ACTIONS}


def command_texts() -> Iterator[tuple[str, str]]:
    """(where, the text from `centrale` on) for every command written in the docs."""
    for page in pages():
        rel = str(page.relative_to(ROOT))
        for span in code_spans(page):
            # in a table, `a\|b` is an alternative: neither a pipe nor part of a word
            text = span.replace("\\|", " ").replace("|", " ")
            for found in _from_centrale(text):
                yield f"{rel}: `{span}`", found
        blocks, _ = split_fences(page)
        for block in blocks:
            for n, line in enumerate(block.body.splitlines(), start=block.line + 1):
                line = re.sub(r"(^|\s)#.*$", "", line)
                for part in re.split(r"\s(?:\||&&|;)\s", line):
                    for found in _from_centrale(part):
                        yield f"{rel}:{n}", found


def _from_centrale(text: str) -> Iterator[str]:
    tokens = text.split()
    for i, tok in enumerate(tokens):
        if re.fullmatch(r"(?:\S*[/=])?centrale", tok):
            yield " ".join(tokens[i + 1 :])


def check_command(text: str) -> str | None:
    """Why this command line is not one the app has, or None."""
    root = cli()
    tokens = [t.strip("[](),.;:") for t in text.split()]
    # `--host/--port`: either flag
    tokens = [part for t in tokens for part in (t.split("/") if t.startswith("-") and "/-" in t else [t]) if part]
    # the root's own options: --config PATH, -c PATH, --version, --help
    while tokens and tokens[0].startswith("-"):
        flag = tokens.pop(0).split("=", 1)[0]
        if flag not in options_of(root):
            return f"`centrale` has no option {flag}"
        if flag in ("--config", "-c") and "=" not in flag and tokens:
            tokens.pop(0)
    if not tokens:
        return None
    path: list[str] = []
    cmd = root
    while hasattr(cmd, "commands") and tokens and not tokens[0].startswith("-"):
        name = tokens[0]
        if name not in cmd.commands:
            if cmd is root or not path:
                return f"`centrale {' '.join([*path, name])}`: no such command"
            return f"`centrale {' '.join(path)}` has no command {name!r}"
        tokens.pop(0)
        path.append(name)
        cmd = cmd.commands[name]
    if hasattr(cmd, "commands"):
        return None  # an area named on its own (`centrale hq`)
    choices = _choices().get(tuple(path))
    for tok in tokens:
        if tok == "--":
            break  # what follows is a value, even if it starts with -
        if tok.startswith("-") and len(tok) > 1:
            flag = tok.split("=", 1)[0]
            if flag not in options_of(cmd):
                return f"`centrale {' '.join(path)}` has no option {flag}"
        elif choices is not None and tok.islower() and re.fullmatch(r"[a-z-]+", tok) and tok not in choices:
            return f"`centrale {' '.join(path)}`: {tok!r} is not one of {', '.join(choices)}"
    return None


def test_every_command_in_the_docs_exists_with_its_flags() -> None:
    texts = list(command_texts())
    assert len(texts) > 50, "the command finder found almost nothing: is it broken?"
    wrong = [f"{where}: {why}" for where, text in texts if (why := check_command(text))]
    assert not wrong, "commands the app does not have:\n" + "\n".join(wrong)


# Flags of other programs the docs quote on their own.
OTHER_PROGRAMS_FLAGS = {"--start-position"}


def test_every_flag_written_alone_belongs_to_some_command() -> None:
    """`--json` written apart from its command (`centrale status` (or `--json` ...)) still names
    an option some command has."""
    known: set[str] = set(OTHER_PROGRAMS_FLAGS) | {"--"}

    def collect(cmd: Any) -> None:
        known.update(options_of(cmd))
        for sub in getattr(cmd, "commands", {}).values():
            collect(sub)

    collect(cli())
    wrong = []
    for page in pages():
        for span in code_spans(page):
            for part in re.split(r"\s*/\s*|\\\|", span):
                m = re.fullmatch(r"(--[a-z][\w-]*|-[a-zA-Z])(?:[ =]\S+)?", part.strip())
                if m and m[1] not in known:
                    wrong.append(f"{page.relative_to(ROOT)}: `{span}`")
    assert not wrong, "flags no command has:\n" + "\n".join(wrong)


# --- files and modules the docs name -----------------------------------------------------------

TOP_FOLDERS = (
    "centrale/",
    "cdc/",
    "applier/",
    "jobs/",
    "tests/",
    "sandbox/",
    "bench/",
    "schema/",
    "scripts/",
    "deploy/",
)


def test_every_file_and_module_the_docs_name_exists() -> None:
    """`tests/applier/test_value_paths.py`, `python -m bench.stores`: moved code takes its docs along."""
    wrong = []
    for page in pages():
        blocks, _ = split_fences(page)
        texts = [*code_spans(page), *(b.body for b in blocks if b.lang in ("", "sh"))]
        for text in texts:
            for tok in text.split():
                tok = tok.strip("(),;:")
                named = tok.startswith(TOP_FOLDERS) and not any(c in tok for c in "<>*{")
                if named and not (ROOT / tok.split("::")[0]).exists():
                    wrong.append(f"{page.relative_to(ROOT)}: {tok}: no such file")
            for module in re.findall(r"python -m ([\w.]+)", text):
                base = ROOT / module.replace(".", "/")
                if module != "mkdocs" and not (base.with_suffix(".py").is_file() or (base / "__main__.py").is_file()):
                    wrong.append(f"{page.relative_to(ROOT)}: python -m {module}: no such module")
    assert not wrong, "\n".join(wrong)


# --- (c) configuration keys and environment variables ------------------------------------------

FILE_SUFFIXES = {"toml", "db", "md", "py", "pem", "key", "txt", "jsonl", "json", "cnf", "sql", "png", "yml", "yaml"}


def dotted_keys() -> Iterator[tuple[str, str, str]]:
    """(page, section, key) for every `section.key` in inline code (`ship.catchup_*` included)."""
    sections = [s for s in generator().sections() if s != "tables"]
    pattern = re.compile(rf"(?<![\w./-])({'|'.join(sections)})\.([a-z_][a-z0-9_]*\*?)(?![\w(])")
    for page in pages():
        for span in code_spans(page):
            for m in pattern.finditer(span):
                if m[2] not in FILE_SUFFIXES:
                    yield str(page.relative_to(ROOT)), m[1], m[2]


def key_exists(models: dict[str, Any], section: str, key: str) -> bool:
    fields = models[section].model_fields
    if key.endswith("*"):
        return any(k.startswith(key[:-1]) for k in fields)
    return key in fields


def test_every_dotted_config_key_in_the_docs_exists() -> None:
    models = generator().sections()
    found = list(dotted_keys())
    assert len(found) > 50, "the key finder found almost nothing: is it broken?"
    wrong = [f"{page}: `{s}.{k}`" for page, s, k in found if not key_exists(models, s, k)]
    assert not wrong, "configuration keys the models do not have:\n" + "\n".join(wrong)


@cache
def names_in_code() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for pkg in ("centrale", "cdc", "applier", "jobs", "sandbox", "tests", "bench")
        for p in (ROOT / pkg).rglob("*.py")
    )


def test_every_centrale_variable_in_the_docs_exists() -> None:
    """CENTRALE_<SECTION>_<KEY> names a key; any other CENTRALE_* variable is read by the code."""
    from centrale.core import envoverrides

    gen = generator()
    models = gen.sections()
    wrong = []
    for page in pages():
        for name in set(re.findall(r"\bCENTRALE_[A-Z0-9_]*[A-Z0-9]\b", prose_without_fences(page))):
            section = next((s for s in envoverrides.SECTIONS if name.startswith(f"CENTRALE_{s.upper()}_")), None)
            if section is not None:
                key = name[len(f"CENTRALE_{section.upper()}_") :].lower()
                if key not in models[section].model_fields:
                    wrong.append(f"{page.relative_to(ROOT)}: {name} sets no key of [{section}]")
            elif f'"{name}"' not in names_in_code():
                wrong.append(f"{page.relative_to(ROOT)}: {name} is read nowhere in the code")
    assert not wrong, "\n".join(wrong)


def prose_without_fences(page: Path) -> str:
    blocks, prose = split_fences(page)
    return prose + "\n" + "\n".join(b.body for b in blocks if b.lang != "toml")


# --- (d) TOML examples -------------------------------------------------------------------------


def toml_blocks() -> list[Block]:
    return [b for page in pages() for b in split_fences(page)[0] if b.lang == "toml"]


def test_every_toml_example_loads_or_is_a_marked_fragment(tmp_path: Path) -> None:
    from centrale.core.config import load
    from centrale.core.errors import CentraleError

    models = generator().sections()
    blocks = toml_blocks()
    assert any(b.before != FRAGMENT for b in blocks), "no whole configuration in the docs"
    wrong = []
    for n, block in enumerate(blocks):
        try:
            doc = tomllib.loads(block.body)
        except tomllib.TOMLDecodeError as exc:
            wrong.append(f"{block.where()}: not TOML: {exc}")
            continue
        if block.before == FRAGMENT:
            wrong.extend(f"{block.where()}: {why}" for why in fragment_problems(doc, models))
            continue
        if "site" not in doc:
            wrong.append(f"{block.where()}: no [site]: a whole configuration, or mark it {FRAGMENT}")
            continue
        path = tmp_path / f"example{n}.toml"
        path.write_text(block.body, encoding="utf-8")
        path.chmod(0o600)
        try:
            cfg = load(path, env={"CENTRALE_HQ_PASSWORD": "x", "CENTRALE_CONSOLE_PASSWORD": "x"})
        except CentraleError as exc:
            wrong.append(f"{block.where()}: does not load: {exc.message}")
            continue
        if cfg.warnings:
            wrong.append(f"{block.where()}: loads with warnings: {[str(w) for w in cfg.warnings]}")
    assert not wrong, "\n".join(wrong)


def fragment_problems(doc: dict[str, Any], models: dict[str, Any]) -> list[str]:
    out = []
    for section, values in doc.items():
        if section not in models or not isinstance(values, dict):
            out.append(f"[{section}] is not a section of a site's file")
        elif section == "tables":
            for name, spec in values.items():
                out.extend(
                    f"tables.{name}.{k} is no catalog key" for k in spec if k not in models["tables"].model_fields
                )
        else:
            out.extend(f"{section}.{k} is no key" for k in values if k not in models[section].model_fields)
    return out


# --- (e) MkDocs --------------------------------------------------------------------------------


def test_the_manual_builds_with_mkdocs_strict(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (it is in the dev extras: `.venv/bin/pip install -e '.[dev]'`)")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert (tmp_path / "configuration" / "index.html").is_file()


def test_every_page_of_docs_is_in_the_nav() -> None:
    nav = set(re.findall(r"^\s*-\s+[^:]+:\s+(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M))
    assert nav == {p.name for p in DOCS.glob("*.md")}


# --- (f) the README's length, links and anchors ------------------------------------------------


def test_the_readme_is_at_most_200_lines() -> None:
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move the detail into docs/"


def _heading_text(raw: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)  # links keep their text
    return re.sub(r"[`*]", "", text).strip()  # code and emphasis marks are not in the anchor


def mkdocs_slug(text: str) -> str:
    """Python-Markdown's toc slugify, which MkDocs uses."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def github_slug(text: str) -> str:
    """GitHub's heading anchors, for the same links read on GitHub."""
    return re.sub(r" ", "-", re.sub(r"[^\w\- ]", "", text.lower()))


def anchors(page: Path) -> tuple[set[str], set[str]]:
    _, prose = split_fences(page)
    seen_m: dict[str, int] = {}
    seen_g: dict[str, int] = {}
    out_m: set[str] = set()
    out_g: set[str] = set()
    for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose, re.M):
        text = _heading_text(m[1])
        for slug, seen, out, sep in ((mkdocs_slug(text), seen_m, out_m, "_"), (github_slug(text), seen_g, out_g, "-")):
            n = seen.get(slug, 0)
            out.add(slug if n == 0 else f"{slug}{sep}{n}")
            seen[slug] = n + 1
    return out_m, out_g


def links() -> Iterator[tuple[Path, str]]:
    for page in pages():
        for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", prose_without_code(page)):
            yield page, target


def test_every_relative_link_resolves() -> None:
    found = list(links())
    assert len(found) > 20, "the link finder found almost nothing: is it broken?"
    wrong = []
    for page, target in found:
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(ROOT)}: ({target})"
        if not dest.exists():
            wrong.append(f"{where}: no such file")
        elif anchor:
            if dest.suffix != ".md":
                wrong.append(f"{where}: an anchor into a file that is not Markdown")
                continue
            in_mkdocs, on_github = anchors(dest)
            if anchor not in in_mkdocs:
                wrong.append(f"{where}: no heading with that anchor")
            elif anchor not in on_github:
                wrong.append(f"{where}: GitHub spells that heading's anchor differently (simplify the heading)")
    assert not wrong, "\n".join(wrong)
