"""Serving the console: uvicorn in a thread, on a socket bound here first so that a port in
use is one line naming ``console.port``, not a traceback from inside the server."""

from __future__ import annotations

import errno
import socket
import threading
import time

import uvicorn

from centrale.app.console.app import build_app
from centrale.app.console.state import ConsoleState, LiveConfig
from centrale.core.config import Config
from centrale.core.errors import ConfigError
from centrale.core.i18n import Lang, Msg

START_TIMEOUT_S = 10.0


class ConsoleServer:
    """``start()`` binds and serves in a thread; ``stop()`` lets requests finish and closes."""

    def __init__(self, cfg: Config, *, locale_lang: Lang = "en", live: LiveConfig | None = None) -> None:
        self.host = "127.0.0.1" if cfg.console.host == "localhost" else cfg.console.host
        self.port = cfg.console.port
        self.state = ConsoleState(live or LiveConfig(cfg), locale_lang)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def start(self) -> ConsoleServer:
        self._sock = _bind(self.host, self.port)
        config = uvicorn.Config(
            build_app(self.state),
            log_config=None,
            access_log=False,
            lifespan="off",
            log_level="warning",
            loop="asyncio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="console", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._server.started:
            self.stop()
            raise ConfigError(
                Msg("err.console.not_started", where=self.where), hint=Msg("err.console.not_started.hint")
            )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self.state.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                Msg("err.console.port_in_use", port=port, host=host), hint=Msg("err.console.port_in_use.hint")
            ) from None
        raise ConfigError(
            Msg("err.console.cannot_listen", host=host, port=port, error=exc.strerror),
            hint=Msg("err.console.cannot_listen.hint"),
        ) from None
    sock.set_inheritable(True)
    return sock
