"""Site configuration: one TOML file per site, resolved once, validated, frozen, passed down.

Resolution order: built-in defaults < TOML file < environment (``CENTRALE_<SECTION>_<KEY>``,
e.g. ``CENTRALE_HQ_PASSWORD``) < command-line flags. This is the only module that reads the
environment. Secrets are ``SecretStr`` so no repr, log line or error message shows them.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from centrale.catalog import Catalog, TableSpec, load_default_tables
from centrale.db import mask_url, parse_hosts
from centrale.errors import ConfigError

CONFIG_ENV = "CENTRALE_CONFIG"
ENV_PREFIX = "CENTRALE_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteSection(_Section):
    role: Literal["store", "hq"]
    store: Annotated[int, Field(ge=1, le=2_147_483_647)]
    name: str = ""
    hq_store: Annotated[int, Field(ge=1, le=2_147_483_647)]


class LocalSection(_Section):
    url: SecretStr
    reader_server_id: Annotated[int, Field(ge=1, le=4_294_967_295)] | None = None
    heartbeat_s: Annotated[float, Field(gt=0, le=60)] = 1.0

    @field_validator("url")
    @classmethod
    def _url_shape(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if not raw.startswith(("mysql://", "mariadb://", "mysql+pymysql://")):
            raise ValueError("must look like mysql://user:pass@host:3306/database")
        return v


class HqSection(_Section):
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 3306
    database: str | None = None
    user: str | None = None
    password: SecretStr = SecretStr("")
    password_env: str | None = None
    connect_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    read_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    origin_column: str = "origin_store"
    ssl_ca: Path | None = None  # verify head office's certificate against this CA
    ssl_cert: Path | None = None  # client certificate (with ssl_key), if head office asks for one
    ssl_key: Path | None = None
    require_tls: bool = False  # refuse to talk to head office in plaintext
    verify_hostname: bool = True  # with ssl_ca: the certificate must name hq.host

    @field_validator("host")
    @classmethod
    def _hosts_shape(cls, v: str | None) -> str | None:
        if v is not None:
            parse_hosts(v, 3306)  # ValueError names the entry; the port is checked per entry
        return v


class ShipSection(_Section):
    batch_rows: Annotated[int, Field(ge=1, le=100_000)] = 20
    interval_s: Annotated[float, Field(gt=0, le=86_400)] = 30.0
    # Catch-up after an outage: with more than catchup_after_rows waiting, batches of
    # catchup_batch_rows rows (whole transactions still; 0 = never) until the backlog is gone.
    catchup_after_rows: Annotated[int, Field(ge=1, le=100_000_000)] = 10_000
    catchup_batch_rows: Annotated[int, Field(ge=0, le=100_000)] = 2_000


class OutboxSection(_Section):
    path: Path = Path("var/outbox.db")


class LogSection(_Section):
    dir: Path = Path("var/log")
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class OptionsSection(_Section):
    """Per-store choices about what head office's pulls may overwrite (the seed's new options)."""

    receive_prices: bool = True
    receive_printers: bool = True


class JobsSection(_Section):
    interval_s: Annotated[float, Field(gt=0, le=86_400)] = 30.0
    ttl_h: Annotated[float, Field(gt=0, le=24 * 365)] = 72.0


class ConsoleSection(_Section):
    """The web console (`centrale run` on a store, `centrale console` anywhere).

    Loopback by default: the console can change the configuration and start actions, so a
    bind anyone else can reach needs a password (checked in ``load``)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8618
    password: SecretStr | None = None
    language: Literal["auto", "fr", "en"] = "auto"
    stale_after_s: Annotated[float, Field(gt=0, le=30 * 86_400)] = 600.0

    @property
    def loopback(self) -> bool:
        return self.host == "localhost" or self.host.startswith(("127.", "::1"))


class _FileModel(_Section):
    site: SiteSection
    local: LocalSection
    hq: HqSection = HqSection()
    ship: ShipSection = ShipSection()
    outbox: OutboxSection = OutboxSection()
    log: LogSection = LogSection()
    options: OptionsSection = OptionsSection()
    jobs: JobsSection = JobsSection()
    console: ConsoleSection = ConsoleSection()
    tables: dict[str, TableSpec] | None = None


class Config(BaseModel):
    """The validated, frozen configuration of one site."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: Path
    site: SiteSection
    local: LocalSection
    hq: HqSection
    ship: ShipSection
    outbox: OutboxSection
    log: LogSection
    options: OptionsSection
    jobs: JobsSection
    console: ConsoleSection
    catalog: Catalog
    warnings: tuple[str, ...] = ()

    @property
    def is_hq(self) -> bool:
        return self.site.role == "hq"

    @property
    def reader_server_id(self) -> int:
        """The replica id the binlog reader announces; must differ from every server and reader."""
        if self.local.reader_server_id is not None:
            return self.local.reader_server_id
        return 3_000_000_000 + self.site.store

    def hq_password(self) -> str:
        return self.hq.password.get_secret_value()


def config_path(flag: str | None) -> Path:
    """Where the config file is: the --config flag, else $CENTRALE_CONFIG."""
    raw = flag or os.environ.get(CONFIG_ENV)
    if not raw:
        raise ConfigError(
            "no configuration file given",
            hint=f"pass --config PATH or set {CONFIG_ENV}=PATH",
        )
    return Path(raw)


def load(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, merge with the environment, validate and freeze one site's configuration."""
    env = os.environ if env is None else env
    raw = _read_toml(path)
    _apply_env(raw, env)
    warnings: list[str] = []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0
    if mode & 0o077:
        warnings.append(
            f"{path} is readable by other users (mode {mode:o}); it may hold passwords: run `chmod 600 {path}`"
        )
    try:
        model = _FileModel.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, exc) from None
    hq = model.hq
    if hq.password_env:
        if hq.password_env not in env:
            raise ConfigError(
                f"{path}: hq.password_env names ${hq.password_env}, which is not set",
                hint=f"export {hq.password_env}=... before starting, or set hq.password",
            )
        hq = hq.model_copy(update={"password": SecretStr(env[hq.password_env])})
    console = model.console
    if console.password is not None and not console.password.get_secret_value():
        console = console.model_copy(update={"password": None})
    if not console.loopback and console.password is None:
        raise ConfigError(
            f"{path}: `console.host` = {console.host!r} is reachable from other machines and `console.password` "
            "is not set",
            hint='set console.password (or CENTRALE_CONSOLE_PASSWORD), or keep console.host = "127.0.0.1"',
        )
    base = path.parent
    hq = _resolve_tls(path, base, hq)
    outbox = model.outbox.model_copy(update={"path": _resolve(base, model.outbox.path)})
    log = model.log.model_copy(update={"dir": _resolve(base, model.log.dir)})
    tables = model.tables if model.tables is not None else load_default_tables()
    try:
        catalog = Catalog.from_tables(tables)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}", hint="fix the [tables.*] entries") from None
    if model.site.role == "store":
        missing = [k for k in ("host", "database", "user") if getattr(hq, k) is None]
        if missing:
            keys = ", ".join(f"hq.{k}" for k in missing)
            raise ConfigError(
                f"{path}: a store needs the head-office coordinates; missing {keys}",
                hint=f"run `centrale config set hq.{missing[0]} VALUE` for each",
            )
    return Config(
        source=path,
        site=model.site,
        local=model.local,
        hq=hq,
        ship=model.ship,
        outbox=outbox,
        log=log,
        options=model.options,
        jobs=model.jobs,
        console=console,
        catalog=catalog,
        warnings=tuple(warnings),
    )


def _check_console(path: Path, console: ConsoleSection) -> ConsoleSection:
    """An empty password is no password; a console others can reach must have one."""
    if console.password is not None and not console.password.get_secret_value():
        console = console.model_copy(update={"password": None})
    if not console.loopback and console.password is None:
        raise ConfigError(
            f"{path}: `console.host` = {console.host!r} is reachable from other machines and `console.password` "
            "is not set",
            hint='set console.password (or CENTRALE_CONSOLE_PASSWORD), or keep console.host = "127.0.0.1"',
        )
    return console


def with_console(cfg: Config, *, host: str | None = None, port: int | None = None) -> Config:
    """`centrale console --host/--port`: flags override the file, validated by the same rules."""
    raw = {**cfg.console.model_dump(), **({"host": host} if host else {}), **({"port": port} if port else {})}
    try:
        console = ConsoleSection.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"--{key} {err.get('input')!r}: {err['msg']}", hint=f"fix the --{key} flag") from None
    return cfg.model_copy(update={"console": _check_console(cfg.source, console)})


def _resolve_tls(path: Path, base: Path, hq: HqSection) -> HqSection:
    """TLS files exist, relative paths are the config file's, a certificate has its key."""
    update: dict[str, Path] = {}
    for key in ("ssl_ca", "ssl_cert", "ssl_key"):
        value = getattr(hq, key)
        if value is None:
            continue
        full = _resolve(base, value)
        if not full.is_file():
            raise ConfigError(
                f"{path}: `hq.{key}` = {str(value)!r}: no such file", hint=f"copy the file there or fix hq.{key}"
            )
        update[key] = full
    if (hq.ssl_cert is None) != (hq.ssl_key is None):
        raise ConfigError(f"{path}: `hq.ssl_cert` and `hq.ssl_key` go together", hint="set both, or neither")
    return hq.model_copy(update=update) if update else hq


def _resolve(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else (base / p)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {path} does not exist",
            hint="check the path given with --config / CENTRALE_CONFIG (examples/store.toml is a starting point)",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", hint="check its permissions") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the syntax at that line") from None


_ENV_SECTIONS = ("site", "local", "hq", "ship", "outbox", "log", "options", "jobs", "console")


def _apply_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """Overlay CENTRALE_<SECTION>_<KEY> variables onto the file's values."""
    for section in _ENV_SECTIONS:
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        for name, value in env.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                key = name[len(prefix) :].lower()
                target = raw.setdefault(section, {})
                if isinstance(target, dict):
                    target[key] = value


def _config_error(path: Path, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        section = ".".join(str(p) for p in err["loc"][:-1])
        return ConfigError(
            f"{path}: unknown key `{loc}`",
            hint=f"remove it or fix its spelling; see the configuration reference for [{section}]"
            if section
            else "remove it or fix its spelling; see the configuration reference",
        )
    if kind == "missing":
        return ConfigError(
            f"{path}: required key `{loc}` is missing",
            hint=f"add it, e.g. `centrale config set {loc} VALUE`",
        )
    shown = "***" if any(s in loc for s in ("password", "url")) else repr(err.get("input"))
    return ConfigError(
        f"{path}: `{loc}` = {shown}: {err['msg']}",
        hint=f"fix it in the file or with `centrale config set {loc} VALUE`",
    )


# --- editing ---------------------------------------------------------------------------------


def set_value(path: Path, dotted_key: str, value: str, env: Mapping[str, str] | None = None) -> Config:
    """Change one key in the file, keeping its comments; refuse a change that would not validate."""
    return set_values(path, [(dotted_key, value)], env)


def set_values(path: Path, pairs: list[tuple[str, str]], env: Mapping[str, str] | None = None) -> Config:
    """Change several keys at once (e.g. a certificate and its key), all or nothing."""
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist", hint="check --config") from None
    for dotted_key, value in pairs:
        parts = dotted_key.split(".")
        if len(parts) < 2 or not all(parts):
            raise ConfigError(
                f"`{dotted_key}` is not a dotted key",
                hint="use SECTION.KEY, e.g. `centrale config set hq.host 203.0.113.10`",
            )
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
        raise ConfigError(str(exc.message).replace(str(tmp), str(path)) + " (file left unchanged)", exc.hint) from None
    os.replace(tmp, path)
    return new.model_copy(update={"source": path})


def _parse_value(value: str) -> Any:
    try:
        return tomlkit.parse(f"v = {value}")["v"]
    except Exception:
        return value


def masked_view(cfg: Config) -> dict[str, Any]:
    """The configuration as a plain dict with every secret masked (for `config show`)."""
    return {
        "site": cfg.site.model_dump(),
        "local": {**cfg.local.model_dump(), "url": mask_url(cfg.local.url.get_secret_value())},
        "hq": {
            **cfg.hq.model_dump(),
            "password": "***" if cfg.hq.password.get_secret_value() else "",
        },
        "ship": cfg.ship.model_dump(),
        "outbox": {"path": str(cfg.outbox.path)},
        "log": {"dir": str(cfg.log.dir), "level": cfg.log.level},
        "options": cfg.options.model_dump(),
        "jobs": cfg.jobs.model_dump(),
        "console": {**cfg.console.model_dump(), "password": "***" if cfg.console.password else ""},
        "tables": {name: spec.model_dump(exclude_none=True) for name, spec in cfg.catalog.tables.items()},
    }
