"""Changing a site's configuration file (`config set`, the console's settings): keys edited in
place with their comments kept, the result validated by ``config.load`` before it replaces the
file, all the pairs or none.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit

from centrale.core.config import Config, load
from centrale.core.errors import ConfigError
from centrale.core.i18n import Msg, Text


def set_value(path: Path, dotted_key: str, value: str, env: Mapping[str, str] | None = None) -> Config:
    """Change one key in the file, keeping its comments; refuse a change that would not validate."""
    return set_values(path, [(dotted_key, value)], env)


def set_values(path: Path, pairs: list[tuple[str, str]], env: Mapping[str, str] | None = None) -> Config:
    """Change several keys at once (e.g. a certificate and its key), all or nothing."""
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(Msg("err.config.not_found", path=path), hint=Msg("err.config.set_not_found.hint")) from None
    for dotted_key, value in pairs:
        parts = dotted_key.split(".")
        if len(parts) < 2 or not all(parts):
            raise ConfigError(Msg("err.config.not_dotted", key=dotted_key), hint=Msg("err.config.not_dotted.hint"))
        node: Any = doc
        for part in parts[:-1]:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        node[parts[-1]] = _parse_value(value)
    text = tomlkit.dumps(doc)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        new = load(tmp, env)
    except ConfigError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            Msg("err.config.left_unchanged", message=_retarget(exc.text, tmp, path)), exc.hint_text
        ) from None
    os.replace(tmp, path)
    return new.model_copy(update={"source": path})


def _retarget(text: Text, tmp: Path, path: Path) -> Text:
    """An error about the temporary copy, said of the file itself."""
    if isinstance(text, str):
        return text.replace(str(tmp), str(path))
    values = {
        k: path if v == tmp else v.replace(str(tmp), str(path)) if isinstance(v, str) else v for k, v in text.values
    }
    return Msg(text.key, **values)


def _parse_value(value: str) -> Any:
    try:
        return tomlkit.parse(f"v = {value}")["v"]
    except Exception:
        return value
