"""French and English: the one catalog of translated messages (the CLI's, its --help, the console's).

The seed's users are French stores; the integrator may not be. The language comes from the
locale (``LC_ALL`` > ``LC_MESSAGES`` > ``LANG``), which only the CLI reads (its root callback, and
once for --help) and passes down as a ``Lang``; the console may override it per page (``?lang=``, a cookie, or
``console.language``). A key missing in one language is a bug the tests catch, so ``Translator``
does not fall back silently: an unknown key raises ``KeyError``.

What the library says to a user (an error's message and hint, a check's result) is a ``Msg``: a
key of the catalog and its values, whose ``str()`` is the English text (logs stay English); the
CLI renders it in the invocation's language. A text is a ``str.format`` template of its values.

The catalog is gettext's: ``centrale/core/locale/<lang>/LC_MESSAGES/centrale.po``, one entry per
key (msgid = the key, msgstr = the text; a comment names its part and area). An entry with plural
forms (``msgid_plural``, ``msgstr[0]``, ``msgstr[1]``) is picked by the message's value ``n``, by
the rule of the .po's ``Plural-Forms`` header (English ``n != 1``, French ``n > 1``): give a count
the name ``n`` and the catalog says "1 check failed", "2 checks failed", never "check(s)".
``centrale.core.i18n_catalog`` reads the catalogs, once per process and language: the .po itself
(Babel) in a source tree, the .mo compiled when a wheel is built (``hatch_build.py``) in an
installed one, which carries no .po — so no compiled file can be out of date (the reasons and
the cost are in that module).

A maintainer adding a message (docs/translating.md):

1. say it in the code by key: ``Msg("err.area.what", path=p)``, ``t("out.cmd.line", n=3)``, or
   ``cli_help("help.cmd")`` for a --help text;
2. ``make messages``: extracts every key the code names into ``centrale/core/locale/centrale.pot``
   (where each is used), and adds the new keys, with empty texts, to both .po files;
3. write the English and the French text in the two .po files (plural forms if it counts);
4. nothing to compile by hand: the source tree reads the .po, and building a wheel compiles it
   (``make messages-check`` compiles both to a temporary directory to try it). The tests
   (tests/core/test_translations.py, tests/core/test_messages.py) fail on an empty text, on placeholders
   that differ between the languages, or on a .pot behind the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from centrale.core.i18n_catalog import catalog

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language_from_locale(locale: Mapping[str, str]) -> Lang:
    """POSIX order: the first non-empty of LC_ALL, LC_MESSAGES, LANG decides; ``fr_*`` is French."""
    for name in LOCALE_VARIABLES:
        value = locale.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def as_lang(value: str | None) -> Lang | None:
    """``value`` when it names a language we speak, else None (bad ``?lang=`` values are ignored)."""
    return "fr" if value == "fr" else "en" if value == "en" else None


class Translator:
    """``t("key", n=3)``: the message in one language, ``str.format``-ed (``Msg`` values in the
    same language)."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang

    def __call__(self, key: str, /, **values: object) -> str:
        return Msg(key, **values).render(self.lang)

    def has(self, key: str) -> bool:
        return key in catalog(self.lang).texts

    def text(self, text: Text) -> str:
        """A ``Msg`` in this language; a plain string (a server's own words) as it is."""
        return render(text, self.lang)


@dataclass(frozen=True, slots=True, init=False)
class Msg:
    """A message for a user, not yet in a language: ``Msg("err.config.not_found", path=p)``.

    ``str()`` is the English text, so code that logs or stores it is unchanged; values that are
    themselves ``Msg`` are rendered in the same language. A key with plural forms takes its
    count as the value ``n``: ``Msg("doctor.failed", n=len(failed))``."""

    key: str
    values: tuple[tuple[str, object], ...]

    def __init__(self, key: str, /, **values: object) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", tuple(values.items()))

    def render(self, lang: Lang) -> str:
        values = dict(self.values)
        text = catalog(lang).text(self.key, values.get("n"))
        if not values:
            return text
        return text.format(**{k: render(v, lang) if isinstance(v, Msg) else v for k, v in values.items()})

    def __str__(self) -> str:
        return self.render("en")


Text = str | Msg  # a plain str is a foreign text (a server's error) shown as it is


def render(text: Text, lang: Lang) -> str:
    return text.render(lang) if isinstance(text, Msg) else text
