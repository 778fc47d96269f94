"""The store PC's tray icon (`centrale tray`, centrale/app/tray.py): what its menu says, in
English and in French, and the real icon under Xvfb in a small XEmbed tray (wmdocker), drawn,
left-clicked (the console answers), right-clicked (GTK draws the menu) and quit from that menu.

The store of these tests has its database down (nothing listens on its port): its tray must show
all the same, with a red light, since that is when a clerk looks at it."""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from centrale.app.console.storeview import Light
from centrale.app.tray import DOTS, Tray, TrayView, cloud_image, menu_lines, stores_light, tray_view
from centrale.core import __version__
from centrale.core.config import Config, load
from centrale.core.i18n import Translator
from sandbox.chain import Chain
from sandbox.inprocess import InProcessStore
from sandbox.processes import centrale_command, quiet_env, stop_process

DESKTOP_TOOLS = ("Xvfb", "wmdocker", "xdotool", "dbus-daemon")
SCREENSHOT = Path("/tmp/tray_screenshot.png")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def store_config(tmp_path: Path) -> Path:
    """Store 12, Lyon, whose database is down and whose head office does not answer."""
    path = tmp_path / "store.toml"
    path.write_text(
        f"""\
[site]
role = "store"
store = 12
name = "Lyon"
hq_store = 1

[local]
url = "mysql://pos:secret@127.0.0.1:{free_port()}/pos"

[hq]
host = "127.0.0.1"
port = {free_port()}
database = "pos_hq"
user = "store12"
password = "secret"
connect_timeout_s = 2

[console]
port = {free_port()}
"""
    )
    path.chmod(0o600)
    return path


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return load(store_config(tmp_path), env={})


@pytest.fixture
def toolkit(monkeypatch: pytest.MonkeyPatch) -> Any:
    """pystray's model of a menu, with an icon that draws nothing and runs until stopped (the
    ``dummy`` backend is pystray's abstract base: the loop is ours to give it)."""
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")
    pystray = importlib.import_module("pystray")
    base = importlib.import_module("pystray._base")

    class HeadlessIcon(base.Icon):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.loop_ended = threading.Event()

        def _run(self) -> None:
            self._mark_ready()
            self.loop_ended.wait()

        def _stop(self) -> None:
            self.loop_ended.set()

        def _show(self) -> None: ...
        def _hide(self) -> None: ...
        def _update_icon(self) -> None: ...
        def _update_menu(self) -> None: ...
        def _update_title(self) -> None: ...

    return SimpleNamespace(Icon=HeadlessIcon, Menu=pystray.Menu, MenuItem=pystray.MenuItem)


def texts(tray: Tray) -> list[str]:
    separator = tray.icon.menu.SEPARATOR
    return [item.text for item in tray.icon.menu if item is not separator]


def item(tray: Tray, text: str) -> Any:
    return next(i for i in tray.icon.menu if i.text == text)


def test_the_menu_says_the_version_the_store_and_its_lights_and_opens_the_console(cfg: Config, toolkit: Any) -> None:
    opened: list[str] = []
    tray = Tray(cfg, "en", toolkit, opener=opened.append)
    lines = texts(tray)
    assert lines[0] == "Open the console" and item(tray, "Open the console").default
    assert lines[1:4] == [f"Centrale {__version__}", "Store 12 Lyon", "Not head office (head office is store 1)"]
    assert lines[4].startswith("Capture: problem, local database: ")
    assert lines[5] == "Shipping: OK, nothing shipped yet"
    assert lines[-1] == "Quit"
    assert not any(i.enabled for i in tray.icon.menu if i.text in lines[1:6])  # information, not buttons
    assert tray.view.color == "red" and tray.icon.title == f"Centrale {__version__}: store 12 Lyon"
    try:
        tray.icon()  # the left click: the default item
        assert opened == [f"http://127.0.0.1:{cfg.console.port}/"]
        assert tray.console is not None, "no `run` serves the console: the tray serves it"
        with urllib.request.urlopen(opened[0], timeout=30) as page:
            assert page.status == 200 and "Lyon" in page.read().decode()
    finally:
        if tray.console is not None:
            tray.console.stop()


def test_the_menu_speaks_french_to_a_french_store(cfg: Config, toolkit: Any) -> None:
    lines = texts(Tray(cfg, "fr", toolkit, opener=lambda url: None))
    assert lines[:4] == [
        "Ouvrir la console",
        f"Centrale {__version__}",
        "Magasin 12 Lyon",
        "Pas le siège (le siège est le magasin 1)",
    ]
    assert lines[4].startswith("Capture : problème, base locale : ")
    assert lines[5] == "Envoi : OK, rien d'envoyé pour l'instant"
    assert lines[-1] == "Quitter"


def test_quit_stops_the_icon(cfg: Config, toolkit: Any) -> None:
    tray = Tray(cfg, "en", toolkit, opener=lambda url: None)
    runner = threading.Thread(target=tray.run, daemon=True)
    runner.start()
    deadline = time.monotonic() + 10
    while not tray.icon.visible and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tray.icon.visible
    item(tray, "Quit")(tray.icon)
    runner.join(10)
    assert not runner.is_alive() and tray.icon.loop_ended.is_set()


def test_head_office_says_so_and_its_light_is_whether_its_stores_report() -> None:
    now = 1_000_000.0
    fresh, old = {"last_contact_ts": now - 30}, {"last_contact_ts": now - 3600}
    assert stores_light([fresh, fresh], 600, now) == Light("green", "tray.light.stores_reporting", {"total": 2})
    assert stores_light([fresh, old, {"last_contact_ts": None}], 600, now).values == {"silent": 2, "total": 3}
    assert stores_light([], 600, now).color == "amber"
    view = TrayView("1.0", 1, "Siège Paris", True, 1, (("stores", stores_light([fresh, old], 600, now)),))
    assert menu_lines(view, Translator("en"))[2:] == ["Head office", "Stores: attention, silent stores: 1 of 2"]
    assert menu_lines(view, Translator("fr"))[2:] == ["Siège", "Magasins : attention, magasins muets : 1 sur 2"]
    assert view.color == "amber"


def test_a_long_reason_is_cut_to_fit_a_menu_line() -> None:
    light = Light("red", "light.local_error", {"error": "x" * 300})
    line = menu_lines(TrayView("1.0", 12, "", False, 1, (("capture", light),)), Translator("en"))[-1]
    assert len(line) < 100 and line.endswith("…")


@pytest.mark.parametrize("light", ["green", "amber", "red"])
def test_the_icon_is_a_blue_cloud_on_transparency_with_the_lights_dot(light: str) -> None:
    img = cloud_image(light)
    assert img.size == (64, 64) and img.mode == "RGBA"
    assert img.getpixel((0, 0))[3] == 0 and img.getpixel((63, 0))[3] == 0  # transparent corners
    r, _, b, a = img.getpixel((28, 30))  # the cloud's middle
    assert a == 255 and b > 180 and r < 80
    dot = img.getpixel((50, 50))[:3]
    assert all(abs(c - w) < 40 for c, w in zip(dot, DOTS[light][:3], strict=True)), (dot, light)


def test_without_pystray_the_command_names_the_extra_to_install(tmp_path: Path) -> None:
    blocked = "import sys; sys.modules['pystray'] = None; from centrale.app.cli.main import entry; entry()"
    res = subprocess.run(
        [sys.executable, "-c", blocked, "--config", str(store_config(tmp_path)), "tray"],
        capture_output=True,
        text=True,
        timeout=60,
        env=quiet_env(LANG="C.UTF-8"),
        check=False,
    )
    assert res.returncode == 3, res.stderr
    assert "pystray" in res.stderr and "pip install 'centrale[tray]'" in res.stderr


# --- the real icon, under Xvfb ------------------------------------------------------------------


def _xdotool(env: dict[str, str], *args: str) -> str:
    res = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=10, check=False)
    return res.stdout.strip()


def _wait(what: str, probe: Callable[[], Any], timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def desktop(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A throwaway X display (Xvfb picks a free number), a session D-Bus (GTK wants one) and a
    system tray on it; the environment to run a program there. Every process is stopped by its
    PID at the end, and its output is in ``tmp_path``."""
    started: list[subprocess.Popen[str]] = []
    with ExitStack() as files:

        def start(name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
            log = files.enter_context((tmp_path / f"{name}.log").open("w"))
            proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
            files.enter_context(proc.stdout)  # type: ignore[arg-type]
            started.append(proc)
            return proc

        try:
            xvfb = start("xvfb", ["Xvfb", "-displayfd", "1", "-screen", "0", "800x600x24", "-nolisten", "tcp"])
            display = f":{xvfb.stdout.readline().strip()}"  # type: ignore[union-attr]
            bus = start("dbus", ["dbus-daemon", "--session", "--nofork", "--print-address=1"])
            address = bus.stdout.readline().strip()  # type: ignore[union-attr]
            env = quiet_env(DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=address, LANG="C.UTF-8")
            start("wmdocker", ["wmdocker", "-iconsize", "32", "-color", "white"], env)
            # A dock app waits for a window manager to map it; Xvfb has none, so we map it.
            window = _wait("the tray's window", lambda: _xdotool(env, "search", "--name", "^Docker$"), 10).split()[0]
            _xdotool(env, "windowmap", window)
            yield env
        finally:
            for proc in reversed(started):
                stop_process(proc, 10)


def _wait_for_screen(env: dict[str, str], what: str, seen: Callable[[Any], bool], timeout_s: float = 30) -> Any:
    """The first screenshot in which ``seen`` is true."""

    def probe() -> Any:
        img = _screenshot(env)
        return img if seen(img) else None

    return _wait(what, probe, timeout_s)


def _screenshot(env: dict[str, str]) -> Any:
    from PIL import ImageGrab

    return ImageGrab.grab(xdisplay=env["DISPLAY"])


def _count(img: Any, box: tuple[int, int, int, int], test: Callable[[tuple[int, ...]], bool]) -> int:
    raw = img.convert("RGB").crop(box).tobytes()
    return sum(1 for i in range(0, len(raw), 3) if test(tuple(raw[i : i + 3])))


def _blue(px: tuple[int, ...]) -> bool:
    return px[2] > 170 and px[0] < 90 and 80 < px[1] < 160


def _red(px: tuple[int, ...]) -> bool:
    return px[0] > 170 and px[1] < 90 and px[2] < 90


def _light(px: tuple[int, ...]) -> bool:
    return min(px) > 200


def test_the_icon_shows_in_a_real_tray_its_click_opens_the_console_and_its_menu_quits(tmp_path: Path) -> None:
    missing = [tool for tool in DESKTOP_TOOLS if shutil.which(tool) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"no {', '.join(missing)} here: ./scripts/ensure-system installs them")
    assert not missing, f"{missing} missing: run ./scripts/ensure-system"
    config = store_config(tmp_path)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    with desktop(tmp_path) as env:
        started = time.monotonic()
        log = (tmp_path / "tray.log").open("w")
        proc = subprocess.Popen(
            centrale_command(config, "tray"),
            env={**env, "PYSTRAY_BACKEND": "gtk", "BROWSER": str(browser)},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            tray_box = (0, 0, 34, 34)  # wmdocker's window, at the top left: one 32 px icon and its border
            shot = _wait_for_screen(env, "the blue cloud in the tray", lambda img: _count(img, tray_box, _blue) > 100)
            shown_after = time.monotonic() - started
            shot.save(tmp_path / "tray.png")
            assert _count(shot, tray_box, _red) > 5, "the store's database is down: the dot is red"

            _xdotool(env, "mousemove", "17", "17", "click", "1")  # left click: the console
            url = _wait("the browser to be asked for the console", lambda: opened.exists() and opened.read_text())
            assert url.strip() == f"http://127.0.0.1:{load(config, env={}).console.port}/"
            with urllib.request.urlopen(url.strip(), timeout=30) as page:
                assert page.status == 200 and "Lyon" in page.read().decode()

            _xdotool(env, "mousemove", "17", "17", "click", "3")  # right click: the menu
            below = (0, 34, 400, 300)
            menu = _wait_for_screen(env, "the menu", lambda img: _count(img, below, _light) > 150 * 100, 10)
            menu.save(tmp_path / "menu.png")
            menu.save(SCREENSHOT)
            box = menu.convert("L").point(lambda v: 255 if v > 200 else 0).crop(below).getbbox()
            assert box is not None and box[2] - box[0] > 150 and box[3] - box[1] > 150, box  # 8 lines at least

            _xdotool(env, "key", "Up", "Return")  # the last item: Quit
            assert proc.wait(15) == 0, (tmp_path / "tray.log").read_text()
        finally:
            stop_process(proc, 10)
            log.close()
        print(f"icon shown {shown_after:.1f} s after start; screenshots in {tmp_path}")


def test_head_offices_tray_reads_its_real_stores(chain: Chain) -> None:
    """At head office the light comes from its database: registered stores that never reported
    are silent; once both have shipped, they report."""
    hq = load(chain.hq.config)
    view = tray_view(hq)
    assert view.is_hq and menu_lines(view, Translator("en"))[-1] == "Stores: attention, silent stores: 2 of 2"
    for site in chain.stores:
        with InProcessStore(site.config) as run:
            site.sql("INSERT INTO salespeople (code, first_name) VALUES ('T', 'Tom')")
            run.sync()
    assert menu_lines(tray_view(hq), Translator("en"))[-1] == "Stores: OK, every store reports (2)"
