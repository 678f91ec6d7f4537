"""aiohttp (pytest-aiohttp's aiohttp_client): transactions named after the handler."""

import pytest
from pets.app import create_app


@pytest.mark.asyncio
async def test_error_has_the_request(aiohttp_client, sentry_events):
    client = await aiohttp_client(create_app())
    await client.get("/pets/missing?page=2", headers={"x-request-id": "r-1"})
    event = sentry_events.one(exception_type=LookupError)
    assert event.transaction == "pets.app.read_pet"
    assert event["transaction_info"] == {"source": "component"}
    assert event.request["method"] == "GET"
    assert event.request["url"].endswith("/pets/missing")  # the test server's port varies
    assert event.request["query_string"] == "page=2"
    assert event.request["headers"]["X-Request-ID"] == "r-1"


@pytest.mark.asyncio
async def test_transaction_is_named_after_the_handler(aiohttp_client, sentry_events):
    client = await aiohttp_client(create_app())
    await client.get("/pets/p-1")
    tx = sentry_events.transactions.one(name="pets.app.read_pet")
    assert tx.op == "http.server"
