"""A payments API: payment intents, refunds and provider webhooks, with the ids, amounts and
card facts such a service puts in its events (payment and customer ids, idempotency keys, the
card's brand and last four digits, a publishable key, webhook signatures as hex digests) and
its errors (declines, provider timeouts, bad signatures).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from _sentry_helpers import (
    add_breadcrumb,
    capture_exception,
    capture_message,
    init_sentry,
    job_scope,
    set_user_context,
    trace_function,
)
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

NAME = "payments"
#: the configurations its clean traffic runs under: send_default_pii off, and on where it has no credentials to send
CLEAN_PII = (False, True)
PLANT_ROUTE = "/v1/webhooks/{}"

# Stripe's publishable key is public by design (it ships in every checkout page)
PUBLISHABLE_KEY = "pk_live_51Habcdefghijklmnopqrstuv"
CARDS = [("visa", "4242", 12, 2027), ("mastercard", "4444", 3, 2028), ("amex", "0005", 7, 2026)]


class CardDeclined(Exception):
    def __init__(self, decline_code: str, payment_id: str):
        super().__init__(f"card declined ({decline_code}) for {payment_id}")
        self.decline_code = decline_code


class ProviderTimeout(Exception):
    pass


class PaymentIn(BaseModel):
    amount: int
    currency: str
    customer: str
    payment_method: str


TITLE = "payments-api"


def _payment_id(n: int) -> str:
    return f"pi_3N{hashlib.sha256(str(n).encode()).hexdigest()[:22]}"


@trace_function("db.query")
def load_customer(customer: str) -> dict[str, Any]:
    return {"id": customer, "default_currency": "eur", "delinquent": False}


def create_payment(body: PaymentIn, request: Request) -> dict[str, Any]:
    idempotency_key = request.headers.get("idempotency-key", "")
    n = body.amount
    payment_id = _payment_id(n)
    brand, last4, exp_month, exp_year = CARDS[n % 3]
    sentry_sdk.set_tag("payment_provider", "stripe")
    sentry_sdk.set_tag("currency", body.currency)
    sentry_sdk.set_context(
        "payment",
        {
            "payment_intent": payment_id,
            "customer": body.customer,
            "amount": body.amount,
            "currency": body.currency,
            "payment_method": body.payment_method,
            "card_brand": brand,
            "card_last4": last4,
            "card_exp": f"{exp_month:02d}/{exp_year}",
            "card_fingerprint": hashlib.sha1(last4.encode()).hexdigest()[:16],
            "idempotency_key": idempotency_key,
            "publishable_key": PUBLISHABLE_KEY,
            "3ds_required": n % 4 == 0,
        },
    )
    load_customer(body.customer)
    add_breadcrumb("Processing payment", category="payment", amount=body.amount, payment_intent=payment_id)
    with sentry_sdk.start_span(
        op="http.client", name="POST https://api.stripe.com/v1/payment_intents"
    ) as span:
        span.set_data("http.response.status_code", 402 if n % 7 == 3 else 200)
        span.set_data("idempotency_key", idempotency_key)
    sentry_sdk.logger.info(
        "payment {payment_id} of {amount} {currency} authorised",
        payment_id=payment_id,
        amount=body.amount,
        currency=body.currency,
        attributes={"card.brand": brand, "card.last4": last4},
    )
    if n % 7 == 3:
        raise CardDeclined("insufficient_funds", payment_id)
    if n % 11 == 5:
        raise ProviderTimeout(f"stripe did not answer within 10s (payment {payment_id}, attempt 3 of 3)")
    return {"id": payment_id, "status": "succeeded"}


def refund(payment_id: str, amount: int) -> dict[str, Any]:
    add_breadcrumb("Refund requested", category="refund", payment_intent=payment_id, amount=amount)
    if amount > 5000:
        capture_message(
            f"refund of {amount} needs approval for {payment_id}", level="warning", feature="refunds"
        )
    return {"id": f"re_{payment_id[3:]}", "status": "pending"}


async def webhook(source: str, request: Request) -> dict[str, Any]:
    raw = await request.body()
    event = await request.json() if raw else {}
    signature = request.headers.get("stripe-signature", "")
    expected = hashlib.sha256(raw).hexdigest()
    if not signature.endswith(expected):
        error = ValueError(f"webhook signature mismatch ({len(raw)} bytes, scheme v1)")
        try:
            raise error
        except ValueError:
            capture_exception(
                error, context={"event_type": event.get("type", "unknown")}, tags={"webhook": "stripe"}
            )
        raise HTTPException(status_code=400, detail="bad signature")
    if event.get("type") not in ("charge.refunded", "payment_intent.succeeded"):
        raise LookupError(f"no handler for webhook {event.get('type', 'unknown')}")
    return {"received": True}


#: (method, path, handler): the app is built from them after ``init()`` (``_corpus._clients``)
ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("POST", "/v1/payments", create_payment),
    ("POST", "/v1/payments/{payment_id}/refunds", refund),
    ("POST", "/v1/webhooks/{source:path}", webhook),
]


def init(*, planted: bool = False, pii: bool = False) -> None:
    init_sentry(NAME, "2.14.0", planted=planted, pii=pii)


def traffic(client: TestClient) -> None:
    """Payments, refunds and webhooks with valid and invalid signatures."""
    for n in range(1, 25):
        headers = {"Idempotency-Key": str(uuid.UUID(int=7_000 + n))}
        body = {
            "amount": n * 250,
            "currency": "eur",
            "customer": f"cus_Q{n:04d}xk",
            "payment_method": "pm_card_visa",
        }
        client.post("/v1/payments", json=body, headers=headers)
        client.post(f"/v1/payments/{_payment_id(n)}/refunds", params={"amount": n * 200})
        event = {
            "id": f"evt_1N{n:06d}",
            "type": ("charge.refunded", "payment_intent.succeeded", "payout.paid")[n % 3],
        }
        raw = repr(event).replace("'", '"').encode()
        digest = hashlib.sha256(raw).hexdigest()
        signature = f"t=1733212800,v1={digest if n % 3 else '0' * 64}"
        client.post("/v1/webhooks/stripe", content=raw, headers={"Stripe-Signature": signature})


@contextmanager
def scene() -> Iterator[None]:
    """A payment's scope: the customer, the provider, and the intent being processed."""
    with job_scope("capture-payment", payment_provider="stripe", currency="eur"):
        set_user_context(user_id="cus_Q0042xk")
        sentry_sdk.set_context(
            "payment", {"payment_intent": _payment_id(42), "amount": 4200, "card_last4": "4242"}
        )
        add_breadcrumb("Processing payment", category="payment", amount=4200)
        yield
