"""Flask: the integration names transactions after the endpoint and attaches the request."""

import pytest
from flask.testing import FlaskClient
from notes.app import create_app

from pytest_sentry_check import assert_scrubbed


@pytest.fixture
def client() -> FlaskClient:
    app = create_app()
    return app.test_client()


def test_error_has_the_request_and_endpoint(client, sentry_events):
    client.get("/notes/missing?page=2", headers={"Authorization": "Bearer s3cr3t-t0ken-value"})
    event = sentry_events.one(exception_type=LookupError)
    assert event.transaction == "read_note"
    assert event["transaction_info"] == {"source": "component"}
    assert event.request["method"] == "GET"
    assert event.request["url"] == "http://localhost/notes/missing"
    assert event.request["query_string"] == "page=2"
    assert event.request["headers"]["Authorization"] == "[Filtered]"
    assert_scrubbed(sentry_events)


def test_transaction_is_named_after_the_endpoint(client, sentry_events):
    client.get("/notes/n-1")
    tx = sentry_events.transactions.one(name="read_note")
    assert tx.op == "http.server"
    assert tx.status == "ok"
