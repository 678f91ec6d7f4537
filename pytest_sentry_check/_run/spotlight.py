"""``--sentry-spotlight``: each test's envelopes, tagged with its node id, forwarded to a running
Spotlight (getsentry/spotlight) for people who want to look at them in its UI.

A background thread posts them to Spotlight's ``/stream`` (``application/x-sentry-envelope``),
so a slow or absent Spotlight never slows a test. Each envelope's header gets
``"sentry_check_test": "<node id>"`` and each event and transaction the tag ``pytest.test``
(what Spotlight's UI shows). Forwarding never fails a test or the run: the first failure is
kept, and the run's end gives one warning.
"""

from __future__ import annotations

import json
import queue
import threading
import urllib.request
from typing import TYPE_CHECKING

from pytest_sentry_check._model.item_types import is_event_like

if TYPE_CHECKING:
    from pytest_sentry_check._capture.store import Capture, ReceivedEnvelope

__all__ = ["HEADER_FIELD", "TAG", "SpotlightForwarder", "tagged"]

HEADER_FIELD = "sentry_check_test"
TAG = "pytest.test"
_TAG_LIMIT = 200  # Sentry's limit for a tag's value
_TIMEOUT = 5.0


def tagged(raw: bytes, nodeid: str) -> bytes:
    """``raw`` with the test's node id in its header and as a tag of each event and transaction.

    Parsed with sentry-sdk's own envelope parser, a fresh copy (the test's queries keep theirs);
    an envelope that does not parse is forwarded as it is."""
    from sentry_sdk.envelope import Envelope, Item, PayloadRef

    try:
        envelope = Envelope.deserialize(raw)
    except Exception:
        return raw
    headers = {**envelope.headers, HEADER_FIELD: nodeid}
    items = []
    for item in envelope.items:
        kind = str(item.type)
        payload = None
        if is_event_like(kind):
            try:
                payload = json.loads(item.payload.get_bytes())
            except ValueError:
                payload = None
        if isinstance(payload, dict):
            tags = payload.get("tags")
            value = nodeid[-_TAG_LIMIT:]
            if isinstance(tags, list):  # [[key, value], ...], as the SDK may send them
                payload["tags"] = [*tags, [TAG, value]]
            else:
                payload["tags"] = {**(tags if isinstance(tags, dict) else {}), TAG: value}
            item_headers = {k: v for k, v in item.headers.items() if k != "length"}
            items.append(Item(payload=PayloadRef(json=payload), headers=item_headers))
        else:
            items.append(item)
    return Envelope(headers=headers, items=items).serialize()


class SpotlightForwarder:
    """Posts each watched test's envelopes to ``url`` on a daemon thread, in order."""

    def __init__(self, url: str):
        self.url = url
        self.sent = 0
        self.failed = 0
        self.first_failure: str | None = None
        self._queue: queue.Queue[tuple[bytes, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def watch(self, capture: Capture, nodeid: str) -> None:
        """Forward what ``capture`` receives from now on, tagged with ``nodeid``."""

        def forward(received: ReceivedEnvelope) -> None:
            self._queue.put((received.raw, nodeid))

        capture.listen(forward)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sentry-check-spotlight", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            raw, nodeid = job
            try:
                self._post(tagged(raw, nodeid))
                self.sent += 1
            except Exception as exc:  # never let a forwarding problem reach the tests
                self.failed += 1
                if self.first_failure is None:
                    self.first_failure = f"{type(exc).__name__}: {exc}"[:300]

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-sentry-envelope", "User-Agent": "pytest-sentry-check"},
        )
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            response.read()

    def close(self, timeout: float = 10.0) -> str | None:
        """Wait up to ``timeout`` for what is queued; the warning to give, if any failed."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
        if not self.failed:
            return None
        envelopes = "envelope" if self.failed == 1 else "envelopes"
        return (
            f"--sentry-spotlight: {self.failed} {envelopes} could not be forwarded to {self.url} "
            f"(first: {self.first_failure}); is Spotlight running (npx @spotlightjs/spotlight)? "
            "The tests are not affected."
        )
