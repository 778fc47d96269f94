"""French and English: the catalog is complete, pages and the CLI follow the locale, the
`?lang=` switch and `console.language`."""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from centrale.core.errors import JobError
from centrale.core.i18n import Msg, Translator, language_from_locale
from jobs.queue import ACTIONS, STATUSES
from sandbox.chain import Chain
from tests.app.console.conftest import add_console_keys, console_client
from tests.core.po_catalog import LANGS, PARTS, msgids, parts, texts

MESSAGES = texts()  # key -> language -> its texts (one per plural form), from the .po files

TEMPLATES = Path(__file__).resolve().parents[3] / "centrale" / "app" / "console" / "templates"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for key, by_lang in MESSAGES.items():
        assert set(by_lang) == {"en", "fr"}, key
        every = [*by_lang["en"], *by_lang["fr"]]  # and every plural form
        assert all(text.strip() for text in every), key
        assert all(placeholders(text) == placeholders(every[0]) for text in every), key


def test_every_key_the_pages_name_is_in_the_catalog() -> None:
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.-]+)["']""", path.read_text()))
    for path in TEMPLATES.parent.glob("*.py"):  # reasons and results the views hand to templates
        used |= set(re.findall(r"""["']((?:light|hq|flash)\.[a-z_]+)["']""", path.read_text()))
    assert len(used) > 50, "the patterns found too little: they are wrong"
    families = {key for key in used if key.endswith(".")}  # t("job." ~ job.status) and the like
    assert families == {"action.", "job.", "task.", "color.", "part."}
    expected = {
        "action.": ACTIONS,
        "job.": STATUSES,
        "task.": ("queued", "running", "done", "failed"),
        "color.": ("green", "amber", "red"),
        "part.": ("capture", "shipping", "jobs"),
    }
    used |= {prefix + member for prefix, members in expected.items() for member in members}
    assert used - families - {"hq.html"} - set(MESSAGES) == set()  # hq.html: the template's name


def test_an_unknown_key_is_an_error_not_a_silent_fallback() -> None:
    with pytest.raises(KeyError):
        Translator("fr")("no.such.key")


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "fr_CA.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
        ({"LC_ALL": "", "LC_MESSAGES": "en_US", "LANG": "fr_FR"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
    ],
)
def test_the_locale_decides_in_posix_order(locale: dict[str, str], lang: str) -> None:
    assert language_from_locale(locale) == lang


def cli(config: Path, *args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=lang, PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-m", "centrale", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_status_doctor_and_errors_come_out_in_french_under_a_french_locale(chain: Chain) -> None:
    store = chain.store(12).config
    fr = cli(store, "status", lang="fr_FR.UTF-8")
    assert fr.returncode == 0, fr.stderr
    assert "magasin    12 Lyon" in fr.stdout and "siège      non (le siège est le magasin 1)" in fr.stdout
    assert "processus  arrêté" in fr.stdout and "en attente 0 ligne (" in fr.stdout  # French: 0 takes the singular
    en = cli(store, "status", lang="en_US.UTF-8")
    assert "store      12 Lyon" in en.stdout and "process    not running" in en.stdout
    assert "backlog    0 rows (" in en.stdout
    doctor = cli(chain.hq.config, "doctor", lang="fr_FR.UTF-8")
    assert doctor.returncode == 0, doctor.stderr
    assert "ok   base locale:" in doctor.stdout and "toutes les vérifications sont passées" in doctor.stdout
    missing = cli(chain.root / "nowhere.toml", "status", lang="fr_FR.UTF-8")
    assert missing.returncode == 2
    assert missing.stderr.startswith("erreur : le fichier de configuration") and "\nconseil : vérifier le chemin" in (
        missing.stderr
    )
    english = cli(chain.root / "nowhere.toml", "status", lang="C")
    assert english.stderr.startswith("error: configuration file") and "\nhint: check the path" in english.stderr


def test_pages_follow_the_locale_then_the_switch_and_its_cookie(chain: Chain) -> None:
    with console_client(chain.store(12).config, lang="fr") as client:
        page = client.get("/").text
        assert '<html lang="fr">' in page and "Récupérer les articles du siège" in page
        english = client.get("/?lang=en").text
        assert '<html lang="en">' in english and "Get articles from head office" in english
        assert '<html lang="en">' in client.get("/").text  # the cookie remembers the choice
        assert '<html lang="en">' in client.get("/?lang=xx").text  # nonsense is ignored
    with console_client(chain.hq.config, lang="en") as client:
        assert "Demander un travail aux magasins" in client.get("/?lang=fr").text


def test_console_language_in_the_configuration_beats_the_locale(chain: Chain) -> None:
    add_console_keys(chain.hq.config, 'language = "fr"')
    with console_client(chain.hq.config, lang="en") as client:
        page = client.get("/").text
        assert '<html lang="fr">' in page and "Magasins" in page


def test_the_catalogs_parts_share_no_key() -> None:
    for lang in LANGS:  # each key once in each file (reading a .po merges a repeated msgid)
        assert len(msgids(lang)) == len(set(msgids(lang))) == len(MESSAGES), lang
    assert set(parts()) == set(PARTS)
    assert sum(len(parts()[p]) for p in PARTS) == len(MESSAGES)


def test_a_message_is_english_text_until_rendered_in_a_language() -> None:
    where = Msg("chk.hq.tls_verified", cipher="TLS_AES_256")
    msg = Msg("chk.hq.ok", where="hq:3306", number=1, link=where)
    assert str(msg) == "hq:3306 reachable, store number 1, TLS TLS_AES_256, certificate verified"
    assert msg.render("fr") == "hq:3306 joignable, numéro de magasin 1, TLS TLS_AES_256, certificat vérifié"
    exc = JobError(Msg("err.jobs.no_job", id=7), hint=Msg("err.jobs.no_job.hint"))
    assert (exc.message, exc.hint, str(exc)) == ("no job 7", "see `centrale jobs list`", "no job 7")
    assert exc.render("fr") == ("pas de travail 7", "voir `centrale jobs list`")
    assert Translator("fr").text("a server's own words") == "a server's own words"


def test_errors_hints_and_doctor_checks_are_french_under_a_french_locale(chain: Chain) -> None:
    store, hq = chain.store(12).config, chain.hq.config
    # a config error: a value that does not validate (said of the file, not of its temporary copy)
    bad = cli(store, "config", "set", "ship.batch_rows", "many", lang="fr_FR.UTF-8")
    assert bad.returncode == 2, bad.stderr
    first, hint = bad.stderr.splitlines()[:2]
    assert first.startswith(f"erreur : {store} : `ship.batch_rows` = 'many' : ") and first.endswith(
        " (fichier laissé inchangé)"
    )
    assert hint == "conseil : la corriger dans le fichier ou avec `centrale config set ship.batch_rows VALEUR`"
    english = cli(store, "config", "set", "ship.batch_rows", "many", lang="C")
    assert english.returncode == 2
    assert english.stderr.startswith(f"error: {store}: `ship.batch_rows` = 'many': ")
    assert "(file left unchanged)\nhint: fix it in the file or with `centrale config set ship.batch_rows VALUE`" in (
        english.stderr
    )
    # a bad job action
    job = cli(hq, "jobs", "add", "dance", "--store", "12", lang="fr_FR.UTF-8")
    assert job.returncode == 64
    assert job.stderr.startswith("erreur : action inconnue `dance`\nconseil : choisir parmi : pull-articles, ")
    english = cli(hq, "jobs", "add", "dance", "--store", "12", lang="C")
    assert english.returncode == 64
    assert english.stderr.startswith("error: unknown action `dance`\nhint: choose one of: pull-articles, ")
    added = cli(hq, "jobs", "add", "pull-articles", "--store", "12", lang="fr_FR.UTF-8")
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(r"travail \d+ : pull-articles pour le magasin 12 \(en attente\)\n", added.stdout)
    listed = cli(hq, "jobs", "list", lang="fr_FR.UTF-8").stdout
    assert listed.splitlines()[0] == "    id  magasin  action          état       quand                 lignes  message"
    assert re.search(r"^ +\d+       12  pull-articles   en attente .* +0$", listed, re.M), listed
    listed = cli(hq, "jobs", "list", lang="C").stdout
    assert listed.splitlines()[0] == "    id    store  action          status     when                    rows  message"
    assert re.search(r"^ +\d+       12  pull-articles   pending    .* +0$", listed, re.M), listed
    # doctor with a failing check: head office is not where the configuration says
    assert cli(store, "config", "set", "hq.port", "1", lang="C").returncode == 0
    doctor = cli(store, "doctor", lang="fr_FR.UTF-8")
    assert doctor.returncode == 3, doctor.stderr
    assert "ok   binlog: binlog actif, format ROW" in doctor.stdout
    assert re.search(r"^ÉCHEC siège: impossible de joindre \S+:1/\S+ : ", doctor.stdout, re.M)
    assert "     solution : vérifier hq.host/hq.port, la liaison" in doctor.stdout
    assert doctor.stderr.startswith("erreur : 1 vérification en échec\nconseil : vérifier hq.host/hq.port")
    english = cli(store, "doctor", lang="C")
    assert english.returncode == 3
    assert re.search(r"^FAIL head office: cannot reach \S+:1/\S+: ", english.stdout, re.M)
    assert "     fix: check hq.host/hq.port, the link" in english.stdout
    assert english.stderr.startswith("error: 1 check failed\nhint: check hq.host/hq.port")
