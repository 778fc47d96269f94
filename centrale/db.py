"""Database connections: the one place that parses URLs and opens PyMySQL connections.

Every connection to MariaDB goes through here so that timeouts, charset, time zone and
error translation are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pymysql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from centrale.errors import ConfigError


@dataclass(frozen=True)
class ConnParams:
    """Where and as whom to connect. ``password`` never appears in repr."""

    host: str
    port: int
    user: str
    database: str
    password: str = field(default="", repr=False)
    connect_timeout_s: float = 10.0
    read_timeout_s: float | None = None
    write_timeout_s: float | None = None
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    require_tls: bool = False
    verify_hostname: bool = True

    @property
    def tls(self) -> bool:
        """TLS is asked for explicitly (required, verified when a CA is given)."""
        return bool(self.ssl_ca or self.ssl_cert or self.require_tls)

    def describe(self) -> str:
        """A human label without the password, for messages and logs."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def pymysql_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
            "charset": "utf8mb4",
            "connect_timeout": max(1, round(self.connect_timeout_s)),
        }
        if self.read_timeout_s is not None:
            kw["read_timeout"] = self.read_timeout_s
        if self.write_timeout_s is not None:
            kw["write_timeout"] = self.write_timeout_s
        if self.ssl_ca:
            kw.update(ssl_ca=self.ssl_ca, ssl_verify_cert=True, ssl_verify_identity=self.verify_hostname)
        if self.ssl_cert:
            kw.update(ssl_cert=self.ssl_cert, ssl_key=self.ssl_key)
        if self.require_tls and not self.ssl_ca and not self.ssl_cert:
            kw["ssl"] = {"verify_mode": False}  # encrypted, not verified: say so in the docs
        return kw


def parse_url(url: str, *, what: str = "local.url") -> ConnParams:
    """Parse ``mysql://user:pass@host:port/database`` into connection parameters."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"`{what}` is not a valid database URL", hint="use mysql://user:pass@host:3306/database"
        ) from None
    if u.get_backend_name() not in ("mysql", "mariadb"):
        raise ConfigError(f"`{what}` must be a mysql:// URL", hint="use mysql://user:pass@host:3306/database")
    if not u.database:
        raise ConfigError(f"`{what}` names no database", hint="end the URL with /DATABASE")
    return ConnParams(
        host=u.host or "127.0.0.1",
        port=u.port or 3306,
        user=u.username or "root",
        password=u.password or "",
        database=u.database,
    )


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        u = make_url(url)
    except ArgumentError:
        return "***"
    return u.render_as_string(hide_password=True)


LOOPBACK = ("127.", "::1", "localhost")


def connect(params: ConnParams, *, autocommit: bool = True, **extra: Any) -> pymysql.connections.Connection:
    """Open one PyMySQL connection; the caller owns it. Loopback needs no TLS (and PyMySQL's
    opportunistic TLS costs ~20 ms per connection to set up)."""
    kw = params.pymysql_kwargs()
    kw.update(extra)
    if params.host.startswith(LOOPBACK) and not params.tls and not any(k.startswith("ssl") for k in extra):
        try:
            return pymysql.connect(autocommit=autocommit, ssl_disabled=True, **kw)
        except pymysql.err.OperationalError as exc:
            # A server with require_secure_transport refuses plaintext even on loopback, as
            # 3159 or as a plain "access denied" (MariaDB): try again, encrypted.
            if error_code(exc) not in (1045, 3159):
                raise
            try:
                return pymysql.connect(autocommit=autocommit, ssl={"verify_mode": False}, **kw)
            except pymysql.err.MySQLError:
                raise exc from None  # the first answer says what is wrong (a bad password...)
    return pymysql.connect(autocommit=autocommit, **kw)


def quote_ident(name: str) -> str:
    """Quote an identifier for MariaDB; catalog names are data, never pasted raw into SQL."""
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL byte")
    return "`" + name.replace("`", "``") + "`"


def quote_ident_fmt(name: str) -> str:
    """``quote_ident`` for statements that go through PyMySQL's %-formatting."""
    return quote_ident(name).replace("%", "%%")


def error_code(exc: BaseException) -> int | None:
    """The MariaDB error number of a PyMySQL error, if any."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


def hq_params(hq: Any) -> ConnParams:
    """Connection parameters for head office from a validated ``[hq]`` section."""
    if not hq.host or not hq.database or not hq.user:
        raise ConfigError(
            "head office is not defined (hq.host, hq.database, hq.user)",
            hint="run `centrale config set hq.host HOST` (and hq.port, hq.database, hq.user)",
        )
    return ConnParams(
        host=hq.host,
        port=hq.port,
        user=hq.user,
        database=hq.database,
        password=hq.password.get_secret_value(),
        connect_timeout_s=hq.connect_timeout_s,
        read_timeout_s=hq.read_timeout_s,
        write_timeout_s=hq.read_timeout_s,
        ssl_ca=str(hq.ssl_ca) if hq.ssl_ca else None,
        ssl_cert=str(hq.ssl_cert) if hq.ssl_cert else None,
        ssl_key=str(hq.ssl_key) if hq.ssl_key else None,
        require_tls=hq.require_tls,
        verify_hostname=hq.verify_hostname,
    )


def connection_hint(exc: BaseException) -> str:
    """The likely fix for a failed connection to head office, from its error."""
    text = str(exc.args[-1] if getattr(exc, "args", None) else exc)
    code = error_code(exc)
    if code == 1045:
        return "check hq.user and hq.password (a head office that requires TLS also says this: set hq.ssl_ca)"
    if code == 3159 or "insecure transport" in text:
        return "head office requires TLS: set hq.ssl_ca (its CA certificate) or hq.require_tls = true"
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return "head office's certificate is not signed by hq.ssl_ca, or does not name hq.host (hq.verify_hostname)"
    if "SSL is required" in text:
        return (
            "head office does not offer TLS: enable it there (ssl_cert/ssl_key in its my.cnf), or unset hq.require_tls"
        )
    return "check hq.host/hq.port, the link, and the port forward to head office's MariaDB"
