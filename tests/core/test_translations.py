"""The gettext catalog (centrale/core/locale): complete in both languages, the same placeholders
everywhere, plural forms picked by each language's rule, the runtime's two readers (.po in a
source tree, .mo in a wheel) saying what Babel says, the .pot and the .po references in step with
the code, and --help in the locale's language."""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import re
import string
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po as babel_read_po
from babel.messages.pofile import write_po
from hypothesis import given, settings
from hypothesis import strategies as st

from centrale.core.i18n import LANGUAGES, Lang, Msg, Translator
from centrale.core.i18n_catalog import catalog, find, read_mo, read_po
from tests.core.po_catalog import LANGS, ROOT, po_path, texts

PLURAL_RULES = {"en": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}
# The messages that count with their value n, given real plural forms (they said "check(s)").
PLURAL_KEYS = {
    "doctor.failed",
    "err.reconcile.differs",
    "chk.config.ok_sample",
    "status.stores",
    "status.xa_prepared",
    "status.skipped",
    "light.jobs_waiting",
    "flash.jobs_posted",
    "err.hq.adopt.null_key",
    "err.hq.adopt.duplicates",
    "err.pull.delete_refused",
    "err.pull.delete_refused_raw",
    "out.hq_init.views",
    "chk.config.ok",
    "chk.catalog.ok",
    "out.reconcile.head",
    "out.reconcile.head_resent",
    "out.restore.table",
    "out.restore.kept",
    "out.restore.saved",
    "status.backlog",
    "status.shipped",
    "light.backlog_old",
    "out.verify.same",
    "out.verify.resent",
    "chk.outbox.ok",
    "out.snapshot.table",
    "out.push.queued",
    "out.pull.summary",
    "out.push.summary",
    "chk.hq_tables.ok",
    "err.ship.hq_gap",
}
CLI = ROOT / "centrale" / "app" / "cli"


def fields(text: str) -> set[tuple[str, str | None, str | None]]:
    """Each placeholder with its format spec and conversion: ``{offset:+.0f}`` is one, ``{n}`` another."""
    return {(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None}


def test_every_key_has_an_english_and_a_french_text_none_empty_or_fuzzy() -> None:
    for lang in LANGS:
        with po_path(lang).open("rb") as f:
            po = babel_read_po(f)
        assert [m.id for m in po if m.id and m.fuzzy] == [], lang
    for key, by_lang in texts().items():
        assert set(by_lang) == set(LANGUAGES), key
        assert all(text.strip() for forms in by_lang.values() for text in forms), key


def test_placeholders_are_the_same_in_both_languages_and_every_plural_form() -> None:
    """Names, format specs and conversions: a French ``{offset:+.1f}`` for an English ``{offset:+.0f}``
    fails here too."""
    for key, by_lang in texts().items():
        every = [text for forms in by_lang.values() for text in forms]
        assert all(fields(text) == fields(every[0]) for text in every), key


def entries_as_written(lang: str) -> dict[str, tuple[set[str], str]]:
    """msgid -> (its flags, its text as written): Babel's reading drops python-brace-format (it judges
    the msgid, here a key), so the file's own lines are read."""
    out = {}
    for block in po_path(lang).read_text().strip().split("\n\n")[1:]:
        flags = {f.strip() for line in block.splitlines() if line.startswith("#,") for f in line[2:].split(",")}
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        assert msgid, block
        out[msgid.group(1)] = (flags, "\n".join(re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_python_brace_format_flags_exactly_the_texts_with_placeholders(lang: str) -> None:
    written = entries_as_written(lang)
    assert set(written) == set(texts())
    for key, (flags, _) in written.items():
        assert ("python-brace-format" in flags) == any(fields(t) for t in texts()[key][lang]), key


@pytest.mark.parametrize("lang", LANGS)
def test_each_po_declares_its_languages_plural_rule(lang: str) -> None:
    assert read_po(po_path(lang)).plural_forms == PLURAL_RULES[lang]
    assert f'"Plural-Forms: {PLURAL_RULES[lang]}\\n"' in po_path(lang).read_text()


def test_the_messages_that_count_have_two_forms_and_none_says_s_any_more() -> None:
    plural = {key for key, by_lang in texts().items() if len(by_lang["en"]) > 1}
    assert plural == PLURAL_KEYS
    assert all(len(forms) == 2 and ("n", "", None) in fields(forms[0]) for forms in texts()["doctor.failed"].values())
    dodge = re.compile(r"\{n\} (?:\w+ ){0,2}?\w+\((?:s|aux|e|es)\)")  # "{n} check(s)", "{n} travail(aux)"
    assert [key for key, by_lang in texts().items() for t in by_lang["en"] + by_lang["fr"] if dodge.search(t)] == []


@pytest.mark.parametrize(
    ("lang", "n", "form"),
    [("fr", 0, 0), ("fr", 1, 0), ("fr", 2, 1), ("fr", 1_000_000, 1), ("en", 1, 0), ("en", 0, 1), ("en", 2, 1)],
)
def test_a_plural_message_picks_its_form_by_the_languages_rule(lang: Lang, n: int, form: int) -> None:
    forms = texts()["doctor.failed"][lang]
    assert Msg("doctor.failed", n=n).render(lang) == forms[form].format(n=n)
    assert Translator(lang)("light.jobs_waiting", n=n) == texts()["light.jobs_waiting"][lang][form].format(n=n)


def test_the_forms_read_as_people_say_them() -> None:
    assert [str(Msg("doctor.failed", n=n)) for n in (0, 1, 2)] == [
        "0 checks failed",
        "1 check failed",
        "2 checks failed",
    ]
    fr = [Msg("doctor.failed", n=n).render("fr") for n in (0, 1, 2)]
    assert fr == ["0 vérification en échec", "1 vérification en échec", "2 vérifications en échec"]
    assert Msg("flash.jobs_posted", n=3).render("fr") == "3 travaux demandés."


def test_a_plural_message_needs_a_count_as_its_n() -> None:
    with pytest.raises(TypeError, match="n must be a count"):
        Msg("doctor.failed").render("en")
    with pytest.raises(TypeError, match="n must be a count"):
        Msg("doctor.failed", n="2").render("fr")
    assert Msg("doctor.failed", n=Decimal(2)).render("fr") == "2 vérifications en échec"  # a SQL SUM, say


@pytest.mark.parametrize("lang", LANGS)
def test_the_runtime_reads_the_po_as_babel_does(lang: str) -> None:
    assert dict(catalog(lang).texts) == {key: by_lang[lang] for key, by_lang in texts().items()}
    assert catalog(lang) == read_po(po_path(lang))


@pytest.mark.parametrize("lang", LANGS)
def test_a_compiled_mo_reads_as_its_po(lang: str, tmp_path: Path) -> None:
    mo = tmp_path / "centrale.mo"
    with po_path(lang).open("rb") as f, mo.open("wb") as out:
        write_mo(out, babel_read_po(f))
    assert read_mo(mo) == read_po(po_path(lang))


def test_the_po_wins_over_a_mo_beside_it_and_a_lone_mo_is_read(tmp_path: Path) -> None:
    """A .mo left in a source tree, out of date, is never read: only a wheel (no .po) reads its .mo."""
    where = tmp_path / "fr" / "LC_MESSAGES"
    where.mkdir(parents=True)
    stale = BabelCatalog(locale="fr")
    stale.add("doctor.passed", "périmé")
    with (where / "centrale.mo").open("wb") as out:
        write_mo(out, stale)
    assert find("fr", str(tmp_path)).texts == {"doctor.passed": ("périmé",)}
    (where / "centrale.po").write_bytes(po_path("fr").read_bytes())
    assert find("fr", str(tmp_path)).text("doctor.passed") == "toutes les vérifications sont passées"
    with pytest.raises(FileNotFoundError):
        find("en", str(tmp_path))


KEYS = st.from_regex(r"[a-z][a-z0-9_.-]{0,24}", fullmatch=True)
TEXTS = st.text(st.characters(codec="utf-8", blacklist_characters="\0"), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    entries=st.dictionaries(KEYS, st.one_of(TEXTS.map(lambda t: (t,)), st.tuples(TEXTS, TEXTS)), max_size=12),
    lang=st.sampled_from(LANGS),
)
def test_any_catalog_reads_back_the_same_from_its_po_and_its_mo(
    entries: dict[str, tuple[str, ...]], lang: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Quotes, backslashes, newlines, tabs, any Unicode: Babel writes them, both readers give them back."""
    source = BabelCatalog(locale=lang, fuzzy=False)
    source.mime_headers = [("Plural-Forms", PLURAL_RULES[lang])]
    for key, forms in entries.items():
        source.add((key, key) if len(forms) > 1 else key, forms if len(forms) > 1 else forms[0])
    where = tmp_path_factory.mktemp("catalog")
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, source, width=0)
    write_mo(mo, source)
    (where / "c.po").write_bytes(po.getvalue())
    (where / "c.mo").write_bytes(mo.getvalue())
    for read in (read_po, read_mo):
        got = read(where / ("c.po" if read is read_po else "c.mo"))
        assert dict(got.texts) == entries
        assert got.plural_forms == PLURAL_RULES[lang]


def messages_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pot_and_the_po_references_are_in_step_with_the_code() -> None:
    """`make messages` was run since the last key was added, used elsewhere or dropped."""
    tool = messages_tool()
    assert tool.run(check=True) == []
    uses = tool.extract()
    assert len(uses) > 500, "the extraction found too little: it is wrong"
    assert "centrale/core/config.py" in uses["err.config.no_file"]  # Msg("...")
    assert "centrale/app/cli/site.py" in uses["help.doctor"]  # cli_help("...")
    assert "centrale/app/console/storeview.py" in uses["light.outbox_error"]  # a key handed as a string
    assert "centrale/app/console/templates/store.html" in uses["store.title"]  # t("...") in a template
    assert set(uses) <= set(texts())


def test_every_help_text_of_the_cli_comes_from_the_catalog() -> None:
    """An option or a command added with English help written in place fails here."""
    bad = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.FunctionDef)
                and ast.get_docstring(node)
                and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command"
                    for d in node.decorator_list
                )
            ):
                bad.append(f"{path.name}:{node.lineno} {node.name}: its docstring would be its --help")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "command" and not any(k.arg == "help" for k in node.keywords):
                    bad.append(f"{path.name}:{node.lineno} a command without help=cli_help(...)")
                for k in node.keywords:
                    value = k.value
                    if k.arg == "help" and not (
                        isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "cli_help"
                    ):
                        bad.append(f"{path.name}:{node.lineno} help={ast.unparse(value)[:60]}")
    assert bad == []


def help_text(*args: str, lang: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=lang, COLUMNS="200", PYTHONWARNINGS="ignore")
    res = subprocess.run(
        [sys.executable, "-m", "centrale", *args, "--help"], capture_output=True, text=True, env=env, timeout=120
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_help_is_french_under_a_french_locale_and_english_otherwise() -> None:
    fr = help_text(lang="fr_FR.UTF-8")
    assert "Centrale : réplication magasins -> siège" in fr and "fichier TOML du site (ou $CENTRALE_CONFIG)" in fr
    assert "Commandes" in fr and "Vérifier ce site : base locale" in fr and "Check this site" not in fr
    en = help_text(lang="C")
    assert "Commands" in en and "Check this site: local database" in en and "Vérifier" not in en
    add_store = help_text("hq", "add-store", lang="fr_FR.UTF-8")
    assert "Créer le compte propre d'un magasin au siège" in add_store
    assert "le numéro du magasin (son site.store)" in add_store and "refuser les connexions non chiffrées" in add_store
    jobs_add = help_text("jobs", "add", lang="fr_FR.UTF-8")
    assert "au choix : pull-articles, " in jobs_add and "--since" in jobs_add  # the options keep their names
