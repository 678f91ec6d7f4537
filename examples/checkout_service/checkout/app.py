"""The HTTP API."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from . import observability as obs

logger = logging.getLogger("checkout")


class SentryContextMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:12]
        obs.set_request_context(request.method, request.url.path, request_id)
        obs.add_breadcrumb(f"{request.method} {request.url.path}", category="http.request")
        return await call_next(request)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    obs.init_sentry("checkout")
    yield


app = FastAPI(lifespan=lifespan)
app.add_middleware(SentryContextMiddleware)

ORDERS = {"o-1": {"id": "o-1", "total": 42.0, "currency": "EUR"}}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@obs.trace_function(op="db.query")
def load_order(order_id: str) -> dict[str, Any]:
    return ORDERS[order_id]


@obs.trace_function(op="payment.charge")
def charge(order: dict[str, Any], card_last4: str) -> None:
    if card_last4 == "0002":
        raise obs.PaymentDeclined(f"card ending {card_last4} declined for order {order['id']}")


@app.get("/orders/{order_id}")
def get_order(order_id: str) -> dict[str, Any]:
    try:
        return load_order(order_id)
    except KeyError:
        raise HTTPException(status_code=404, detail="no such order") from None


@app.post("/checkout")
async def checkout(request: Request) -> dict[str, Any]:
    body = await request.json()
    obs.set_user_context(body["user_id"], email=body.get("email"), plan=body.get("plan"))
    obs.add_breadcrumb("checkout started", category="checkout", order_id=body["order_id"])
    order = load_order(body["order_id"])
    try:
        charge(order, body["card_last4"])
    except obs.PaymentDeclined as exc:
        obs.capture_exception(
            exc, context={"order_id": order["id"]}, tags={"payment": "declined"}, level="warning"
        )
        raise HTTPException(status_code=402, detail="payment declined") from None
    obs.capture_message("order paid", level="info", payment="ok")
    return {"status": "paid"}


@app.get("/boom")
def boom() -> None:
    raise RuntimeError("inventory service unreachable")


@app.get("/disconnect")
def disconnect() -> None:
    raise obs.ClientDisconnected("client went away")


@app.get("/reports/{name}")
def report(name: str) -> dict[str, str]:
    logger.error("report %s failed to render", name)
    return {"status": "degraded"}


@app.post("/password-reset")
async def password_reset(request: Request) -> dict[str, str]:
    body = await request.json()
    # Deliberately leaky, for the gate's demo: the log message carries the address, and
    # before_send masks exception values, not log messages.
    logger.error("password reset failed for %s", body["email"])
    return {"status": "queued"}


@obs.capture_errors(operation="nightly-reconcile")
def reconcile(batch: list[str]) -> int:
    with obs.background_transaction("nightly-reconcile"):
        for order_id in batch:
            load_order(order_id)
    return len(batch)
