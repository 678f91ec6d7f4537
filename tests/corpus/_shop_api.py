"""The project's first clean corpus (from ``tests/unit/scan/test_corpus.py``): an orders API
with query strings, a JSON body, errors of several kinds, logs, and transactions run on threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sentry_sdk
from _sentry_helpers import DSN
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

NAME = "shop"
CLEAN_PII = (False, True)
PLANT_ROUTE = None
logger = logging.getLogger("shop.orders")


def init(*, planted: bool = False, pii: bool = False) -> None:
    sentry_sdk.init(
        dsn=DSN,
        release="shop@4.2.0+8f2c1d9e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        environment="staging",
        traces_sample_rate=1.0,
        enable_logs=True,
        send_default_pii=planted or pii,
        integrations=[
            StarletteIntegration(),
            FastApiIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
    )


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


async def create_order(request: Request) -> dict[str, Any]:
    body = await request.json()
    sentry_sdk.set_user({"id": f"user-{body['customer']}"})
    sentry_sdk.logger.info("order created for {customer}", customer=body["customer"])
    if body["quantity"] > 5:
        raise ValueError(f"quantity {body['quantity']} above limit")
    return {"status": "created"}


#: (method, path, handler): the app is built from them after ``init()`` (``_corpus._clients``)
TITLE = "shop"
ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("GET", "/orders/{order_id}", get_order),
    ("POST", "/orders", create_order),
]


def _background_job(n: int) -> None:
    with sentry_sdk.start_transaction(name="recompute-stock", op="task"):
        with sentry_sdk.start_span(op="cache.get", name="stock:warehouse-3"):
            pass
        if n % 2:
            sentry_sdk.capture_message(f"stock drift of {n} units", level="warning")


def traffic(client: TestClient) -> None:
    for n in range(24):
        client.get(f"/orders/{n}?page={n % 3}&sort=desc")
        client.post("/orders", json={"customer": n, "quantity": n % 8})
    threads = [threading.Thread(target=_background_job, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
