"""The SDK's buffers (logs) are flushed into the test, from the client the SDK itself uses."""

from __future__ import annotations

from collections.abc import Callable

import sentry_sdk

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
