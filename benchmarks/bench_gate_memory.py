"""Memory the leak gate keeps over a run: findings, never payloads (never asserted in tests).

G1: a suite of 1,000 tests sending 10 error events each (10,000 events, each with an email in
    its frame locals, so every event has findings), run with the gate on (``fail`` with every
    finding allowed, so the run stays green) vs the same suite sending nothing. Peak RSS of the
    pytest process, read by a conftest hook at unconfigure. Target: growth < 50 MB.
G2: the same 10,000 events with the gate off, to tell the gate's own share from the capture's.

Usage: python benchmarks/bench_gate_memory.py [--tests 1000] [--events-per-test 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = """
import pytest
import sentry_sdk

sentry_sdk.init(dsn="https://publickey@o0.ingest.sentry.invalid/0", release="bench@1.0.0")
pytestmark = pytest.mark.sentry_check(allow=["email"])


def checkout(order_id, customer_email, payload):
    raise ValueError(f"order {{order_id}} failed")


@pytest.mark.parametrize("n", range({tests}))
def test_sends(n):
    for i in range({per_test}):
        try:
            checkout(f"o-{{n}}-{{i}}", f"customer{{n}}.{{i}}@shop.example", {{"items": list(range(50))}})
        except ValueError as exc:
            sentry_sdk.capture_exception(exc)
"""

CONFTEST = """
import resource

def pytest_unconfigure(config):
    with open({out!r}, "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def peak_rss_mb(folder: Path, tests: int, per_test: int, *extra: str) -> tuple[float, float]:
    """Peak RSS (MB) and wall time (s) of one pytest run."""
    out = folder / "maxrss.txt"
    (folder / "test_suite.py").write_text(SUITE.format(tests=tests, per_test=per_test))
    (folder / "conftest.py").write_text(CONFTEST.format(out=str(out)))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(folder)]
    start = time.perf_counter()
    result = subprocess.run([*command, *extra], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    summary = [line for line in result.stdout.splitlines() if "envelopes from" in line]
    if summary:
        print(f"    {summary[0]}")
    return int(out.read_text()) / 1024, elapsed  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--events-per-test", type=int, default=10)
    args = parser.parse_args()
    events = args.tests * args.events_per_test
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{args.tests} tests, {events} events")
        silent, _ = peak_rss_mb(folder, args.tests, 0)
        print(f"  no events:              peak RSS {silent:7.1f} MB")
        off, off_time = peak_rss_mb(folder, args.tests, args.events_per_test, "--sentry-gate=off")
        print(
            f"  {events} events, gate off: peak RSS {off:7.1f} MB (+{off - silent:.1f} MB), {off_time:.1f} s"
        )
        gated, gated_time = peak_rss_mb(folder, args.tests, args.events_per_test)
        growth = gated - silent
        print(f"  {events} events, gate on:  peak RSS {gated:7.1f} MB (+{growth:.1f} MB), {gated_time:.1f} s")
    print(f"G1 growth with the gate: {gated - silent:.1f} MB (target < 50 MB)")
    print(
        f"G2 the gate's own share: {gated - off:.1f} MB; run time gate on / off: {gated_time / off_time:.2f}"
    )


if __name__ == "__main__":
    main()
