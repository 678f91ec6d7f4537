"""Late leaks under pytest-xdist: is every one charged to the test that started the thread?

A generated suite of 40 tests: every third test starts a thread that sends a secret (a Bearer
token) after a delay, while later tests run; the others send nothing. Run with ``-n 4``
several times; from the JSON report, count the findings charged to a test that started no
leaking thread, the innocent tests that failed, and the leaks that were reported late with
their origin. Prints one line per run and a total. Never asserted in tests (timing varies).

Usage: python benchmarks/bench_attribution.py [--runs 3] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = """
import threading, time
import pytest, sentry_sdk

LEAKERS = {leakers}


@pytest.fixture(autouse=True)
def sdk():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")


@pytest.mark.parametrize("n", range({count}))
def test_step(n):
    if n in LEAKERS:
        def later():
            time.sleep(0.25)
            sentry_sdk.capture_message("retry with Bearer tok_" + "%032x" % (n + 7))
        threading.Thread(target=later).start()
    time.sleep(0.1)
"""


def run(folder: Path, workers: int, leakers: set[int]) -> tuple[int, int, int]:
    report = folder / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-n", str(workers), f"--sentry-report={report}", "."],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    findings = json.loads(report.read_text())["findings"]
    leaking = {f"test_suite.py::test_step[{n}]" for n in leakers}
    wrong = [f for f in findings if f["test"] not in leaking]
    late = [f for f in findings if f["phase"] == "late" and f["test"] in leaking]
    innocent_failed = {f["test"] for f in wrong if f["status"] == "failed"}
    return len(wrong), len(innocent_failed), len(late)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--tests", type=int, default=40)
    args = parser.parse_args()
    leakers = set(range(0, args.tests, 3))
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "test_suite.py").write_text(SUITE.format(leakers=sorted(leakers), count=args.tests))
        for index in range(args.runs):
            wrong, innocent, late = run(folder, args.workers, leakers)
            totals = [totals[0] + wrong, totals[1] + innocent, totals[2] + late]
            print(
                f"run {index + 1}: {wrong} findings charged to a wrong test, {innocent} innocent tests "
                f"failed, {late} of {len(leakers)} leaks reported late with their origin"
            )
    print(f"total over {args.runs} runs (-n {args.workers}): {totals[0]} wrong, {totals[1]} innocent failed")


if __name__ == "__main__":
    main()
