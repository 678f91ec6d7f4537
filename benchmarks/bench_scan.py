"""Leak-scanner throughput vs Relay's server-side scrubbing, on the same real items, in one run.

Both sides get the same event and transaction payloads the real SDK produced for a FastAPI
service under test (sizes as in a real suite: mostly small transactions and messages, some
error events with frame variables, a few of 100 KB and more): our ``scan`` of each item as the
gate sees it (parsed from the captured envelope), and Relay's ``pii_strip_event`` with Sentry's
default data-scrubbing settings (package ``sentry-relay``, a benchmark dependency). Two sets:

- ordinary items: what a clean suite sends (goal: >= 10x Relay);
- trigger-heavy items: error events (frame variables) with one email in a breadcrumb: the
  prefilter fires and the walk runs over every value (goal: >= 5x Relay);
- leaky items: failing requests that leak a Bearer token, an API key in the query and a cookie
  in many frames (about 146 findings per event; shown for information: every finding is built).

It also prints the prefilter's throughput in a tight loop and with a cold cache (a 32 MiB
buffer touched between items, as the rest of a test run does).

Usage: python benchmarks/bench_scan.py [--rounds 5] [--scale 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import sentry_sdk
from fastapi import FastAPI, HTTPException, Request  # module level: FastAPI resolves annotations here
from fastapi.testclient import TestClient

from pytest_sentry_check import ScanItem, capture

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"


class _Item:
    """One parsed item, as the gate hands it to the scanner."""

    def __init__(self, item_type: str, payload: dict[str, Any], size: int):
        self.item_type, self.payload, self.size = item_type, payload, size

    def envelope_items(self) -> Iterable[ScanItem]:
        return [ScanItem(self.item_type, self.payload, json_native=True)]


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def get_order(order_id: int) -> dict[str, Any]:
        sentry_sdk.set_tag("feature", "orders")
        sentry_sdk.add_breadcrumb(message=f"loading order {order_id}", category="db")
        with sentry_sdk.start_span(op="db.query", name="SELECT * FROM orders WHERE id = %s"):
            pass
        if order_id % 10 == 3:
            raise HTTPException(status_code=404, detail="no such order")
        return {"id": order_id}

    @app.post("/checkout")
    async def checkout(request: Request) -> dict[str, Any]:
        body = await request.json()
        items = body["items"]
        sentry_sdk.set_context("cart", {"items": len(items), "currency": "EUR", "max_tokens": 1024})
        if len(items) % 5 == 4:
            raise RuntimeError(f"stock service down ({len(items)} items)")
        if len(items) % 7 == 6:
            sentry_sdk.set_extra(
                "cart_dump", [{"sku": f"SKU-{i:05d}", "qty": i % 3 + 1} for i in range(2500)]
            )
            sentry_sdk.capture_message("large cart")
        return {"ok": True}

    @app.get("/report/{report_id}")
    def report(report_id: int) -> dict[str, Any]:
        for n in range(500):  # a batch job's transaction: 100 KB and more
            with sentry_sdk.start_span(
                op="db.query", name=f"SELECT * FROM lines WHERE report = %s AND page = {n}"
            ):
                pass
        return {"id": report_id}

    @app.get("/notify/{order_id}")
    async def notify(order_id: int, request: Request) -> None:
        sentry_sdk.add_breadcrumb(message=f"mail to buyer{order_id}@shop.example queued", category="mail")
        raise RuntimeError(f"mail service down for order {order_id}")

    @app.get("/leaky/{user_id}")
    async def leaky(user_id: int, request: Request) -> None:
        raise RuntimeError(f"profile service failed for user {user_id}")

    return app


def make_items(scale: int) -> tuple[list[_Item], list[_Item], list[_Item]]:
    """(ordinary items, items where a trigger fires, leaky items), each a real SDK event or
    transaction payload."""
    app = _app()
    with capture() as events:
        sentry_sdk.init(dsn=DSN, release="shop@1.0.0", traces_sample_rate=1.0)
        with TestClient(app, raise_server_exceptions=False) as client:
            for n in range(150 * scale):
                client.get(f"/orders/{n}")
                client.post("/checkout", json={"items": list(range(n % 11))})
                if n % 30 == 0:
                    client.get(f"/report/{n}")
        ordinary = _items_of(events)
    with capture() as events:
        sentry_sdk.init(dsn=DSN, release="shop@1.0.0")
        with TestClient(app, raise_server_exceptions=False) as client:
            for n in range(40 * scale):
                client.get(f"/notify/{n}")
        firing = [item for item in _items_of(events) if item.item_type == "event"]
    with capture() as events:
        sentry_sdk.init(dsn=DSN, release="shop@1.0.0", traces_sample_rate=1.0)
        with TestClient(app, raise_server_exceptions=False) as client:
            for n in range(40 * scale):
                client.get(
                    f"/leaky/{n}?api_key=ak_live_7Hq2LmX9vB4w{n:04d}",
                    headers={
                        "Authorization": f"Bearer tok_live_51Habc{n:06d}xyz",
                        "Cookie": "sessionid=s3ss10n",
                    },
                )
        leaky = [item for item in _items_of(events) if item.item_type == "event"]
    return ordinary, firing, leaky


def _items_of(events: Any) -> list[_Item]:
    items = []
    for envelope in events.envelopes:
        for item in envelope.items:
            if item.type in ("event", "transaction") and isinstance(item.payload.json, dict):
                items.append(_Item(str(item.type), item.payload.json, len(item.payload.get_bytes())))
    return items


def _best(run: Callable[[], object], rounds: int) -> float:
    """The fastest of ``rounds`` runs, in CPU time of this process (a busy machine's waiting
    is not counted; both sides run in this one thread)."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times)


def compare(name: str, items: list[_Item], rounds: int, goal: float) -> None:
    from sentry_relay.processing import convert_datascrubbing_config, pii_strip_event

    from pytest_sentry_check import scan

    config = convert_datascrubbing_config(
        {
            "scrubData": True,
            "scrubDefaults": True,
            "scrubIpAddresses": True,
            "sensitiveFields": [],
            "excludeFields": [],
        }
    )
    payloads = [item.payload for item in items]
    findings = sum(len(scan(item)) for item in items)  # warm-up, and the result both sides must show
    ours = _best(lambda: [scan(item) for item in items], rounds)
    relay = _best(lambda: [pii_strip_event(config, payload) for payload in payloads], rounds)
    total = sum(item.size for item in items)
    sizes = sorted(item.size for item in items)
    print(
        f"{name}: {len(items)} items, median {statistics.median(sizes) / 1024:.1f} KB, "
        f"largest {sizes[-1] / 1024:.0f} KB, {total / 1e6:.1f} MB in all; our findings: {findings}"
    )
    for side, seconds in (("pytest-sentry-check scan", ours), ("Relay pii_strip_event", relay)):
        print(f"  {side:<25} {seconds * 1e6 / len(items):8.1f} µs/item {total / seconds / 1e6:8.1f} MB/s")
    print(f"  ratio (Relay time / ours): {relay / ours:.1f}x (goal >= {goal:g}x)")


def prefilter(items: list[_Item], rounds: int) -> None:
    import orjson

    from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
    from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
    from pytest_sentry_check._scan.scanner import scanner_for

    scanner = scanner_for((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    texts = [orjson.dumps(item.payload) for item in items]
    total = sum(map(len, texts))
    warm = _best(lambda: [scanner.triggers.match(text) for text in texts], rounds)
    buffer = bytearray(32 << 20)

    def cold() -> None:
        for text in texts:
            buffer[::4096] = b"\1" * len(buffer[::4096])  # evict the caches, as a test's own work does
            scanner.triggers.match(text)

    evicting = _best(
        lambda: [buffer.__setitem__(slice(None, None, 4096), b"\1" * len(buffer[::4096])) for _ in texts],
        rounds,
    )
    cold_s = _best(cold, rounds) - evicting
    print(
        f"prefilter (RE2 set, {len(scanner.triggers.names)} triggers): "
        f"{total / warm / 1e6:.0f} MB/s in a tight loop, "
        f"{total / max(cold_s, 1e-9) / 1e6:.0f} MB/s with a cold cache"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    try:
        import sentry_relay  # noqa: F401
    except ImportError:
        raise SystemExit("this benchmark needs Relay's Python package: pip install sentry-relay") from None
    ordinary, firing, leaky = make_items(args.scale)
    compare("ordinary items", ordinary, args.rounds, 10)
    compare("trigger-heavy items (an error event with one email in a breadcrumb)", firing, args.rounds, 5)
    compare("leaky items (a Bearer token, query API key and cookie ~146 times each)", leaky, args.rounds, 5)
    prefilter(ordinary, args.rounds)


if __name__ == "__main__":
    main()
