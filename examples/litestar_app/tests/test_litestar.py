"""Litestar: transactions named after the handler function, the request attached."""

from collections.abc import Iterator

import pytest
from books.app import create_app
from litestar.testing import TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def test_error_has_the_request(client, sentry_events):
    client.get("/books/missing?page=2", headers={"x-request-id": "r-1"})
    event = sentry_events.one(exception_type=LookupError)
    assert event.transaction == "books.app.read_book"
    assert event["transaction_info"] == {"source": "component"}
    assert event.request["method"] == "GET"
    assert event.request["url"] == "http://testserver.local/books/missing"
    assert event.request["query_string"] == "page=2"
    assert event.request["headers"]["x-request-id"] == "r-1"


def test_transaction_is_named_after_the_handler(client, sentry_events):
    client.get("/books/b-1")
    tx = sentry_events.transactions.one(name="books.app.read_book")
    assert tx.op == "http.server"
