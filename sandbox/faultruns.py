"""Run the fault-injection suite several times and tally each scenario's passes.

    python -m sandbox.faultruns --runs 5

Each run is a fresh pytest of ``tests/faults`` and the fault scenarios that live beside the
features they exercise (``SCENARIOS``), with its own throwaway servers and new random moments
(scenarios draw them from the run number). Prints a Markdown table, scenario by scenario, for
the README's Guarantees section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "tests/faults",
    "tests/app/test_bad_input.py::test_a_purged_checkpoint_is_a_clear_error_and_snapshot_resyncs",
    "tests/app/test_bad_input.py::test_a_column_added_at_the_store_reaches_head_office",
    "tests/hq/test_store_accounts.py",
    "tests/app/test_galera_failover.py",
)


def run_once(run: int, junit: Path) -> dict[str, str]:
    """One pytest run of tests/faults; scenario -> 'passed' | 'failed' | 'skipped'."""
    env = {**os.environ, "CENTRALE_FAULT_RUN": str(run)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *SCENARIOS],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            outcomes[name] = "failed"
        elif case.find("skipped") is not None:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    passed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(1, args.runs + 1):
            for name, outcome in run_once(run, Path(tmp) / f"run{run}.xml").items():
                seen[name] += 1
                passed[name] += outcome == "passed"
            print(f"run {run}/{args.runs} done", file=sys.stderr)
    print("| scenario | runs passed |")
    print("|---|---|")
    for name in sorted(seen):
        print(f"| `{name}` | {passed[name]}/{seen[name]} |")


if __name__ == "__main__":
    main()
