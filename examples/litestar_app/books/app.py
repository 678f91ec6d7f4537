"""A Litestar service: sentry_sdk.init in the app factory, before Litestar(...) is built.

sentry-sdk's Litestar integration patches ``Litestar.__init__``: an init in an ``on_startup``
hook comes too late, and the app then reports nothing.
"""

import sentry_sdk
from litestar import Litestar, get
from sentry_sdk.integrations.litestar import LitestarIntegration


@get("/books/{book_id:str}")
async def read_book(book_id: str) -> dict[str, str]:
    if book_id == "missing":
        raise LookupError(f"no book {book_id}")
    return {"id": book_id}


def create_app() -> Litestar:
    sentry_sdk.init(
        dsn="https://key@o1.ingest.sentry.io/1",
        release="books@1.0",
        traces_sample_rate=0.2,
        integrations=[LitestarIntegration()],
    )
    return Litestar(route_handlers=[read_book])
