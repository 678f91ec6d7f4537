"""The SDK's buffers (logs) are flushed into the test, from the client the SDK itself uses."""

from __future__ import annotations

import threading
from collections.abc import Callable

import sentry_sdk
from sentry_sdk.envelope import Envelope

from pytest_sentry_check import SentryEvents


def test_a_log_buffered_by_the_sdk_reaches_the_test_even_after_a_buffer_went_away(
    sentry_init: Callable[..., None], sentry_events: SentryEvents
) -> None:
    """The buffer check is kept per transport; a client that lost one of its buffers is flushed,
    never crashes the check."""
    from pytest_sentry_check._capture.transport import flush_pending

    sentry_init(enable_logs=True)
    client = sentry_sdk.get_client()
    sentry_sdk.logger.info("first")
    flush_pending(client)
    assert [log.body for log in sentry_events.logs] == ["first"]
    sentry_sdk.logger.info("second")
    flush_pending(client)  # the cached check finds it
    assert [log.body for log in sentry_events.logs] == ["first", "second"]
    batcher, client.log_batcher = client.log_batcher, None
    try:
        flush_pending(client)  # the cached check's path is gone: flush instead of failing
    finally:
        client.log_batcher = batcher


def test_the_client_whose_buffers_are_checked_is_the_one_the_sdk_uses(
    sentry_init: Callable[..., None],
) -> None:
    """client_in_use() finds the client as sentry_sdk.get_client() does, from each scope."""
    from pytest_sentry_check._capture.scopes import client_in_use

    sentry_init()
    assert client_in_use() is sentry_sdk.get_client()
    with sentry_sdk.isolation_scope() as scope:
        own = sentry_sdk.Client(dsn="https://k@o0.ingest.sentry.invalid/0")
        scope.set_client(own)
        assert client_in_use() is sentry_sdk.get_client() is own
        with sentry_sdk.new_scope() as current:
            inner = sentry_sdk.Client(dsn="https://k@o0.ingest.sentry.invalid/0")
            current.set_client(inner)
            assert client_in_use() is sentry_sdk.get_client() is inner
            inner.close()
        own.close()
    assert client_in_use() is sentry_sdk.get_client()


def test_the_buffers_are_not_looked_at_while_nothing_asked_the_sdk_for_a_scope(
    sentry_init: Callable[..., None], sentry_events: SentryEvents
) -> None:
    """A test that makes no Sentry call costs no buffer check (the per-test path runs two)."""
    from pytest_sentry_check._capture.session import flush_in_use
    from pytest_sentry_check._capture.transport import CaptureTransport

    sentry_init(enable_logs=True)
    client = sentry_sdk.get_client()
    transport = client.transport
    assert isinstance(transport, CaptureTransport)
    sentry_sdk.logger.info("first")
    flush_in_use()
    buffers, looks = transport.buffers, []
    assert buffers is not None

    def looking(client: object) -> tuple[object, ...]:
        looks.append(client)
        return buffers(client)

    transport.buffers = looking
    try:
        flush_in_use()
        flush_in_use()
        assert looks == []
        sentry_sdk.logger.info("second")  # asks the SDK for the current scope
        flush_in_use()
        assert looks
        assert all(seen is client for seen in looks)
    finally:
        transport.buffers = buffers
    assert [log.body for log in sentry_events.logs] == ["first", "second"]


def test_a_log_from_another_thread_is_flushed_into_the_test(
    sentry_init: Callable[..., None], sentry_events: SentryEvents
) -> None:
    from pytest_sentry_check._capture.session import flush_in_use

    sentry_init(enable_logs=True)
    flush_in_use()
    thread = threading.Thread(target=sentry_sdk.logger.info, args=("from a thread",))
    thread.start()
    thread.join()
    flush_in_use()
    assert [log.body for log in sentry_events.logs] == ["from a thread"]


def test_the_buffers_of_a_client_put_back_with_set_client_are_checked_again(
    sentry_init: Callable[..., None], capture_envelopes: Callable[[], list[Envelope]]
) -> None:
    """Changing the client in use asks for no scope; the check must still look at the client
    that is in use again, whose buffer it last saw while another client was in use."""
    from pytest_sentry_check._capture.session import flush_in_use

    sentry_init(enable_logs=True)
    envelopes = capture_envelopes()
    first = sentry_sdk.get_client()
    sentry_sdk.logger.info("buffered by the first client")
    other = sentry_sdk.Client(dsn="https://k@o0.ingest.sentry.invalid/0")
    global_scope = sentry_sdk.get_global_scope()
    global_scope.set_client(other)
    flush_in_use()  # looks at the other client's buffers only
    global_scope.set_client(first)
    flush_in_use()
    sent = [item.type for envelope in envelopes for item in envelope.items]
    other.close()
    assert sent == ["log"]
