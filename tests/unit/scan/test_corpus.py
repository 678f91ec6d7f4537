"""Corpora of real SDK output: clean ones give no finding, planted ones are always found."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
import sentry_sdk
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from pytest_sentry_check import SentryEvents, capture, scan
from pytest_sentry_check._rules.patterns import PATTERN_RULES

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"
logger = logging.getLogger("shop.orders")


def _init(**options: Any) -> None:
    sentry_sdk.init(
        dsn=DSN,
        release="shop@4.2.0+8f2c1d9e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        environment="staging",
        traces_sample_rate=1.0,
        enable_logs=True,
        integrations=[
            StarletteIntegration(),
            FastApiIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        **options,
    )


clean_app = FastAPI()


@clean_app.get("/orders/{order_id}")
def get_order(order_id: int, page: int = 1) -> dict[str, Any]:
    sentry_sdk.set_tag("feature", "orders")
    sentry_sdk.set_context("order", {"id": order_id, "items": 3, "currency": "EUR"})
    sentry_sdk.add_breadcrumb(message=f"loading order {order_id}", category="db")
    with sentry_sdk.start_span(op="db.query", name="SELECT * FROM orders WHERE id = %s"):
        pass
    if order_id % 4 == 0:
        raise KeyError(f"order {order_id} not found")
    if order_id % 4 == 1:
        logger.error("inventory lookup failed for order %s", order_id)
    if order_id % 4 == 2:
        raise HTTPException(status_code=409, detail="order locked")
    return {"id": order_id, "page": page}


@clean_app.post("/orders")
async def create_order(request: Request) -> dict[str, Any]:
    body = await request.json()
    sentry_sdk.set_user({"id": f"user-{body['customer']}"})
    sentry_sdk.logger.info("order created for {customer}", customer=body["customer"])
    if body["quantity"] > 5:
        raise ValueError(f"quantity {body['quantity']} above limit")
    return {"status": "created"}


def _background_job(n: int) -> None:
    with sentry_sdk.start_transaction(name="recompute-stock", op="task"):
        with sentry_sdk.start_span(op="cache.get", name="stock:warehouse-3"):
            pass
        if n % 2:
            sentry_sdk.capture_message(f"stock drift of {n} units", level="warning")


@pytest.fixture(scope="module")
def clean_corpus() -> tuple[SentryEvents, int]:
    """Over 200 events and transactions from varied real code, send_default_pii both ways."""
    with capture() as events:
        for pii in (False, True):
            _init(send_default_pii=pii)
            with TestClient(clean_app, raise_server_exceptions=False) as client:
                for n in range(40):
                    client.get(f"/orders/{n}?page={n % 3}&sort=desc")
                    client.post("/orders", json={"customer": n, "quantity": n % 8})
            threads = [threading.Thread(target=_background_job, args=(n,)) for n in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            sentry_sdk.flush()
        items = sum(len(envelope.items) for envelope in events.envelopes)
    # closed before the tests use it: an open capture would also take what later tests send
    return events, items


def test_the_clean_corpus_is_big_enough(clean_corpus: tuple[SentryEvents, int]) -> None:
    """At least 200 events and transactions, of every kind the code produces."""
    events, items = clean_corpus
    assert len(events) + len(events.transactions) >= 200
    assert items >= 250
    assert events.logs
    assert events.transactions.filter(name="recompute-stock")
    assert {e.level for e in events} >= {"error", "warning"}


def test_the_clean_corpus_gives_no_finding(clean_corpus: tuple[SentryEvents, int]) -> None:
    """Zero false positives on real, clean SDK output (every rule, every item type)."""
    events, _ = clean_corpus
    findings = scan(events)
    assert findings == [], "\n".join(str(f) for f in findings[:20])


# -- planted corpus -----------------------------------------------------------------------------

planted_app = FastAPI()
PLANTED: dict[str, Any] = {}


@planted_app.api_route("/plant/{rest:path}", methods=["GET", "POST"])
async def plant(request: Request, rest: str) -> None:
    body = await request.body()
    secret_in_a_local = PLANTED.get("local")  # noqa: F841 (the frame variable is the point)
    raise RuntimeError(f"plant failed ({len(body)} bytes)")


def _http(method: str, url: str, **kwargs: Any) -> None:
    with TestClient(planted_app, raise_server_exceptions=False) as client:
        client.request(method, url, **kwargs)


# Each location takes a (key, value) and makes the real SDK send the value there.
LOCATIONS: dict[str, Callable[[str, str], None]] = {
    "headers": lambda k, v: _http("GET", "/plant/x", headers={f"X-{k}": v}),
    "body": lambda k, v: _http("POST", "/plant/x", json={k: v}),
    "query": lambda k, v: _http("GET", "/plant/x?" + urllib.parse.urlencode({k: v})),
    "url": lambda k, v: _http("GET", "/plant/" + urllib.parse.quote(v, safe="")),
    "cookies": lambda k, v: _http("GET", "/plant/x", headers={"Cookie": f"{k}={urllib.parse.quote(v)}"}),
    "frame vars": lambda k, v: (PLANTED.__setitem__("local", {k: v}), _http("GET", "/plant/x")),
    "exception value": lambda k, v: _capture_exception(RuntimeError(f"failed with {v}")),
    "message": lambda k, v: sentry_sdk.capture_message(f"{k}: {v}"),
    "breadcrumbs": lambda k, v: (
        sentry_sdk.add_breadcrumb(message=v, data={k: v}),
        sentry_sdk.capture_message("m"),
    ),
    "tags": lambda k, v: (sentry_sdk.set_tag(k, v), sentry_sdk.capture_message("m")),
    "contexts": lambda k, v: (sentry_sdk.set_context("checkout", {k: v}), sentry_sdk.capture_message("m")),
    "extra": lambda k, v: (sentry_sdk.set_extra(k, v), sentry_sdk.capture_message("m")),
    "user": lambda k, v: (sentry_sdk.set_user({"id": "u1", k: v}), sentry_sdk.capture_message("m")),
    "span data": lambda k, v: _span_with(k, v),  # noqa: PLW0108 (defined below)
    "log items": lambda k, v: (sentry_sdk.logger.info(f"note {v}", **{k: v}), sentry_sdk.flush()),
}
KEYLESS = {"url", "exception value", "message"}  # no key to carry a field name


def _capture_exception(exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        sentry_sdk.capture_exception()


def _span_with(key: str, value: str) -> None:
    with sentry_sdk.start_transaction(name="job"), sentry_sdk.start_span(op="task") as span:
        span.set_data(key, value)


def _planted_findings(location: str, key: str, value: str, secrets: tuple[str, ...] = ()) -> list[Any]:
    PLANTED.clear()  # a value planted in the frame locals of one case must not be found in the next
    with capture() as events:
        _init(send_default_pii=True)
        LOCATIONS[location](key, value)
        sentry_sdk.flush()
        return scan(events, secrets=secrets)


SAMPLES = {rule.id: rule.true_positives[0] for rule in PATTERN_RULES}
SAMPLES["credit-card"] = "4111-1111-1111-1111"  # separated, so no card-like key is needed


@pytest.mark.parametrize("location", sorted(LOCATIONS))
def test_a_canary_is_found_in_every_location(location: str) -> None:
    """A registered secret, planted anywhere the SDK sends data, is found."""
    secret = "cnry-7Hq2LmX9vB4w"
    findings = _planted_findings(location, "note", secret, secrets=(secret,))
    assert any(f.rule == "canary" for f in findings), location


@pytest.mark.parametrize("location", sorted(set(LOCATIONS) - KEYLESS))
def test_a_sensitive_field_is_found_in_every_keyed_location(location: str) -> None:
    """A value under a sensitive name (api_token) is found wherever keys travel."""
    findings = _planted_findings(location, "api_token", "v4lue-Zx81")
    assert any(f.rule == "field" for f in findings), location


@pytest.mark.parametrize("location", sorted(LOCATIONS))
@pytest.mark.parametrize("rule_id", sorted(SAMPLES))
def test_every_pattern_is_found_in_every_location(rule_id: str, location: str) -> None:
    """Each pattern rule's sample, planted in each location, is found by that rule."""
    findings = _planted_findings(location, "note", SAMPLES[rule_id])
    assert rule_id in {f.rule for f in findings}, (rule_id, location, [str(f) for f in findings][:5])
