"""Where ``centrale.core.i18n`` finds its texts: the gettext catalogs under ``centrale/core/locale``.

``locale/<lang>/LC_MESSAGES/centrale.po`` is the source, edited by hand (docs/translating.md);
each language is read once per process, on the first message rendered in it, and kept.

Which file is read, and why nothing can be stale:

- a source tree (a clone, ``pip install -e .``, the Docker image's ``/app``) has the ``.po``:
  Babel parses it in every process, so an edit shows at the next run with nothing to rebuild;
- an installed wheel has no ``.po``: ``hatch_build.py`` compiled each into a ``.mo`` when the
  wheel was built, from the very ``.po`` it leaves out, and the wheel is never edited; the
  ``.mo`` is read by the few lines of ``read_mo``: no Babel import, about 4 ms for both
  languages instead of about 60 (docs/translating.md has the measures).

The ``.po`` wins wherever both exist, so a ``.mo`` lying in a source tree is never read. Babel
leaves fuzzy entries and empty texts out of a ``.mo`` (and the build refuses them), so ``read_po``
leaves them out too: both paths know the same keys, and an unknown key is a ``KeyError``.
"""

from __future__ import annotations

import functools
import os.path
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import SupportsInt

# os.path, not pathlib, and gettext only once a plural is rendered: every command line pays for
# what importing the catalog imports (docs/translating.md has the measures).
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
DOMAIN = "centrale"
MO_MAGIC = 0x950412DE


@dataclass(frozen=True)
class Catalog:
    """One language: each key's texts (one, or one per plural form) and the language's plural rule."""

    texts: Mapping[str, tuple[str, ...]]
    plural_forms: str  # the header's, e.g. "nplurals=2; plural=(n > 1);"

    @functools.cached_property
    def plural(self) -> Callable[[int], int]:
        """The form for a count: gettext's own evaluation of the header's C expression."""
        import gettext

        rule = next((p.split("=", 1)[1] for p in self.plural_forms.split(";") if p.strip().startswith("plural")), "")
        if not rule.strip():
            raise ValueError(f"no plural rule in Plural-Forms: {self.plural_forms!r}")
        return gettext.c2py(rule.strip())

    def text(self, key: str, n: object = None) -> str:
        """The text of ``key``; for an entry with plural forms, the form of the count ``n``."""
        forms = self.texts[key]
        if len(forms) == 1:
            return forms[0]
        if isinstance(n, bool) or not isinstance(n, SupportsInt):  # int, float, Decimal (a SQL COUNT)
            raise TypeError(f"{key!r} has plural forms: its value n must be a count, not {n!r}")
        return forms[min(self.plural(int(n)), len(forms) - 1)]


def po_path(lang: str, root: str = LOCALE_DIR) -> str:
    return os.path.join(root, lang, "LC_MESSAGES", f"{DOMAIN}.po")


@functools.cache
def catalog(lang: str) -> Catalog:
    """The language's catalog, read on first use and kept for the process."""
    return find(lang)


def find(lang: str, root: str = LOCALE_DIR) -> Catalog:
    """The .po where there is one (a source tree), else the .mo (an installed wheel)."""
    po = po_path(lang, root)
    if os.path.isfile(po):
        return read_po(po)
    mo = po[: -len(".po")] + ".mo"
    if os.path.isfile(mo):
        return read_mo(mo)
    raise FileNotFoundError(f"no message catalog for {lang!r}: neither {po} nor {mo}")


def read_po(path: str | os.PathLike[str]) -> Catalog:
    from babel.messages.pofile import read_po as babel_read_po  # a source tree only: ~30 ms to import

    with open(path, "rb") as f:
        po = babel_read_po(f)
    texts: dict[str, tuple[str, ...]] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        forms = tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)
        if all(forms):
            texts[str(key)] = tuple(str(f) for f in forms)
    return Catalog(texts, po.plural_forms)


def read_mo(path: str | os.PathLike[str]) -> Catalog:
    """A GNU ``.mo`` as Babel writes it (UTF-8): msgid ``key``, or ``key\\0plural`` and its forms."""
    with open(path, "rb") as f:
        data = f.read()
    order = "<" if struct.unpack_from("<I", data)[0] == MO_MAGIC else ">"
    magic, _revision, count, ids_at, strings_at = struct.unpack_from(order + "5I", data)
    if magic != MO_MAGIC:
        raise ValueError(f"{path} is not a .mo file")

    def entry(table: int, i: int) -> str:
        length, offset = struct.unpack_from(order + "2I", data, table + 8 * i)
        return data[offset : offset + length].decode()

    texts: dict[str, tuple[str, ...]] = {}
    header = ""
    for i in range(count):
        msgid, msgstr = entry(ids_at, i), entry(strings_at, i)
        if not msgid:
            header = msgstr
        else:
            texts[msgid.split("\0")[0]] = tuple(msgstr.split("\0")) if "\0" in msgid else (msgstr,)
    plural_forms = next(
        (line.split(":", 1)[1].strip() for line in header.splitlines() if line.lower().startswith("plural-forms:")),
        "nplurals=2; plural=(n != 1);",  # gettext's default, as GNUTranslations assumes
    )
    return Catalog(texts, plural_forms)
