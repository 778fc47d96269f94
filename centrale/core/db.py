"""Database connections: the one place that parses URLs and opens PyMySQL connections.

Every connection to MariaDB goes through here so that timeouts, charset, time zone and
error translation are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pymysql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from centrale.core.errors import CentraleError, ConfigError, PreflightError, SourceError
from centrale.core.i18n import Msg


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
    # Further servers of the same database (a Galera cluster's other nodes), tried in order
    # when ``host`` does not answer or is not ready for writes.
    alternates: tuple[tuple[str, int], ...] = ()
    # The server's Unix socket (``?unix_socket=`` in a URL): the POS's server on the same PC
    # with networking off, or an account that exists as 'centrale'@'localhost' only.
    unix_socket: str | None = None

    @property
    def servers(self) -> tuple[tuple[str, int], ...]:
        return ((self.host, self.port), *self.alternates)

    def starting_at(self, host: str, port: int) -> ConnParams:
        """The same servers, ``host:port`` first (the one that answered last), then the others
        in their order: a dead node is not waited for on every reconnect."""
        servers = self.servers
        if (host, port) not in servers or (host, port) == servers[0]:
            return self
        i = servers.index((host, port))
        first, *rest = servers[i:] + servers[:i]
        return replace(self, host=first[0], port=first[1], alternates=tuple(rest))

    @property
    def tls(self) -> bool:
        """TLS is asked for explicitly (required, verified when a CA is given)."""
        return bool(self.ssl_ca or self.ssl_cert or self.require_tls)

    def describe(self) -> str:
        """A human label without the password, for messages and logs."""
        more = f" (+{len(self.alternates)} more)" if self.alternates else ""
        where = f"localhost:{self.unix_socket}" if self.unix_socket else _hostport(self.host, self.port)
        return f"{self.user}@{where}{more}/{self.database}"

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
        if self.unix_socket:
            kw["unix_socket"] = self.unix_socket
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


# What a database URL may add after ``?``: everything else is refused, naming it.
URL_OPTIONS = ("unix_socket",)


def parse_url(url: str, *, what: str = "local.url") -> ConnParams:
    """Parse ``mysql://user:pass@host:port/database[?unix_socket=/path]`` into connection
    parameters."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise ConfigError(Msg("err.db.bad_url", key=what), hint=Msg("err.db.url.hint")) from None
    if u.get_backend_name() not in ("mysql", "mariadb"):
        raise ConfigError(Msg("err.db.not_mysql", key=what), hint=Msg("err.db.url.hint"))
    if not u.database:
        raise ConfigError(Msg("err.db.no_database", key=what), hint=Msg("err.db.no_database.hint"))
    unknown = sorted(set(u.query) - set(URL_OPTIONS))
    if unknown:  # never ignored: a charset, TLS or timeout asked for here would silently not apply
        raise ConfigError(
            Msg("err.db.url_option", key=what, options=", ".join(unknown)),
            hint=Msg("err.db.url_option.hint", known=", ".join(URL_OPTIONS)),
        )
    socket = u.query.get("unix_socket")
    if isinstance(socket, tuple):
        raise ConfigError(Msg("err.db.url_option", key=what, options="unix_socket"), hint=Msg("err.db.url.hint"))
    return ConnParams(
        host=u.host or "127.0.0.1",
        port=u.port or 3306,
        user=u.username or "root",
        password=u.password or "",
        database=u.database,
        unix_socket=socket or None,
    )


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***."""
    try:
        u = make_url(url)
    except ArgumentError:
        return "***"
    return u.render_as_string(hide_password=True)


LOOPBACK = ("127.", "::1", "localhost")


def connect(
    params: ConnParams,
    *,
    autocommit: bool = True,
    factory: Callable[..., pymysql.connections.Connection] = pymysql.connect,
    **extra: Any,
) -> pymysql.connections.Connection:
    """Open one PyMySQL connection (made by ``factory``: a Connection subclass may be given);
    the caller owns it. With several servers (``alternates``) the first that answers and is
    ready for writes wins; the last server's error is raised when none does."""
    if not params.alternates:
        return _connect_one(params, autocommit, factory, extra)
    error: BaseException | None = None
    for host, port in params.servers:
        one = replace(params, host=host, port=port, alternates=())
        try:
            conn = _connect_one(one, autocommit, factory, extra)
        except pymysql.err.OperationalError as exc:
            if error_code(exc) in (1045, 1044, 1049, 3159):
                raise  # the account or database is wrong: every node will say the same
            error = exc
            continue
        if _ready_for_writes(conn):
            return conn
        conn.close()
        error = pymysql.err.OperationalError(1047, f"{_hostport(host, port)} is not ready (not in the cluster)")
    assert error is not None
    raise error


def _ready_for_writes(conn: pymysql.connections.Connection) -> bool:
    """A Galera node cut from the cluster's primary component accepts logins but answers 1047
    to every table: skip it. A server without Galera has no such variable and is ready."""
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep_ready'")
        row = cur.fetchone()
        if row is None:
            return True
        cur.execute("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
        on = cur.fetchone()
    return not on or str(on[1]).upper() != "ON" or str(row[1]).upper() == "ON"


def connect_store(
    params: ConnParams, *, error: type[CentraleError] = SourceError, **extra: Any
) -> pymysql.connections.Connection:
    """The store's own database (``local.url``), its connection errors turned into ours here once,
    so that capture, a snapshot, a pull, doctor, status and ``hq`` all name the same fix. ``error``
    is the class the caller's loop decides on (a job is interrupted, capture is a source outage)."""
    try:
        return connect(params, **extra)
    except pymysql.err.MySQLError as exc:
        raise error(
            Msg("err.local.unreachable", where=params.describe(), error=exc.args[-1]),
            hint=local_connection_hint(exc),
        ) from None


def _connect_one(
    params: ConnParams,
    autocommit: bool,
    factory: Callable[..., pymysql.connections.Connection],
    extra: dict[str, Any],
) -> pymysql.connections.Connection:
    """Loopback needs no TLS (and PyMySQL's opportunistic TLS costs ~20 ms per connection)."""
    kw = params.pymysql_kwargs()
    kw.update(extra)
    if params.host.startswith(LOOPBACK) and not params.tls and not any(k.startswith("ssl") for k in extra):
        try:
            return factory(autocommit=autocommit, ssl_disabled=True, **kw)
        except pymysql.err.OperationalError as exc:
            # A server with require_secure_transport refuses plaintext even on loopback, as
            # 3159 or as a plain "access denied" (MariaDB): try again, encrypted.
            if error_code(exc) not in (1045, 3159):
                raise
            try:
                return factory(autocommit=autocommit, ssl={"verify_mode": False}, **kw)
            except pymysql.err.MySQLError:
                raise exc from None  # the first answer says what is wrong (a bad password...)
    return factory(autocommit=autocommit, **kw)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_hosts(spec: str, default_port: int) -> list[tuple[str, int]]:
    """``hq.host``: one server, or several of one cluster separated by commas, each
    ``name``, ``name:port`` or ``[IPv6]:port``. Raises ValueError naming the bad entry."""
    servers: list[tuple[str, int]] = []
    for raw in spec.split(","):
        entry = raw.strip()
        if not entry:
            raise ValueError(f"empty server name in {spec!r}")
        host, port = entry, default_port
        if entry.startswith("["):
            end = entry.find("]")
            if end < 0:
                raise ValueError(f"{entry!r}: an IPv6 address needs its closing ]")
            host, rest = entry[1:end], entry[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    raise ValueError(f"{entry!r}: expected [address]:port")
                port = _port(entry, rest[1:])
        elif entry.count(":") == 1:
            host, text = entry.split(":")
            port = _port(entry, text)
        if not host or any(c.isspace() for c in host):
            raise ValueError(f"{entry!r} is not a server name")
        servers.append((host, port))
    return servers


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return int(text)


def quote_ident(name: str) -> str:
    """Quote an identifier for MariaDB; catalog names are data, never pasted raw into SQL."""
    if "\x00" in name:
        raise ValueError(f"identifier {name!r} contains a NUL byte")
    return "`" + name.replace("`", "``") + "`"


def quote_ident_fmt(name: str) -> str:
    """``quote_ident`` for statements that go through PyMySQL's %-formatting."""
    return quote_ident(name).replace("%", "%%")


# Errors after which the same work may well succeed later, untouched: the link or the server
# went away, the server is starting or leaving a cluster, a lock conflict rolled it back.
TRANSIENT_CODES = frozenset(
    {1040, 1045, 1047, 1053, 1205, 1213, 1290, 1317, 1927, 2002, 2003, 2006, 2013, 2014, 2026, 2055, 4031}
)


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` says "try again later" rather than "this is wrong"."""
    if isinstance(exc, pymysql.err.InterfaceError | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, pymysql.err.MySQLError) and error_code(exc) in TRANSIENT_CODES


def error_code(exc: BaseException) -> int | None:
    """The MariaDB error number of a PyMySQL error, if any."""
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


def hq_params(hq: Any) -> ConnParams:
    """Connection parameters for head office from a validated ``[hq]`` section."""
    if not hq.host or not hq.database or not hq.user:
        raise ConfigError(Msg("err.db.no_hq"), hint=Msg("err.db.no_hq.hint"))
    first, *others = parse_hosts(hq.host, hq.port)
    return ConnParams(
        host=first[0],
        port=first[1],
        alternates=tuple(others),
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


# Errors a user's set-up causes (not the link, not a bug): the privilege an account lacks (table,
# column, database, global, routine), a database or a table that is not there, a column a
# catalog names that the table lacks.
DENIED_CODES = frozenset({1142, 1143, 1044, 1227, 1370})
UNKNOWN_DATABASE = 1049
NO_SUCH_TABLE = 1146
UNKNOWN_COLUMN = 1054
TRIGGERS_NEED_SUPER = 1419  # binlog on, log_bin_trust_function_creators off, no SUPER


def explain(exc: BaseException, error: type[CentraleError] = PreflightError) -> CentraleError | None:
    """A statement's error the set-up causes, as ``error`` with its message and fix; None for
    any other: a job or a command names it, instead of an "unexpected" error with a traceback."""
    code = error_code(exc)
    if not isinstance(exc, pymysql.err.MySQLError) or code is None:
        return None
    text = str(exc.args[-1])
    if code in DENIED_CODES:
        return error(Msg("err.db.denied", error=text), hint=Msg("err.db.denied.hint"))
    if code == NO_SUCH_TABLE:
        return error(Msg("err.db.no_table", error=text), hint=Msg("err.db.no_table.hint"))
    if code == UNKNOWN_DATABASE:
        return error(Msg("err.db.unknown_database", error=text), hint=Msg("err.db.unknown_database.hint"))
    if code == TRIGGERS_NEED_SUPER:
        return error(Msg("err.db.triggers_need_super", error=text), hint=Msg("err.db.triggers_need_super.hint"))
    if code == UNKNOWN_COLUMN:
        return error(Msg("err.db.no_column", error=text), hint=Msg("err.db.no_column.hint"))
    return None


def local_connection_hint(exc: BaseException) -> Msg:
    """The likely fix for a failed connection to this site's own database (``local.url``)."""
    code = error_code(exc)
    if code == 1045:
        return Msg("err.db.hint.local_access_denied")
    if code == UNKNOWN_DATABASE:
        return Msg("err.db.hint.local_unknown_database")
    return Msg("err.local.unreachable.hint")


def connection_hint(exc: BaseException) -> Msg:
    """The likely fix for a failed connection to head office, from its error."""
    text = str(exc.args[-1] if getattr(exc, "args", None) else exc)
    code = error_code(exc)
    if code == UNKNOWN_DATABASE:
        return Msg("err.db.hint.unknown_database")
    if code == 1045:
        return Msg("err.db.hint.access_denied")
    if code == 3159 or "insecure transport" in text:
        return Msg("err.db.hint.tls_required")
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return Msg("err.db.hint.certificate")
    if "SSL is required" in text:
        return Msg("err.db.hint.no_tls")
    return Msg("err.db.hint.unreachable")
