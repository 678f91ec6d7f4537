"""What the helper fixtures hand out: ``sentry_init``'s init function, the lists of
``capture_events`` / ``capture_envelopes``, and the local ingest server of ``sentry_server``.

``plugin.py`` declares the fixtures (names, scopes, docs); this module is imported when a test
first uses one of them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import sentry_sdk

from pytest_sentry_check._model.item_types import is_event_like
from pytest_sentry_check._server.app import DEFAULT_READ_TIMEOUT, SentryServer, ServerView
from pytest_sentry_check._server.ingest import deliver

if TYPE_CHECKING:
    from sentry_sdk.envelope import Envelope

    from pytest_sentry_check._capture.install import Installation
    from pytest_sentry_check._capture.store import Capture, ReceivedEnvelope

    from .settings import Settings

__all__ = ["capture_envelopes", "capture_events", "local_server", "sentry_init", "server_view"]


def sentry_init(installation: Installation) -> Iterator[Callable[..., None]]:
    """``init(**options)``: ``sentry_sdk.init`` with the options as given (no DSN unless given,
    an explicit ``transport=`` kept and fed to the capture too, as sentry-python's own fixture);
    the clients it made are closed and the previous client is restored after."""
    old_client = sentry_sdk.get_global_scope().client
    sentry_sdk.get_current_scope().set_client(None)
    sentry_sdk.get_isolation_scope().set_client(None)
    clients: list[Any] = []

    def init(*args: Any, **options: Any) -> None:
        with installation.keeping_transports():
            sentry_sdk.init(*args, **options)
        clients.append(sentry_sdk.get_client())

    try:
        yield init
    finally:
        for client in clients:
            # flushes, then stops its batcher threads; a test may have broken its buffers on purpose
            with contextlib.suppress(Exception):
                client.close(timeout=2.0)
        sentry_sdk.get_global_scope().set_client(old_client)


def capture_events(capture: Capture) -> Callable[[], list[dict[str, Any]]]:
    """``start()``: a list that receives the payload of every event and transaction sent after
    the call."""

    def start() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []

        def on_envelope(received: ReceivedEnvelope) -> None:
            envelope = received.built if received.built is not None else received.envelope
            for item in envelope.items:
                if is_event_like(str(item.type)) and item.payload.json is not None:
                    events.append(item.payload.json)

        capture.listen(on_envelope)
        return events

    return start


def capture_envelopes(capture: Capture) -> Callable[[], list[Envelope]]:
    """``start()``: a list that receives every envelope sent after the call."""

    def start() -> list[Envelope]:
        envelopes: list[Envelope] = []
        # as the SDK built it (no length header, attachments' bytes as given), as the original
        # fixture; from another process (the local server), as parsed
        capture.listen(lambda received: envelopes.append(received.built or received.envelope))
        return envelopes

    return start


def local_server(
    installation: Installation, settings: Settings
) -> Iterator[tuple[SentryServer, dict[str, Capture]]]:
    """The local ingest server (started now), and which capture owns each DSN key. Its limits
    and read timeout are the run's (ini ``sentry_server_limits``, ``sentry_server_read_timeout``),
    else the server's defaults."""
    router = installation.router
    owners: dict[str, Capture] = {}
    timeout = settings.server_read_timeout
    server = SentryServer(
        lambda raw, key: deliver(router, raw, owners.get(key)),
        limits=settings.server_limits,
        read_timeout=DEFAULT_READ_TIMEOUT if timeout is None else timeout,
    ).start()
    netloc = f"{server.host}:{server.port}"
    installation.local_servers.add(netloc)
    try:
        yield server, owners
    finally:
        installation.local_servers.discard(netloc)
        server.stop()


def server_view(
    server: SentryServer, owners: dict[str, Capture], capture: Capture | None
) -> Iterator[ServerView]:
    """A view of ``server`` under a new DSN key owned by ``capture``; faults cleared around it."""
    key = uuid.uuid4().hex
    if capture is not None:
        owners[key] = capture
    server.add_key(key)
    server.clear_faults()
    try:
        yield ServerView(server, key)
    finally:
        server.clear_faults()
        if capture is not None:
            # the session's server outlives the test: keep its name for late arrivals, not what
            # it received (a suite of such tests would hold every test's envelopes)
            owners[key] = capture.successor()
