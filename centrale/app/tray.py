"""`centrale tray`: the store PC's blue cloud in the notification area, as the original product
shows it. Its menu says what a clerk or a hotline asks first (the version, which store this is,
head office or not, whether sales are captured and shipped) and opens the action screen (the web
console); left click opens it too. The light is refreshed every ``REFRESH_S`` in a thread, and
the worst one colours a dot on the cloud, so that a problem shows without opening the menu.

pystray draws the icon (the ``tray`` extra: ``pip install 'centrale[tray]'``); it is imported
only by ``load_toolkit``, so that without it the command fails with the fix, not a traceback.
Its backend decides what a click can do:

- Windows (the store PCs): ``win32``, a menu on right click and the default action on left click.
- Linux: ``gtk`` (``Gtk.StatusIcon`` in any XEmbed tray; PyGObject, a Linux-only part of the
  extra), which has both as well. It is chosen here unless ``PYSTRAY_BACKEND`` says otherwise:
  pystray 0.19.5 tries ``appindicator`` first, whose import raises ``ValueError`` (not the
  ``ImportError`` its fallback expects) where no AppIndicator library is installed, and which
  has no default action. Its last resort, ``xorg``, shows the icon but no menu, and does not
  ask X for clicks at all (pystray issue #151): a tray that cannot be used.

That is why tests/app/test_tray.py runs the real thing under Xvfb with the gtk backend in a
small XEmbed tray, right-clicks it, and reads the menu there, not only pystray's model of it.

"Open the console" must lead to a page: `run` serves the console on ``console.port``; when
nothing answers there (`run` stopped, or the store's database down so `run` keeps exiting) the
tray serves it itself, in-process, until Quit, as `centrale console` would.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pymysql

from centrale.app.console.server import ConsoleServer
from centrale.app.console.storeview import Light, capture_light, shipping_light
from centrale.app.status import site_status
from centrale.core import __version__
from centrale.core.config import Config
from centrale.core.errors import CentraleError, PreflightError
from centrale.core.i18n import Lang, Msg, Translator
from centrale.core.log import get_logger

if TYPE_CHECKING:
    from PIL.Image import Image

log = get_logger("tray")

REFRESH_S = 10.0
ICON_PX = 64
REASON_CHARS = 70  # a menu line stays readable; the console has the whole text
BLUE = (33, 118, 214, 255)
DOTS = {"green": (34, 160, 70, 255), "amber": (240, 160, 0, 255), "red": (214, 40, 40, 255)}
SEVERITY = ("green", "amber", "red")
# The parts a light can describe, by their literal key (the message catalog finds them so).
PARTS = {
    "capture": "part.capture",
    "shipping": "part.shipping",
    "stores": "part.stores",
    "status": "part.status",
}


def load_toolkit() -> Any:
    """pystray, with a backend that has a menu and a left click (the module docstring says
    why gtk on Linux). Raises PreflightError naming the fix when it is not installed or finds
    no desktop to show the icon on."""
    not_installed = PreflightError(Msg("err.tray.not_installed"), hint=Msg("err.tray.not_installed.hint"))
    if sys.platform.startswith("linux"):
        os.environ.setdefault("PYSTRAY_BACKEND", "gtk")  # read by pystray when it is imported
        if os.environ["PYSTRAY_BACKEND"] == "gtk" and importlib.util.find_spec("gi") is None:
            raise not_installed  # pystray would only say "this platform is not supported"
    try:
        return importlib.import_module("pystray")
    except Exception as exc:  # ImportError, or gi's ValueError: the backend cannot start
        if isinstance(exc, ModuleNotFoundError) and exc.name in ("pystray", "PIL", "six", "Xlib"):
            raise not_installed from None
        raise PreflightError(Msg("err.tray.no_desktop", error=str(exc)), hint=Msg("err.tray.no_desktop.hint")) from None


def cloud_image(light: str) -> Image:
    """The icon: a blue cloud on a transparent square, and a dot of the light's colour at its
    lower right (green, amber, red). Drawn four times larger and scaled down, for smooth edges
    at the 16 to 32 pixels a notification area shows."""
    from PIL import Image, ImageDraw

    k = 4
    big = Image.new("RGBA", (ICON_PX * k, ICON_PX * k), (255, 255, 255, 0))
    d = ImageDraw.Draw(big)
    for x0, y0, x1, y1 in ((4, 26, 30, 52), (14, 12, 44, 42), (32, 20, 60, 48)):  # three puffs
        d.ellipse((x0 * k, y0 * k, x1 * k, y1 * k), fill=BLUE)
    d.rounded_rectangle((10 * k, 32 * k, 54 * k, 52 * k), radius=10 * k, fill=BLUE)  # the flat base
    if light in DOTS:
        d.ellipse((38 * k, 38 * k, 63 * k, 63 * k), fill=(255, 255, 255, 255))  # a white ring
        d.ellipse((42 * k, 42 * k, 59 * k, 59 * k), fill=DOTS[light])
    small = big.convert("RGBa").resize((ICON_PX, ICON_PX), Image.Resampling.LANCZOS)  # premultiplied
    return small.convert("RGBA")


@dataclass(frozen=True)
class TrayView:
    """What the menu says, gathered in one blocking call: ``lights`` are (part, Light) pairs."""

    version: str
    store: int
    name: str
    is_hq: bool
    hq_store: int
    lights: tuple[tuple[str, Light], ...]

    @property
    def color(self) -> str:
        """The worst light's colour: the dot on the cloud."""
        return max((light.color for _, light in self.lights), key=SEVERITY.index, default="green")


def tray_view(cfg: Config, now: float | None = None) -> TrayView:
    """A store's capture and shipping lights (as its console page has them); head office's
    light is whether its stores report. A status that cannot be read at all is a red light
    with the reason, never a missing icon."""
    lights: tuple[tuple[str, Light], ...]
    try:
        st = site_status(cfg)
    except CentraleError as exc:
        lights = (("status", Light("red", "tray.light.unreadable", {"error": exc.text})),)
    except (pymysql.err.MySQLError, OSError) as exc:
        lights = (("status", Light("red", "tray.light.unreadable", {"error": str(exc)})),)
    else:
        if cfg.is_hq:
            lights = (("stores", stores_light(st["stores"], cfg.console.stale_after_s, now)),)
        else:
            lights = (("capture", capture_light(st)), ("shipping", shipping_light(st, cfg.ship.interval_s)))
    return TrayView(__version__, cfg.site.store, cfg.site.name, cfg.is_hq, cfg.site.hq_store, lights)


def stores_light(stores: list[dict[str, Any]], stale_after_s: float, now: float | None = None) -> Light:
    """Head office: amber when a store has not been heard from for ``console.stale_after_s``
    (its page marks it stale the same way)."""
    at = time.time() if now is None else now
    if not stores:
        return Light("amber", "tray.light.no_stores")
    silent = [s for s in stores if s.get("last_contact_ts") is None or at - s["last_contact_ts"] > stale_after_s]
    if silent:
        return Light("amber", "tray.light.stores_silent", {"silent": len(silent), "total": len(stores)})
    return Light("green", "tray.light.stores_reporting", {"total": len(stores)})


def menu_lines(view: TrayView, t: Translator) -> list[str]:
    """The menu's information lines, in ``t``'s language."""
    lines = [
        t("tray.menu.version", version=view.version),
        t("tray.menu.store", store=view.store, name=view.name).rstrip(),
        t("tray.menu.hq") if view.is_hq else t("tray.menu.not_hq", hq_store=view.hq_store),
    ]
    for part, light in view.lights:
        reason = t(light.reason, **light.values)
        if len(reason) > REASON_CHARS:
            reason = reason[: REASON_CHARS - 1].rstrip() + "…"
        lines.append(t("tray.menu.light", part=t(PARTS[part]), color=t(f"color.{light.color}"), reason=reason))
    return lines


def console_url(cfg: Config) -> str:
    """Where a browser on this PC finds the console (a wildcard bind answers on loopback)."""
    host = cfg.console.host
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "localhost": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{cfg.console.port}/" if ":" in host else f"http://{host}:{cfg.console.port}/"


def console_answers(cfg: Config, timeout_s: float = 0.5) -> bool:
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(cfg.console.host, cfg.console.host)
    try:
        with socket.create_connection((host, cfg.console.port), timeout=timeout_s):
            return True
    except OSError:
        return False


class Tray:
    """The icon, its menu (built from ``view`` each time it is shown) and the console it may
    have started. ``toolkit`` is the pystray module (``load_toolkit``); ``opener`` opens a URL
    (the desktop's browser). ``stop`` ends it: Quit sets it, and so do SIGTERM and Ctrl-C."""

    def __init__(
        self,
        cfg: Config,
        lang: Lang,
        toolkit: Any,
        *,
        stop: threading.Event | None = None,
        opener: Callable[[str], object] = webbrowser.open,
    ) -> None:
        self.cfg = cfg
        self.lang: Lang = lang
        self.t = Translator(lang)
        self.stop = stop or threading.Event()
        self.view = tray_view(cfg)
        self.console: ConsoleServer | None = None
        self._toolkit = toolkit
        self._opener = opener
        self._lock = threading.Lock()
        self.icon = toolkit.Icon(
            "centrale", cloud_image(self.view.color), self._title(), menu=toolkit.Menu(self._items)
        )

    def _title(self) -> str:
        return self.t("tray.title", version=self.view.version, store=self.view.store, name=self.view.name).rstrip()

    def _items(self) -> list[Any]:
        item, separator = self._toolkit.MenuItem, self._toolkit.Menu.SEPARATOR
        return [
            item(self.t("tray.menu.open"), self._on_open, default=True, enabled=self.cfg.console.enabled),
            separator,
            *(item(line, None, enabled=False) for line in menu_lines(self.view, self.t)),
            separator,
            item(self.t("tray.menu.quit"), self._on_quit),
        ]

    def _on_open(self, icon: Any, item: Any) -> None:
        try:
            self.open_console()
        except CentraleError as exc:  # the port is another program's: said in the log
            log.warning("console not opened: %s (hint: %s)", exc.message, exc.hint)

    def _on_quit(self, icon: Any, item: Any) -> None:
        self.stop.set()

    def open_console(self) -> str:
        """The console in the browser, served here first when nothing answers on its port."""
        with self._lock:
            if self.console is None and not console_answers(self.cfg):
                self.console = ConsoleServer(self.cfg, locale_lang=self.lang).start()
                log.info("console on http://%s/ (no `run` serving it)", self.console.where)
        url = console_url(self.cfg)
        self._opener(url)
        return url

    def refresh(self) -> None:
        """A new view: the cloud's dot when its colour changed, the menu always."""
        view = tray_view(self.cfg)
        recolor = view.color != self.view.color
        self.view = view
        if recolor:
            self.icon.icon = cloud_image(view.color)
        self.icon.update_menu()

    def _refresh_loop(self) -> None:
        while not self.stop.wait(REFRESH_S):
            try:
                self.refresh()
            except Exception:  # the icon stays; the traceback goes to the log
                log.exception("tray refresh failed")

    def _setup(self, icon: Any) -> None:
        """pystray's setup thread, started once its loop runs: shows the icon, then waits for
        ``stop`` (set before the loop ran, too) and ends the loop from here."""
        icon.visible = True
        threading.Thread(target=self._refresh_loop, name="tray-refresh", daemon=True).start()
        log.info("tray icon shown (%s)", type(icon).__module__)
        self.stop.wait()
        icon.stop()

    def run(self) -> None:
        """Shows the icon until ``stop`` is set (blocks; the toolkit wants the main thread)."""
        try:
            self.icon.run(setup=self._setup)
        except Exception:
            if not self.stop.is_set():
                raise
            # The loop ended at Quit; pystray's gtk clean-up then closes its notification, and
            # fails where the desktop has no notification server. Nothing is left undone.
            log.warning("the tray toolkit failed closing", exc_info=True)
        finally:
            self.stop.set()
            if self.console is not None:
                self.console.stop()
