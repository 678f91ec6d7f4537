"""Django (pytest-django): errors through `client`, transactions through `live_server`.

sentry-sdk starts the transaction and attaches the request in Django's ``WSGIHandler``;
``django.test.Client`` calls the handler stack below it, so its requests give events (named after
the URL pattern) but no transaction and no request data. ``live_server`` serves through the real
WSGI handler: use it where the test is about transactions or request data.
"""

import urllib.error
import urllib.request

import pytest

from pytest_sentry_check import assert_scrubbed


def test_client_errors_are_named_after_the_url_pattern(client, sentry_events):
    with pytest.raises(LookupError):
        client.get("/pages/missing?page=2")
    event = sentry_events.one(exception_type=LookupError)
    assert event.transaction == "/pages/{page_id}"
    assert event["transaction_info"] == {"source": "route"}
    assert len(sentry_events.transactions) == 0  # the test client gives none: see above


def test_live_server_gives_the_transaction(live_server, sentry_events):
    with urllib.request.urlopen(f"{live_server.url}/pages/p-1") as response:
        assert response.status == 200
    # the server thread finishes the transaction after the response is sent: wait for it
    (tx,) = sentry_events.transactions.wait_for(name="/pages/{page_id}")
    assert tx.op == "http.server"
    assert tx["transaction_info"] == {"source": "route"}


def test_live_server_errors_carry_the_request(live_server, sentry_events):
    request = urllib.request.Request(
        f"{live_server.url}/pages/missing?page=2",
        headers={"X-Request-Id": "r-1", "Authorization": "Bearer s3cr3t-t0ken-value"},
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request)
    (event,) = sentry_events.wait_for(exception_type=LookupError)
    assert event.request["method"] == "GET"
    assert event.request["url"] == f"{live_server.url}/pages/missing"
    assert event.request["query_string"] == "page=2"
    assert event.request["headers"]["X-Request-Id"] == "r-1"
    assert event.request["headers"]["Authorization"] == "[Filtered]"
    assert_scrubbed(sentry_events)


def test_the_miss_message_says_why_the_client_gave_no_transaction(client, sentry_events):
    with pytest.raises(LookupError):
        client.get("/pages/missing")
    with pytest.raises(AssertionError) as miss:
        sentry_events.transactions.one()
    assert str(miss.value).splitlines() == [
        "sentry_events.transactions.one(): no transaction was captured.",
        "Also captured: 1 event.",
        "The 1 event came through Django without a request URL: django.test.Client "
        "(pytest-django's `client`) calls Django below its WSGIHandler, where sentry-sdk starts "
        "the transaction and attaches the request, so its requests give no transaction.",
        "Serve the app with pytest-django's `live_server` (the real WSGI handler) and wait for "
        "the transaction with sentry_events.transactions.wait_for(...). See "
        "https://pytest-sentry-check.readthedocs.io/en/latest/how-to/recipes/django/",
    ]


def test_the_miss_message_without_events_names_the_test_client(client, sentry_events):
    assert client.get("/pages/p-1").status_code == 200
    with pytest.raises(AssertionError) as miss:
        sentry_events.transactions.one(name="/pages/{page_id}")
    assert str(miss.value).splitlines() == [
        "sentry_events.transactions.one(name='/pages/{page_id}'): no transaction was captured.",
        "The Django integration is active: if this test's requests went through "
        "django.test.Client (pytest-django's `client`), they give no transaction, because "
        "sentry-sdk starts it in Django's WSGIHandler, which the test client does not call.",
        "Serve the app with pytest-django's `live_server` (the real WSGI handler) and wait for "
        "the transaction with sentry_events.transactions.wait_for(...). See "
        "https://pytest-sentry-check.readthedocs.io/en/latest/how-to/recipes/django/",
    ]
