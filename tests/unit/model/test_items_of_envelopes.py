"""Which envelope items are scanned as JSON text (``json_native``): the prefilter serializes
those with orjson and the walk skips its cycle check, several times faster on a large event."""

from __future__ import annotations

from collections.abc import Callable

import sentry_sdk
from sentry_sdk.envelope import Envelope

from pytest_sentry_check import SentryEvents
from pytest_sentry_check._model.items import items_of


def test_a_captured_events_items_are_json_native(
    sentry_init: Callable[..., None], sentry_events: SentryEvents
) -> None:
    """sentry-sdk's parser keeps an event's parsed JSON without its bytes; the capture parsed
    it from the bytes the SDK sent, so it holds JSON types only."""
    sentry_init()
    sentry_sdk.capture_message("hello")
    [envelope] = sentry_events.envelopes
    assert [(item.item_type, item.json_native) for item in items_of(envelope)] == [("event", True)]


def test_envelope_bytes_are_json_native_and_a_built_envelope_is_not() -> None:
    built = Envelope()
    built.add_event({"message": "hello", "extra": {"when": object()}})
    assert [item.json_native for item in items_of(built)] == [False]
    raw = Envelope(items=[]).serialize()  # an empty one first: headers only
    assert list(items_of(raw)) == []
    sent = Envelope()
    sent.add_event({"message": "hello"})
    assert [(item.item_type, item.json_native) for item in items_of(sent.serialize())] == [("event", True)]
