"""The transport every client gets: each envelope goes to a :class:`Router`, never to the network.

Exposed for type hints only. The transport keeps the serialized bytes (what Sentry would
receive); ``ReceivedEnvelope`` parses them back when a test reads them.
"""

from __future__ import annotations

import contextlib
import operator
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sentry_sdk.envelope import Envelope, Item
from sentry_sdk.transport import Transport

from .store import ReceivedEnvelope, Router

__all__ = ["CaptureTransport", "SilencedTransport", "flush_pending", "reports_the_test_run"]


class CaptureTransport(Transport):
    """A transport that hands every envelope to a :class:`Router`; nothing leaves the process.

    Exposed for type hints only.
    """

    #: gives the buffers of the client sending through this transport (see flush_pending)
    buffers: Callable[[Any], tuple[Any, ...]] | None = None

    def __init__(self, options: dict[str, Any], router: Router, app_options: dict[str, Any]):
        super().__init__(options)
        self.router = router
        #: the test whose body created the client (``sentry_sdk.init`` in a test, not a fixture)
        self.origin = router.body_running()
        self.app_options: Mapping[str, Any] = MappingProxyType(app_options)

    def capture_envelope(self, envelope: Envelope) -> None:
        # serializing reads an attachment given by path into the payload: the envelope is
        # handed back (capture_envelopes) as the SDK built it, unread
        unread = [item.payload for item in envelope.items if item.payload.bytes is None]
        try:
            raw = envelope.serialize()
        except Exception as exc:  # what the HTTP transport's worker would log and drop
            from .dropped import serialization_error

            self.router.deliver("sdk_errors", serialization_error(envelope, exc))
            return
        for payload in unread:
            payload.bytes = None
        received = ReceivedEnvelope(raw, time.time(), threading.current_thread().name)
        if self.origin:
            self.router.note_client_origin(self.origin)
        received.built = envelope  # for the listeners only: the capture keeps the bytes
        try:
            self.router.deliver("envelopes", received)
        finally:
            received.built = None

    def record_lost_event(
        self,
        reason: str,
        data_category: str | None = None,
        item: Item | None = None,
        *,
        quantity: int = 1,
    ) -> None:
        from .dropped import lost_event_records

        for record in lost_event_records(reason, data_category, item, quantity):
            self.router.deliver("dropped", record)

    def flush(self, timeout: float, callback: Any = None) -> None:
        return None

    def kill(self) -> None:
        return None


class SilencedTransport(Transport):
    """The transport of a client that reports the test run itself (pytest-sentry's): what it
    sends is counted and dropped, neither sent out nor mixed into the tests' captures.

    Exposed for type hints only.
    """

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        #: envelopes the client sent
        self.dropped = 0

    def capture_envelope(self, envelope: Envelope) -> None:
        self.dropped += 1

    def record_lost_event(self, *args: Any, **kwargs: Any) -> None:
        return None

    def flush(self, timeout: float, callback: Any = None) -> None:
        return None

    def kill(self) -> None:
        return None


#: The package of the test-run reporter recognised among a client's integrations.
_TEST_RUN_REPORTERS = ("pytest_sentry",)


def reports_the_test_run(integrations: Any) -> bool:
    """Whether a client with these integrations (its ``integrations`` option, or its dict of
    set-up integrations) is pytest-sentry's, which reports the test run itself."""
    values = integrations.values() if isinstance(integrations, Mapping) else integrations or ()
    try:
        return any(
            type(integration).__module__.partition(".")[0] in _TEST_RUN_REPORTERS for integration in values
        )
    except TypeError:  # not iterable: no integration of a reporter
        return False


#: Where the SDK buffers telemetry before sending it (component, attribute).
_BUFFERS = (
    ("log_batcher", "_buffer"),
    ("metrics_batcher", "_buffer"),
    ("span_batcher", "_span_buffer"),
    ("session_flusher", "pending_sessions"),
    ("session_flusher", "pending_aggregates"),
)


def flush_pending(client: Any, timeout: float = 2.0) -> None:
    """Make ``client`` send what it buffers, if it buffers anything.

    Checking is much cheaper than a flush, which matters once per test. An SDK whose internals
    look different is always flushed.
    """
    transport = getattr(client, "transport", None)
    if transport is None:  # a client that sends nothing (none made, or closed)
        return
    if not isinstance(transport, CaptureTransport):  # a real transport to the local server: its queue
        _flush(client, timeout)
        return
    buffers = transport.buffers
    if buffers is None:  # one transport per client, and a client makes its buffers at init
        buffers = transport.buffers = _buffers_of(client)
    try:
        buffered = any(buffers(client))
    except Exception:  # a buffer's holder went away (the client is closing): flush to know
        buffered = True
    if buffered:
        _flush(client, timeout)


def _flush(client: Any, timeout: float) -> None:
    """``client.flush``; a test that broke the client's buffers on purpose gets no error from
    the plugin for it (what the SDK's own flush raises in production is logged there)."""
    with contextlib.suppress(Exception):
        client.flush(timeout=timeout)


def _buffers_of(client: Any) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the buffers of ``client`` (one C call: this runs twice per test)."""
    names = []
    for component, attribute in _BUFFERS:
        holder = getattr(client, component, None)
        if holder is not None:
            if not hasattr(holder, attribute):
                return _always  # an SDK that looks different: flush to know
            names.append(f"{component}.{attribute}")
    if not names:
        return _nothing
    # attrgetter returns a tuple for two names or more
    return operator.attrgetter(*names) if len(names) > 1 else operator.attrgetter(names[0], names[0])


def _always(client: Any) -> tuple[Any, ...]:
    return (True,)


def _nothing(client: Any) -> tuple[Any, ...]:
    return ()
