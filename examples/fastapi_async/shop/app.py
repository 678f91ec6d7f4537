"""An async FastAPI service whose Sentry init runs in its lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sentry_sdk
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/1", release="shop@1.0", traces_sample_rate=0.2)
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def read_item(item_id: str) -> dict[str, str]:
    if item_id == "missing":
        raise LookupError(f"no item {item_id}")
    return {"id": item_id}
