"""The exception tree and its exit codes: each error names its kind, and the README's table is
exactly ``ExitCode``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from centrale.core import errors
from centrale.core.errors import CentraleError, ExitCode

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("centrale", "cdc", "applier", "jobs")


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


def test_every_error_class_exits_with_a_code_of_the_table() -> None:
    for cls in _subclasses(CentraleError):
        assert isinstance(cls.exit_code, ExitCode), cls


def test_the_base_class_is_never_raised_itself() -> None:
    """A bare CentraleError would exit as unexpected: every raise says which kind of failure it is."""
    bare = []
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    func = node.exc.func
                    if isinstance(func, ast.Name) and func.id == "CentraleError":
                        bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def test_the_module_doc_names_each_code_of_its_classes() -> None:
    doc = errors.__doc__ or ""
    for cls in _subclasses(CentraleError)[1:]:
        line = next((ln for ln in doc.splitlines() if re.search(rf"\b{cls.__name__}\b", ln)), None)
        if line is not None and "exit" in line:
            assert f"exit {int(cls.exit_code)}" in line, (cls, line)


def test_the_readme_table_is_the_enum() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = [int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)]
    assert codes == sorted(int(c) for c in ExitCode)
