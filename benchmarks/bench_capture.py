"""Capture-core overhead, as ratios measured in one run (never asserted in tests).

P1: a 2,000-test trivial suite (which imports and initialises sentry-sdk, as a real suite does)
    with the plugin vs without it (``-p no:sentry_check``). Target <= 1.03.
P2: 2,000 FastAPI error events captured through the plugin vs a bare list-append transport.
    Target <= 1.15.

Each side runs several times, alternating, and the fastest run counts (the machines are noisy).
Usage: python benchmarks/bench_capture.py [--tests 2000] [--events 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRIVIAL_SUITE = """
import pytest
import sentry_sdk

# Loopback DSN for the run without the plugin: nothing is sent (no test captures anything).
sentry_sdk.init(dsn="http://publickey@127.0.0.1:9/1", release="bench@1.0.0")

@pytest.mark.parametrize("n", range({count}))
def test_trivial(n):
    assert n >= 0
"""


def p1_trivial_suite(count: int, rounds: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_trivial.py").write_text(TRIVIAL_SUITE.format(count=count))
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", folder]
        timings: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(rounds):
            for side, extra in (("without", ["-p", "no:sentry_check"]), ("with", [])):
                start = time.perf_counter()
                subprocess.run([*base, *extra], check=True, capture_output=True)
                timings[side].append(time.perf_counter() - start)
    return min(timings["with"]), min(timings["without"])


def p2_fastapi_events(count: int, rounds: int) -> tuple[float, float]:
    import sentry_sdk
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sentry_sdk.transport import Transport

    from pytest_sentry_check import capture

    class ListTransport(Transport):
        def __init__(self, options: Any = None) -> None:
            super().__init__(options)
            self.envelopes: list[Any] = []

        def capture_envelope(self, envelope: Any) -> None:
            self.envelopes.append(envelope)

    app = FastAPI()

    @app.post("/orders/{order_id}")
    async def place_order(order_id: str) -> None:
        cart = {"order": order_id, "items": [1, 2, 3]}
        raise RuntimeError(f"stock service down for {cart['order']}")

    def run(transport: Any) -> tuple[float, int]:
        sentry_sdk.init(dsn="https://publickey@o1.ingest.sentry.io/1", transport=transport, release="bench@1")
        with TestClient(app, raise_server_exceptions=False) as client:
            start = time.perf_counter()
            for n in range(count):
                client.post(f"/orders/{n}", headers={"authorization": "Bearer x"})
            elapsed = time.perf_counter() - start
        return elapsed, 0

    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        baseline = ListTransport()
        timings["without"].append(run(baseline)[0])
        assert len(baseline.envelopes) == count, len(baseline.envelopes)
        with capture() as events:
            timings["with"].append(run(None)[0])
            assert len(events) == count, len(events)
    return min(timings["with"]), min(timings["without"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with_p1, without_p1 = p1_trivial_suite(args.tests, args.rounds)
    print(
        f"P1 {args.tests}-test trivial suite: with plugin {with_p1:.2f} s, without {without_p1:.2f} s, "
        f"ratio {with_p1 / without_p1:.3f} (target <= 1.03)"
    )
    with_p2, without_p2 = p2_fastapi_events(args.events, args.rounds)
    print(
        f"P2 {args.events} FastAPI error events: through the plugin {with_p2:.2f} s, list-append "
        f"transport {without_p2:.2f} s, ratio {with_p2 / without_p2:.3f} (target <= 1.15)"
    )


if __name__ == "__main__":
    main()
