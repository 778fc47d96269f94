"""The message catalog as its .po files say it, read with Babel (not with the runtime's reader,
which tests/core/test_translations.py holds to this): for the tests that check the catalog itself."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "centrale" / "core" / "locale"
LANGS = ("en", "fr")
# The comment above each entry starts with its part: "errors | configuration".
PARTS = ("frame", "errors", "rooms", "capture", "checks", "clock", "restores", "help")


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "centrale.po"


@functools.cache
def catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f)


def key_of(message_id: object) -> str:
    return str(message_id[0] if isinstance(message_id, tuple | list) else message_id)


def forms(string: object) -> tuple[str, ...]:
    return tuple(str(s) for s in string) if isinstance(string, tuple | list) else (str(string or ""),)


@functools.cache
def texts() -> dict[str, dict[str, tuple[str, ...]]]:
    """key -> language -> its texts: one, or one per plural form."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for lang in LANGS:
        for message in catalog(lang):
            if message.id:
                out.setdefault(key_of(message.id), {})[lang] = forms(message.string)
    return out


@functools.cache
def parts() -> dict[str, set[str]]:
    """part -> its keys, from the English file's comments."""
    out: dict[str, set[str]] = {}
    for message in catalog("en"):
        if message.id:
            comment = message.user_comments[0] if message.user_comments else ""
            out.setdefault(comment.split("|")[0].strip(), set()).add(key_of(message.id))
    return out


def msgids(lang: str) -> list[str]:
    """Every msgid line of the file as written, duplicates kept (Babel's reading merges them)."""
    return re.findall(r'^msgid "(.+)"$', po_path(lang).read_text(), re.M)
