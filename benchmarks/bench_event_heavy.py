"""Event-heavy suites: what the plugin costs a suite whose every test sends a large error event
(never asserted in tests).

E1: 500 tests, each a FastAPI request whose handler fails with a 30 KB local in its frame (the
    SDK sends it with the frame's locals), run by pytest with the plugin (gate on, the default)
    and with ``-p no:sentry_check``. Printed: the ratio of the CPU time of the two pytest
    processes (median of interleaved pairs), with and without the ``relay`` extra (sentry-relay
    hidden from the run by a ``sitecustomize`` that makes its import fail, as when it is not
    installed). Targets (issue 18): <= 1.05 without Relay, <= 1.10 with it.

The suite's application calls ``sentry_sdk.init`` with a DSN on loopback port 9 (nothing
listens): without the plugin the SDK's HTTP transport tries to send there, as a suite's would
send to its test DSN; nothing leaves the machine.

Usage: python benchmarks/bench_event_heavy.py [--tests 500] [--pairs 5] [--relay both|with|without]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench_capture import paired_cpu  # benchmarks/ is the script's folder, first on sys.path

SUITE = """
import pytest, sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

sentry_sdk.init(dsn="http://publickey@127.0.0.1:9/1", release="bench@1.0.0", traces_sample_rate=0)
app = FastAPI()

@app.get("/orders/{{order_id}}")
def order(order_id: str) -> None:
    report = "line of a large report\\n" * 1300  # ~30 KB, sent as a frame local
    raise RuntimeError(f"order {{order_id}} failed after {{len(report)}} bytes")

client = TestClient(app, raise_server_exceptions=False)

@pytest.mark.parametrize("n", range({count}))
def test_order(n):
    assert client.get(f"/orders/o-{{n}}").status_code == 500
"""

#: Makes ``import sentry_relay`` fail, as when the relay extra is not installed.
NO_RELAY = "import sys\nsys.modules['sentry_relay'] = None\n"

_PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly", "-p", "no:playwright"]


def e1(count: int, pairs: int, relay: bool) -> tuple[float, float, float]:
    """Median CPU seconds with the plugin, without it, and the median of the pairs' ratios."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as site:
        Path(folder, "test_orders.py").write_text(SUITE.format(count=count))
        if not relay:
            Path(site, "sitecustomize.py").write_text(NO_RELAY)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [site, env.get("PYTHONPATH", "")]))
        sides = {"with": [], "without": ["-p", "no:sentry_check"]}
        command = [sys.executable, "-m", "pytest", *_PYTEST_ARGS, "."]
        # (the unmeasured runs also write pytest's rewritten test module)
        times = paired_cpu(command, sides, pairs, env=env, cwd=folder)
    ratios = [w / wo for w, wo in zip(times["with"], times["without"], strict=True)]
    return statistics.median(times["with"]), statistics.median(times["without"]), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--relay", choices=("both", "with", "without"), default="both", help="which halves run"
    )
    args = parser.parse_args()
    for relay, target in ((False, 1.05), (True, 1.10)):
        if args.relay != "both" and relay != (args.relay == "with"):
            continue
        try:
            import sentry_relay  # noqa: F401
        except ImportError:
            if relay:
                print("E1 with Relay: skipped (sentry-relay is not installed)")
                continue
        with_cpu, without_cpu, ratio = e1(args.tests, args.pairs, relay)
        label = "with the relay extra" if relay else "without Relay"
        print(
            f"E1 {args.tests} tests, one 30 KB-local FastAPI error each, {label}: plugin (gate on) "
            f"{with_cpu:.2f} s CPU, disabled {without_cpu:.2f} s; ratio {ratio:.3f} "
            f"(median of {args.pairs} pairs; target <= {target})"
        )


if __name__ == "__main__":
    main()
