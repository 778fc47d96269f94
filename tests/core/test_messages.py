"""Every message the CLI shows is translatable: errors and checks carry catalog keys (no English
written at a raise), every key named in the code exists with the values its text needs, and
the catalog holds no key nothing uses. A new untranslated error fails here."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrale.core import errors
from tests.core.po_catalog import parts, texts

MESSAGES = texts()  # key -> language -> its texts (one per plural form), from the .po files

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("centrale", "cdc", "applier", "jobs")
CHECK_BUILDERS = {"ok", "fail", "warn"}  # centrale.core.checks: (name, message, hint)


def sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def error_classes() -> set[str]:
    """CentraleError and its subclasses, those of centrale.core.errors and any defined elsewhere."""
    names = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, errors.CentraleError)}
    grew = True
    while grew:
        grew = False
        for _, tree in sources():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in names
                    and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)
                ):
                    names.add(node.name)
                    grew = True
    return names


def called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def untranslated(arg: ast.expr) -> bool:
    """Text written in place: a literal, an f-string, a concatenation, a call other than Msg(...).
    A variable or an attribute (``exc.text``, ``check.hint``) carries a message made elsewhere."""
    if isinstance(arg, ast.Constant):
        return arg.value is not None
    if isinstance(arg, ast.IfExp):
        return untranslated(arg.body) or untranslated(arg.orelse)
    if isinstance(arg, ast.BoolOp):
        return any(untranslated(v) for v in arg.values)
    if isinstance(arg, ast.Call):
        return called(arg) != "Msg"
    return not isinstance(arg, ast.Name | ast.Attribute)


def message_and_hint(node: ast.Call, skip: int) -> list[ast.expr]:
    args = list(node.args[skip : skip + 2])
    args += [k.value for k in node.keywords if k.arg in ("message", "hint")]
    return args


def test_every_error_and_check_says_a_catalog_message() -> None:
    classes = error_classes()
    assert {"CentraleError", "JobInterruptedError", "BatchRejectedError"} <= classes
    seen, bad = 0, []
    for rel, tree in sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = called(node)
            if name in classes or name in CHECK_BUILDERS:
                seen += 1
                skip = 1 if name in CHECK_BUILDERS else 0
                if len(node.args) <= skip and not any(k.arg == "message" for k in node.keywords):
                    bad.append(f"{rel}:{node.lineno} {name}() without a message")
                for arg in message_and_hint(node, skip):
                    if untranslated(arg):
                        bad.append(f"{rel}:{node.lineno} {name}(... {ast.unparse(arg)[:60]} ...)")
    assert seen > 130, "the scan found too little: it is wrong"
    assert bad == [], "say these with Msg(key, ...) and put the key in the catalog:\n" + "\n".join(bad)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def msg_calls() -> Iterator[tuple[str, ast.Call]]:
    for rel, tree in sources():
        if rel == "centrale/core/i18n.py":  # where Msg is defined, and Translator builds one from its key
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called(node) in ("Msg", "cli_help"):  # cli_help: a --help text
                yield rel, node


def keys_of(node: ast.Call) -> list[str]:
    """The key a Msg(...) names: a literal, or either branch of a conditional."""
    first = node.args[0] if node.args else None
    if isinstance(first, ast.IfExp):
        return [b.value for b in (first.body, first.orelse) if isinstance(b, ast.Constant)]
    return [first.value] if isinstance(first, ast.Constant) and isinstance(first.value, str) else []


def test_every_msg_names_a_key_of_the_catalog_with_the_values_its_text_needs() -> None:
    bad, seen = [], 0
    for rel, node in msg_calls():
        keys = keys_of(node)
        rebuilt = bool(node.args) and isinstance(node.args[0], ast.Attribute) and node.args[0].attr == "key"
        if not keys and not rebuilt:  # Msg(other.key, ...): the same message with other values
            bad.append(f"{rel}:{node.lineno} Msg() without a literal key")
        given = {k.arg for k in node.keywords}
        for key in keys:
            seen += 1
            if key not in MESSAGES:
                bad.append(f"{rel}:{node.lineno} unknown key {key!r}")
            elif None not in given and given != placeholders(MESSAGES[key]["en"][0]):
                bad.append(
                    f"{rel}:{node.lineno} {key!r} given {sorted(given)} wants {placeholders(MESSAGES[key]['en'][0])}"
                )
    assert seen > 150
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("part", ["errors", "rooms", "capture", "checks", "help"])
def test_no_key_of_the_errors_and_checks_is_left_unused(part: str) -> None:
    used = {
        node.value
        for _, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert parts()[part], part
    assert parts()[part] - used == set()
