"""One store number, one running capture (issue 13): the same configuration started from a copy
of its install folder (a new till set up from an old one's folder) does not start while the
first runs, and says where that one runs; a restart of the same folder (after a kill) does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sandbox.chain import Chain
from sandbox.processes import run_centrale
from tests.faults.conftest import Spawn


def _copy_folder(config: Path, to: Path) -> Path:
    """The install folder copied elsewhere: its config, with the outbox in the copy's own folder."""
    to.mkdir()
    copied = to / config.name
    text = config.read_text(encoding="utf-8").replace(str(config.parent), str(to))
    copied.write_text(text, encoding="utf-8")
    return copied


def refused_copy(copy: Path, first: Path) -> subprocess.CompletedProcess[str]:
    """`centrale run` from the copied folder: it exits 3, naming where the first one runs."""
    refused = run_centrale(copy, "run", timeout=60)
    assert refused.returncode == 3, refused.stderr
    assert "store 12 already runs at" in refused.stderr and str(first.parent.resolve()) in refused.stderr
    return refused


def test_a_copied_install_folder_does_not_start_while_the_first_runs(
    chain: Chain, spawn: Spawn, tmp_path: Path
) -> None:
    site = chain.store(12)
    first = spawn(site).wait_capturing()
    assert chain.hq.sql("SELECT COUNT(*) FROM centrale_leases WHERE store = 12") == [(1,)]
    copy = _copy_folder(site.config, tmp_path / "copy")
    refused = refused_copy(copy, site.config)
    assert "stop the other one" in refused.stderr
    first.kill()  # a power cut: the lease stays at head office
    again = spawn(site).wait_capturing()  # the same folder starts again at once: the lease is its own
    assert again.terminate() == 0
    assert chain.hq.sql("SELECT COUNT(*) FROM centrale_leases WHERE store = 12") == [(0,)]  # released at a clean stop
    shutil.rmtree(tmp_path / "copy")
