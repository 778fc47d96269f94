"""Settings from the environment, ``CENTRALE_<SECTION>_<KEY>``, laid over the TOML file's: and
where a value came from, so that an error names the variable to fix rather than a key of a file
that does not hold it (a service's environment is edited elsewhere than the file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from centrale.core.errors import ConfigError
from centrale.core.i18n import Msg

ENV_PREFIX = "CENTRALE_"
CONFIG_ENV = "CENTRALE_CONFIG"
SECTIONS = ("site", "local", "hq", "ship", "outbox", "log", "options", "jobs", "console")
# Read by the project's own scripts and test suite (sandbox/, tests/, scripts/ensure-mysql), not
# settings: never reported as strays.
OTHER_READERS = (
    CONFIG_ENV,
    "CENTRALE_TEST_",
    "CENTRALE_FAULT_RUN",
    "CENTRALE_SCREENSHOTS",
    "CENTRALE_MYSQL_ROOT",
    "CENTRALE_DEBIAN_MIRROR",
)


def apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Overlay the variables onto the file's values; returns ``"section.key"`` -> the variable
    that set it."""
    given: dict[str, str] = {}
    for section in SECTIONS:
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        for name, value in env.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                key = name[len(prefix) :].lower()
                target = raw.setdefault(section, {})
                if isinstance(target, dict):
                    target[key] = value
                    given[f"{section}.{key}"] = name
    return given


def stray_variables(env: Mapping[str, str], allowed: set[str]) -> list[Msg]:
    """Warnings for CENTRALE_* variables that name no section (CENTRALE_SHIPS_..., CENTRALE_HQPORT):
    nothing reads them, which their author did not mean."""
    read = tuple(f"{ENV_PREFIX}{s.upper()}_" for s in SECTIONS) + OTHER_READERS
    return [
        Msg("err.config.env_stray", var=name, sections=", ".join(SECTIONS))
        for name in sorted(env)
        if name.startswith(ENV_PREFIX) and name not in allowed and not name.startswith(read)
    ]


def env_error(var: str, key: str, kind: str, shown: str, error: str) -> ConfigError:
    """A value the environment gave that does not validate, or a key it names that does not exist."""
    if kind == "extra_forbidden":
        return ConfigError(Msg("err.config.env_unknown", var=var, key=key), hint=Msg("err.config.env_unknown.hint"))
    return ConfigError(
        Msg("err.config.env_bad_value", var=var, key=key, value=shown, error=error),
        hint=Msg("err.config.env_bad_value.hint", var=var),
    )
