"""Where Centrale's capture spends its time: one more capture pass under py-spy, its samples
sorted into the library's share (decoding, packet reads, connecting) and Centrale's own (outbox
append, translation, the capture loop, its date and time decoders). ``bench.capture`` prints it
beside the throughput figures: what is ours on the hot path is what we can remove.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROFILE_RATE_HZ = 250
PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
# The same profile of the code before the hot-path work of 2026-11-28 (see README, Benchmarks).
PROFILE_BEFORE = (
    "Centrale 13.3% to 15.0% over 5 runs (outbox append about 7.5%, translation 4.7%, capture loop 1.3%, "
    "decoders 0.5%), the library 85% to 87%"
)

_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*):\d+\)$")
_DECODER_FIXES = (
    "decode_time2",
    "decode_date",
    "decode_datetime2",
    "_read_time2",
    "_read_date",
    "_read_datetime2",
    "_read_string",
    "decode",
    "_find_charset",
    "single_byte",
    "_families",
    "column_families",
)
# Where a sample goes: the innermost frame of the library or of Centrale decides (see profile_shares).
LIBRARY_DECODING = "library: event and row decoding (pymysqlreplication)"
LIBRARY_READS = "library: packet reads (PyMySQL, socket waits included)"
LIBRARY_CONNECT = "library: connecting (PyMySQL, TLS context)"
_CONNECTING = ("BinLogStreamReader.__connect_to_stream (", "BinLogStreamReader.__connect_to_ctl (")
OURS = {
    "outbox": "Centrale: outbox append (encoding, SQLite)",
    "translate": "Centrale: translation",
    "loop": "Centrale: reader and capture loop",
    "fixes": "Centrale: its TIME2/DATE/DATETIME2 decoders",
}


def _bucket(name: str, file: str) -> str | None:
    f = file.replace("\\", "/")
    f = f.split("site-packages/")[-1]
    if f.startswith("pymysqlreplication/") or "/pymysqlreplication/" in f:
        return LIBRARY_DECODING
    if f.startswith("pymysql/") or "/pymysql/" in f:
        return LIBRARY_READS
    tail = f[f.rfind("/cdc/") + 1 :] if "/cdc/" in f else f[f.rfind("/centrale/") + 1 :] if "/centrale/" in f else f
    if tail in ("cdc/library_fixes.py", "cdc/charsets.py", "cdc/compressed.py", "cdc/reader.py") and (
        name in _DECODER_FIXES
    ):
        return OURS["fixes"]
    if tail == "cdc/translate.py":
        return OURS["translate"]
    if tail.startswith("centrale/core/outbox/") or tail == "centrale/core/codec.py":
        return OURS["outbox"]
    if tail.startswith(("cdc/", "centrale/")):
        return OURS["loop"]
    return None


def profile_shares(raw: str) -> tuple[int, dict[str, int], collections.Counter[str]]:
    """py-spy's raw (collapsed) stacks -> (samples of the capture loop, samples per bucket, samples
    per innermost project or library function). Only stacks inside CdcService.run count; a
    sample goes to its innermost frame of the library or of Centrale (the standard library and C
    code count for their caller); functions are counted outside the library's decoding only."""
    buckets: dict[str, int] = collections.Counter()
    functions: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if "CdcService.run (" not in stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        label, where = "other (standard library, interpreter)", "?"
        frames = stack.split(";")
        if any(f.startswith(_CONNECTING) for f in frames):
            label = LIBRARY_CONNECT
            frames = []
        for frame in reversed(frames):
            m = _FRAME.match(frame)
            if m and (found := _bucket(m["name"], m["file"])) is not None:
                label, where = found, f"{m['name']} ({m['file'].split('site-packages/')[-1]})"
                break
        buckets[label] += n
        if label not in (LIBRARY_DECODING, LIBRARY_CONNECT):
            functions[where] += n
    return total, buckets, functions


def profile_capture(child: list[str], workdir: Path, cwd: Path, timeout_s: float) -> list[str]:
    """One more Centrale pass (``child``: the command that runs it) under py-spy, not timed:
    notes on where its time goes."""
    if not Path(PY_SPY).exists():
        return ["profile: py-spy is not installed (`make install` installs the dev extras)"]
    out = workdir / "capture-profile.txt"
    cmd = [
        PY_SPY,
        "record",
        "--idle",
        "--rate",
        str(PROFILE_RATE_HZ),
        "--format",
        "raw",
        "--output",
        str(out),
        "--",
        *child,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout_s + 60, check=False)
    if res.returncode != 0 or not out.exists():
        return [f"profile: py-spy failed ({res.returncode}): {(res.stderr or res.stdout).strip()[-300:]}"]
    total, buckets, functions = profile_shares(out.read_text())
    if not total:
        return ["profile: py-spy recorded no sample of the capture loop"]

    def pct(n: int) -> str:
        return f"{100 * n / total:.1f}%"

    lib = sum(buckets.get(k, 0) for k in (LIBRARY_DECODING, LIBRARY_READS, LIBRARY_CONNECT))
    ours = sum(buckets.get(v, 0) for v in OURS.values())
    ours_sorted = sorted(((v, k) for k, v in buckets.items() if k in OURS.values()), reverse=True)
    detail = ", ".join(f"{k.split(': ', 1)[1]} {pct(v)}" for v, k in ours_sorted)
    top = ", ".join(f"{f} {pct(n)}" for f, n in functions.most_common(6))
    return [
        f"profile (py-spy, {PROFILE_RATE_HZ} Hz, {total:,} samples of Centrale capturing all the rows once more, waits "
        f"included): library {pct(lib)} (decoding {pct(buckets.get(LIBRARY_DECODING, 0))}, packet reads "
        f"{pct(buckets.get(LIBRARY_READS, 0))}, connecting {pct(buckets.get(LIBRARY_CONNECT, 0))}), "
        f"Centrale {pct(ours)} ({detail}), other "
        f"{pct(total - lib - ours)}; before the hot-path work of 2026-11-28: {PROFILE_BEFORE}",
        f"profile, heaviest functions outside the library's decoding: {top[:400]}",
    ]
