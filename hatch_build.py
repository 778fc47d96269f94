"""Hatch's build hook: a wheel gets each message catalog compiled, ``centrale.mo``, and no ``.po``.

The ``.po`` files of ``centrale/core/locale`` are the catalog's source; a source tree (and an
editable install, which runs from it) reads them directly, so this hook does nothing for an
editable build. A wheel carries the ``.mo`` compiled here from those very files, and not the
``.po`` (``[tool.hatch.build.targets.wheel] exclude``), which is how the runtime knows to read the
``.mo`` (centrale/core/i18n_catalog.py). A catalog with an empty text or a fuzzy entry is refused:
the runtime would not know that key.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("centrale") / "core" / "locale"


class CompileCatalogs(BuildHookInterface):  # type: ignore[misc]  # hatchling lives in the build env only
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._out = Path(tempfile.mkdtemp(prefix="centrale-mo-"))
        sources = sorted((Path(self.root) / LOCALE).glob("*/LC_MESSAGES/centrale.po"))
        if not sources:
            raise RuntimeError(f"no message catalog under {LOCALE}")
        for po in sources:
            with po.open("rb") as f:
                catalog = read_po(f)
            empty = [m.id for m in catalog if m.id and (m.fuzzy or not all(_forms(m.string)))]
            if empty:
                raise RuntimeError(f"{po}: fuzzy or untranslated entries: {', '.join(map(str, empty[:10]))}")
            rel = po.relative_to(self.root).with_suffix(".mo")
            mo = self._out / rel
            mo.parent.mkdir(parents=True, exist_ok=True)
            with mo.open("wb") as f:
                write_mo(f, catalog)
            build_data["force_include"][str(mo)] = rel.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)


def _forms(string: object) -> tuple[object, ...]:
    return tuple(string) if isinstance(string, tuple | list) else (string,)
