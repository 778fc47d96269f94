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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from centrale.core.catalog import Catalog, TableSpec, load_default_tables
from centrale.core.db import ConnParams, mask_url, parse_hosts, parse_url
from centrale.core.envoverrides import CONFIG_ENV, apply_env, env_error, stray_variables
from centrale.core.errors import ConfigError
from centrale.core.i18n import Msg, Text


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
        try:
            parse_url(raw)  # parsed here once, so that no later use of it can fail
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return v

    @property
    def params(self) -> ConnParams:
        """How to reach the store's (or head office's own) database: the one parse of ``url``."""
        return parse_url(self.url.get_secret_value())


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
    catchup_batch_rows: Annotated[int, Field(ge=0, le=100_000)] = 5_000


class OutboxSection(_Section):
    path: Path = Path("var/outbox.db")
    # Shipped rows kept this long, so that a head office restored from a backup gets them again
    # (centrale/core/outbox/retention.py); 0 keeps none.
    keep_shipped_h: Annotated[float, Field(ge=0, le=24 * 366)] = 168.0

    @property
    def keep_shipped_s(self) -> float:
        return self.keep_shipped_h * 3600


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
    warnings: tuple[Text, ...] = ()

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
        raise ConfigError(Msg("err.config.no_file"), hint=Msg("err.config.no_file.hint", env=CONFIG_ENV))
    return Path(raw)


def load(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, merge with the environment, validate and freeze one site's configuration."""
    env = os.environ if env is None else env
    raw = _read_toml(path)
    given = apply_env(raw, env)
    warnings: list[Text] = []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0
    if mode & 0o077:
        warnings.append(Msg("err.config.readable", path=path, mode=f"{mode:o}"))
    try:
        model = _FileModel.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(path, exc, given) from None
    hq = model.hq
    if hq.password_env:
        if hq.password_env not in env:
            raise ConfigError(
                Msg("err.config.password_env", path=path, var=hq.password_env),
                hint=Msg("err.config.password_env.hint", var=hq.password_env),
            )
        hq = hq.model_copy(update={"password": SecretStr(env[hq.password_env])})
    warnings += stray_variables(env, {hq.password_env} if hq.password_env else set())
    console = _check_console(path, model.console)
    base = path.parent
    hq = _resolve_tls(path, base, hq)
    outbox = model.outbox.model_copy(update={"path": _resolve(base, model.outbox.path)})
    log = model.log.model_copy(update={"dir": _resolve(base, model.log.dir)})
    tables = model.tables if model.tables is not None else load_default_tables()
    try:
        catalog = Catalog.from_tables(tables, sample=model.tables is None)
    except ValueError as exc:
        raise ConfigError(Msg("err.config.tables", path=path, error=exc), hint=Msg("err.config.tables.hint")) from None
    if model.site.role == "store":
        missing = [k for k in ("host", "database", "user") if getattr(hq, k) is None]
        if missing:
            keys = ", ".join(f"hq.{k}" for k in missing)
            raise ConfigError(
                Msg("err.config.hq_missing", path=path, keys=keys),
                hint=Msg("err.config.hq_missing.hint", key=f"hq.{missing[0]}"),
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
            Msg("err.config.console_open", path=path, host=console.host),
            hint=Msg("err.config.console_open.hint"),
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
        raise ConfigError(
            Msg("err.config.flag", key=key, value=err.get("input"), error=err["msg"]),
            hint=Msg("err.config.flag.hint", key=key),
        ) from None
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
                Msg("err.config.tls_file", path=path, key=f"hq.{key}", value=str(value)),
                hint=Msg("err.config.tls_file.hint", key=f"hq.{key}"),
            )
        update[key] = full
    if (hq.ssl_cert is None) != (hq.ssl_key is None):
        raise ConfigError(Msg("err.config.tls_pair", path=path), hint=Msg("err.config.tls_pair.hint"))
    return hq.model_copy(update=update) if update else hq


def _resolve(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else (base / p)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Msg("err.config.not_found", path=path), hint=Msg("err.config.not_found.hint")) from None
    except OSError as exc:
        raise ConfigError(
            Msg("err.config.unreadable", path=path, error=exc.strerror), hint=Msg("err.config.unreadable.hint")
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Msg("err.config.toml", path=path, error=exc), hint=Msg("err.config.toml.hint")) from None


def _config_error(path: Path, exc: ValidationError, given: Mapping[str, str]) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    shown = "***" if any(s in loc for s in ("password", "url")) else repr(err.get("input"))
    if loc in given:  # the service's environment set it, not the file
        return env_error(given[loc], loc, kind, shown, err["msg"])
    if kind == "extra_forbidden":
        section = ".".join(str(p) for p in err["loc"][:-1])
        return ConfigError(
            Msg("err.config.unknown_key", path=path, key=loc),
            hint=Msg("err.config.unknown_key.hint_section", section=section)
            if section
            else Msg("err.config.unknown_key.hint"),
        )
    if kind == "missing":
        return ConfigError(
            Msg("err.config.missing_key", path=path, key=loc), hint=Msg("err.config.missing_key.hint", key=loc)
        )
    return ConfigError(
        Msg("err.config.bad_value", path=path, key=loc, value=shown, error=err["msg"]),
        hint=Msg("err.config.bad_value.hint", key=loc),
    )


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
