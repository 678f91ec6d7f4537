"""Queries on input they cannot expect: malformed envelopes, a null tag, builtins with their module."""

from __future__ import annotations

import sentry_sdk

from pytest_sentry_check import capture
from pytest_sentry_check._capture.store import ReceivedEnvelope


def test_a_malformed_envelope_never_breaks_the_queries() -> None:
    """Bytes that do not parse, JSON that is not an object, a bad quantity: kept, skipped, no crash."""
    with capture() as events:
        router = events._capture_ref.router
        for raw in (
            b'{"event_id":"x"}\n{"type":"event"}\n[1, 2, 3]\n',
            b'{}\n{"type":"event","length":5}\n{"a":\n',
            b'{}\n{"type":"client_report"}\n{"discarded_events":[{"reason":"x","category":"error","quantity":"many"}]}\n',
            b"not an envelope at all",
        ):
            router.deliver("envelopes", ReceivedEnvelope(raw, 0.0, "test"))
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("fine")
        assert [e.message for e in events] == ["fine"]
        assert len(events.envelopes) == 5
        assert events.dropped.one(reason="x").quantity == 1


def test_none_is_not_the_string_none() -> None:
    """tags={"k": "None"} does not match a tag whose value is null."""
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("k", None)
            sentry_sdk.capture_message("m")
        assert events.filter(tags={"k": "None"}) == []
        assert events.filter(tags={"k": None})


def test_builtins_can_be_named_with_their_module() -> None:
    """exception_type="builtins.ValueError" is ValueError."""
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        try:
            raise ValueError("bad")
        except ValueError:
            sentry_sdk.capture_exception()
        assert events.one(exception_type="builtins.ValueError").exception_value == "bad"
