"""Async tests: the app's lifespan (and so its sentry_sdk.init) runs under httpx's ASGITransport."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from shop.app import app

from pytest_sentry_check import lifespan


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
        yield client


@pytest.mark.asyncio
async def test_error_has_the_request_and_route(client, sentry_events):
    await client.get("/items/missing?page=2", headers={"x-request-id": "r-1"})
    event = sentry_events.one(exception_type=LookupError)
    assert event.transaction == "/items/{item_id}"
    assert event["transaction_info"] == {"source": "route"}
    assert event.request["method"] == "GET"
    assert event.request["url"] == "http://shop/items/missing"
    assert event.request["query_string"] == "page=2"
    assert event.request["headers"]["x-request-id"] == "r-1"
    assert sentry_events.client_options["release"] == "shop@1.0"


@pytest.mark.asyncio
async def test_transaction_is_named_after_the_route(client, sentry_events):
    await client.get("/items/i-1")
    tx = sentry_events.transactions.one(name="/items/{item_id}")
    assert tx.op == "http.server"
    assert tx["transaction_info"] == {"source": "route"}


@pytest.mark.anyio
async def test_the_same_under_anyio(sentry_events):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
        await client.get("/items/missing")
    assert sentry_events.one(exception_type=LookupError).transaction == "/items/{item_id}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
