"""``--sentry-summary`` counts replays and user feedback beside the other records (a browser's
envelopes, as the JavaScript SDK builds them, sent through the capture transport)."""

from __future__ import annotations

import pytest

SUITE = """
import json
import zlib

import sentry_sdk
from sentry_sdk.envelope import Envelope, Item


def test_checkout(sentry_init, sentry_events):
    sentry_init()
    segment = Envelope(headers={"event_id": "a" * 32})
    event = {"type": "replay_event", "replay_id": "a" * 32, "segment_id": 0, "replay_type": "session"}
    segment.add_item(Item(payload=json.dumps(event).encode(), type="replay_event"))
    recording = b'{"segment_id":0}\\n' + zlib.compress(b'[{"type":3,"data":{"source":5,"id":3,"text":"***"}}]')
    segment.add_item(Item(payload=recording, type="replay_recording"))
    feedback = Envelope(headers={"event_id": "b" * 32})
    payload = {"type": "feedback", "event_id": "b" * 32, "contexts": {"feedback": {"message": "slow", "source": "api"}}}
    feedback.add_item(Item(payload=json.dumps(payload).encode(), type="feedback"))
    for envelope in (segment, feedback):
        sentry_sdk.get_client().transport.capture_envelope(envelope)
    assert sentry_events.replays.one().inputs == ["***"]
"""


def test_the_summary_counts_replays_and_feedback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=SUITE)
    result = pytester.runpytest("--sentry-summary")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: what each test sent to Sentry -*",
            "test_shop.py::test_checkout: 1 feedback item, 1 replay",
        ],
        consecutive=True,
    )
