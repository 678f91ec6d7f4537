"""Errors reach Sentry with the context the team relies on when triaging."""

import pytest
from checkout.app import reconcile
from checkout.observability import ClientDisconnected


def test_unhandled_error_carries_request_context(client, sentry_events):
    client.get("/boom", headers={"x-request-id": "req-42"})
    event = sentry_events.one(exception_type=RuntimeError)
    assert event.exception_value == "inventory service unreachable"
    assert event.transaction == "checkout.app.boom"
    assert event.tags["service"] == "checkout"
    assert event.tags["request_id"] == "req-42"
    assert event.contexts["request_info"] == {"method": "GET", "path": "/boom", "request_id": "req-42"}
    assert [crumb["message"] for crumb in event.breadcrumbs] == ["GET /boom"]


def test_declined_payment_is_a_warning_with_the_order(client, sentry_events):
    client.post(
        "/checkout",
        json={"user_id": "u-7", "email": "ana@shop.example", "order_id": "o-1", "card_last4": "0002"},
    )
    event = sentry_events.one(exception_type="PaymentDeclined", tags={"payment": "declined"})
    assert event.level == "warning"
    assert event.contexts["details"] == {"order_id": "o-1"}
    assert event.user == {"id": "u-7", "email": "[email]"}
    assert "checkout started" in [crumb["message"] for crumb in event.breadcrumbs]


def test_successful_checkout_sends_an_info_message(client, sentry_events):
    client.post("/checkout", json={"user_id": "u-7", "order_id": "o-1", "card_last4": "4242"})
    message = sentry_events.one(message="order paid")
    assert message.level == "info"
    assert message.tags["payment"] == "ok"
    sentry_events.assert_none(level="error")


def test_client_disconnects_are_ignored(client, sentry_events):
    client.get("/disconnect")
    sentry_events.assert_none(exception_type=ClientDisconnected)
    assert sentry_events.dropped.one(reason="ignore_errors").category == "error"


def test_not_found_is_not_reported(client, sentry_events):
    assert client.get("/orders/o-404").status_code == 404
    assert len(sentry_events) == 0


def test_logged_errors_become_events(client, sentry_events):
    client.get("/reports/monthly")
    event = sentry_events.one(message="report monthly failed to render")
    assert event["logger"] == "checkout"
    assert event.level == "error"


def test_capture_decorator_reports_once_and_reraises(client, sentry_events):
    with pytest.raises(KeyError):
        reconcile(["o-1", "o-missing"])
    event = sentry_events.one(exception_type=KeyError, tags={"operation": "nightly-reconcile"})
    assert event.contexts["details"] == {"function": "reconcile"}
