"""``sentry_page``: a Playwright page whose Sentry envelopes land in the test's capture.

The browser SDK posts each envelope to ``<dsn host>/api/<project>/envelope/``. The page's
context routes those requests (``context.route``: popups and new pages too) to a handler that
reads the body as the local ingest server does (``Content-Encoding``, the limits, the envelope
format: ``_server.ingest``) and delivers it to the test's capture, as if the SDK in this process
had sent it: ``sentry_events`` (errors, replays, feedback) and the leak gate. Nothing reaches
the DSN's host, so the page keeps its production DSN.

Playwright's sync API runs a route's handler only while the test's thread is inside a
Playwright call, so the page is a *pump* of the capture: ``sentry_events...wait_for(...)``
lets the page run while it waits. When the test ends, the page's SDK is flushed (when it is
``window.Sentry``: replay segment and buffers) so its last envelopes are gated too.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._server.ingest import (
    IngestError,
    Limits,
    decode_body,
    deliver,
    event_id_of,
    parse_body,
)

if TYPE_CHECKING:
    from pytest_sentry_check._capture.store import Capture, Router

__all__ = ["ENVELOPE_URL", "route_envelopes", "sentry_page"]

#: The browser SDK's envelope endpoint, on any host (the DSN's, or a relay's).
ENVELOPE_URL = re.compile(r"^[a-z]+://[^/]+(?:/[^?#]*)?/api/[^/?#]+/envelope/?(?:[?#].*)?$")

# The browser SDK posts cross-origin: the answer must allow it
_CORS = {"Access-Control-Allow-Origin": "*"}

# What the page's SDK is asked to send when the test ends (a page that exposes it as the CDN
# bundles do): the replay's open segment, then every buffer
_FLUSH = """async () => {
    const sentry = window.Sentry;
    if (!sentry || typeof sentry.flush !== "function") return false;
    const replay = typeof sentry.getReplay === "function" ? sentry.getReplay() : undefined;
    if (replay) await replay.flush();
    return await sentry.flush(2000);
}"""


def route_envelopes(target: Any, router: Router, capture: Capture, limits: Limits | None = None) -> None:
    """Route the envelope requests of ``target`` (a Playwright ``Page`` or ``BrowserContext``)
    into ``capture``: read as the local ingest server reads a body, answered as Sentry would
    (200 with the event id; the status and reason of a refused one)."""
    limits = limits or Limits()

    def handle(route: Any) -> None:
        request = route.request
        if request.method != "POST":  # (Playwright answers CORS preflights of routed requests)
            route.fallback()
            return
        headers = request.headers
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
        try:
            body = decode_body(request.post_data_buffer or b"", headers.get("content-encoding", ""), limits)
            raw = parse_body(
                body,
                headers.get("content-type", ""),
                "envelope",
                limits,
                sentry_client=(query.get("sentry_client") or [""])[0],
            )
        except IngestError as exc:
            route.fulfill(status=exc.status, json={"detail": exc.message}, headers=_CORS)
            return
        deliver(router, raw, capture)
        route.fulfill(status=200, json={"id": event_id_of(raw)}, headers=_CORS)

    target.route(ENVELOPE_URL, handle)


def sentry_page(
    request: pytest.FixtureRequest, router: Router, capture: Capture, limits: Limits | None
) -> Iterator[Any]:
    """pytest-playwright's ``page``, its context's envelopes (popups, new pages) routed into
    ``capture`` and pumped while the test waits for records; the page flushed when the test ends."""
    __tracebackhide__ = True
    try:
        page = request.getfixturevalue("page")
    except pytest.FixtureLookupError:
        page = None
    if page is None:  # failed outside the except clause: the message alone, not chained
        pytest.fail(
            "sentry_page needs pytest-playwright's page fixture: pip install pytest-playwright",
            pytrace=False,
        )
    route_envelopes(page.context, router, capture, limits)  # its popups and new pages too
    owner = threading.get_ident()

    def pump(seconds: float) -> None:
        # Playwright's sync API belongs to the thread that made the page; elsewhere (or once the
        # page is closed) the wait just sleeps its turn instead of spinning
        if threading.get_ident() == owner and not page.is_closed():
            page.wait_for_timeout(seconds * 1000)
        else:
            time.sleep(seconds)

    remove = capture.add_pump(pump)
    try:
        yield page
    finally:
        try:
            if not page.is_closed():
                page.evaluate(_FLUSH)
                page.wait_for_timeout(100)  # the flushed requests reach the route
        except Exception:  # a page that navigated away, crashed or has no window.Sentry
            pass
        remove()
