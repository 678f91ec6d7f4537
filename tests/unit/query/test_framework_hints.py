"""The transactions' miss message explains a framework's test client (Django's, in
examples/django_app, against real Django); here the events the Django integration sends."""

from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.utils import event_from_exception

from pytest_sentry_check import capture

DJANGO_DOCS = "https://pytest-sentry-check.readthedocs.io/en/latest/how-to/recipes/django/"


def _send_error(mechanism: str, request: dict[str, str]) -> None:
    """An unhandled view error, as the framework's integration reports it."""
    try:
        raise LookupError("no page missing")
    except LookupError as exc:
        event, hint = event_from_exception(exc, mechanism={"type": mechanism, "handled": False})
    event["request"] = request
    sentry_sdk.capture_event(event, hint=hint)


def test_a_django_error_without_a_request_url_names_the_test_client() -> None:
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=1.0)
        _send_error("django", {})
        _send_error("django", {})
        with pytest.raises(AssertionError) as miss:
            events.transactions.one()
    assert str(miss.value).splitlines() == [
        "sentry_events.transactions.one(): no transaction was captured.",
        "Also captured: 2 events.",
        "The 2 events came through Django without a request URL: django.test.Client "
        "(pytest-django's `client`) calls Django below its WSGIHandler, where sentry-sdk starts "
        "the transaction and attaches the request, so its requests give no transaction.",
        "Serve the app with pytest-django's `live_server` (the real WSGI handler) and wait for "
        f"the transaction with sentry_events.transactions.wait_for(...). See {DJANGO_DOCS}",
    ]


@pytest.mark.parametrize(
    ("mechanism", "request_data"),
    [("django", {"url": "http://localhost/pages/missing"}), ("flask", {})],
    ids=["django-with-the-request", "not-django"],
)
def test_other_errors_add_nothing(mechanism: str, request_data: dict[str, str]) -> None:
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=1.0)
        _send_error(mechanism, request_data)
        with pytest.raises(AssertionError) as miss:
            events.transactions.one()
    assert str(miss.value).splitlines() == [
        "sentry_events.transactions.one(): no transaction was captured.",
        "Also captured: 1 event.",
    ]
