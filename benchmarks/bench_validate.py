"""Validation overhead per event: Relay's normalizer and the limit rules, against capture alone
(never asserted in tests).

V1: N FastAPI error events (with frame locals, ~45 KB each) captured, then validated.
    Prints capture time, validation time, and the ratio (capture + validation) / capture.
V2: the server stage of the same events (normalize + Relay's default scrubbing + scan), per event.

Usage: python benchmarks/bench_validate.py [--events 300]
"""

from __future__ import annotations

import argparse
import time

import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pytest_sentry_check import capture, scan, validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def order(order_id: str) -> None:
        sentry_sdk.set_tag("feature", "orders")
        sentry_sdk.set_context("order", {"id": order_id})
        raise RuntimeError(f"order {order_id} failed")

    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/1")
        client = TestClient(app, raise_server_exceptions=False)
        began = time.perf_counter()
        for n in range(args.events):
            client.get(f"/orders/o-{n}")
        captured = list(events)
        capture_time = time.perf_counter() - began
    began = time.perf_counter()
    problems = [validate(event) for event in captured]
    validate_time = time.perf_counter() - began
    began = time.perf_counter()
    for event in captured:
        scan(event, stage="server")
    server_time = time.perf_counter() - began
    count = len(captured)
    ratio = (capture_time + validate_time) / capture_time
    print(
        f"V1 {count} events: capture {capture_time / count * 1e3:.2f} ms/event, validation "
        f"{validate_time / count * 1e3:.2f} ms/event, ratio {ratio:.2f} ({sum(map(len, problems))} problems)"
    )
    print(f"V2 server stage (normalize + scrub + scan): {server_time / count * 1e3:.2f} ms/event")


if __name__ == "__main__":
    main()
