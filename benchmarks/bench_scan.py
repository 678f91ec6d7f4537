"""Leak-scanner throughput vs Relay's server-side scrubbing, on the same real events, in one run.

Both sides get the same list of event dicts the real SDK produced for failing FastAPI requests
(frame locals included, as with send_default_pii=False): our ``scan(event)`` with every default
rule, and Relay's ``pii_strip_event`` with Sentry's default data-scrubbing settings (package
``sentry-relay``, a benchmark-only dependency: ``pip install sentry-relay``). Goal: >= 5x Relay.

Usage: python benchmarks/bench_scan.py [--events 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import sentry_sdk
from fastapi import FastAPI, Request  # module level: FastAPI resolves the annotations here
from fastapi.testclient import TestClient

from pytest_sentry_check import capture


def make_events(count: int) -> list[dict[str, Any]]:
    app = FastAPI()

    @app.post("/orders/{order_id}")
    async def place_order(order_id: int, request: Request) -> None:
        body = await request.json()
        sentry_sdk.set_tag("feature", "checkout")
        sentry_sdk.add_breadcrumb(message=f"placing order {order_id}", category="orders")
        raise RuntimeError(f"stock service down for order {order_id} ({len(body['items'])} items)")

    with capture() as events:
        sentry_sdk.init(
            dsn="https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789", release="shop@1.0.0"
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            for n in range(count):
                client.post(f"/orders/{n}?page=2", json={"items": list(range(n % 7))})
        return [dict(event) for event in events]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    try:
        from sentry_relay.processing import convert_datascrubbing_config, pii_strip_event
    except ImportError:
        raise SystemExit("this benchmark needs Relay's Python package: pip install sentry-relay") from None

    from pytest_sentry_check import scan

    events = make_events(args.events)
    size = sum(len(str(event)) for event in events)
    relay_config = convert_datascrubbing_config(
        {
            "scrubData": True,
            "scrubDefaults": True,
            "scrubIpAddresses": True,
            "sensitiveFields": [],
            "excludeFields": [],
        }
    )

    def ours() -> int:
        return sum(len(scan(event)) for event in events)

    def relay() -> int:
        return sum(len(pii_strip_event(relay_config, event)) for event in events)

    timings: dict[str, list[float]] = {"ours": [], "relay": []}
    findings = 0
    for _ in range(args.rounds):
        for name, run in (("ours", ours), ("relay", relay)):
            start = time.perf_counter()
            result = run()
            timings[name].append(time.perf_counter() - start)
            if name == "ours":
                findings = result
    ours_s, relay_s = min(timings["ours"]), min(timings["relay"])
    print(f"{len(events)} real FastAPI error events, {size / len(events) / 1024:.1f} KB each (repr)")
    print(
        f"pytest-sentry-check scan: {ours_s:.3f} s ({len(events) / ours_s:.0f} events/s), {findings} findings"
    )
    print(f"Relay pii_strip_event:    {relay_s:.3f} s ({len(events) / relay_s:.0f} events/s)")
    print(f"ratio (Relay time / ours): {relay_s / ours_s:.2f}x (goal >= 5x)")


if __name__ == "__main__":
    main()
