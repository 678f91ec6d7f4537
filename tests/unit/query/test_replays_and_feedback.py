"""``sentry_events.replays`` and ``sentry_events.feedback``: the records, their queries, and
what ``scan`` reads in them. The envelopes are built as the browser SDK sends them (a replay
segment: a ``replay_event`` and its ``replay_recording``, a JSON header line then the rrweb events,
zlib-compressed; feedback: a ``feedback`` event; the legacy ``user_report`` item); the browser
itself sends them in tests/plugin/test_sentry_page.py."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope, Item

from pytest_sentry_check import Feedback, Replay, SentryEvents, capture, scan

# These tests send planted values on purpose to read them back.
pytestmark = pytest.mark.sentry_check(gate="off")

REPLAY_ID = "9ec79c33ec9942ab8353589fcb2e04dc"
OTHER_REPLAY_ID = "5a1c0e6f0b7d4d8a9b3c2e1f00a1b2c3"
ERROR_ID = "c0ffee00c0ffee00c0ffee00c0ffee00"
TOKEN = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"


def _input(text: str, node: int = 7) -> dict[str, Any]:
    return {"type": 3, "timestamp": 1700000000500, "data": {"source": 5, "id": node, "text": text}}


def _segment(
    segment_id: int,
    rrweb: list[dict[str, Any]],
    *,
    replay_id: str = REPLAY_ID,
    compress: Any = zlib.compress,
    **event: Any,
) -> Envelope:
    envelope = Envelope(headers={"event_id": replay_id})
    replay_event = {"type": "replay_event", "replay_id": replay_id, "segment_id": segment_id, **event}
    envelope.add_item(Item(payload=json.dumps(replay_event).encode(), type="replay_event"))
    recording = json.dumps({"segment_id": segment_id}).encode() + b"\n" + compress(json.dumps(rrweb).encode())
    envelope.add_item(Item(payload=recording, type="replay_recording"))
    return envelope


def _feedback_envelope(**feedback: Any) -> Envelope:
    """What the browser SDK's ``captureFeedback`` sends: an event of type ``feedback``."""
    envelope = Envelope(headers={"event_id": "f" * 32})
    payload = {"type": "feedback", "event_id": "f" * 32, "level": "info", "contexts": {"feedback": feedback}}
    envelope.add_item(Item(payload=json.dumps(payload).encode(), type="feedback"))
    return envelope


def _user_report(**report: Any) -> Envelope:
    envelope = Envelope(headers={"event_id": report["event_id"]})
    envelope.add_item(Item(payload=json.dumps(report).encode(), type="user_report"))
    return envelope


def _send(*envelopes: Envelope) -> None:
    transport = sentry_sdk.get_client().transport
    assert transport is not None
    for envelope in envelopes:
        transport.capture_envelope(envelope)


@pytest.fixture
def events() -> Iterator[SentryEvents]:
    with capture() as captured:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        yield captured


class TestReplays:
    def test_segments_of_one_replay_are_one_record(self, events: SentryEvents) -> None:
        """Segment 1 (gzip) arrives before segment 0 (zlib); another replay is its own record."""
        _send(
            _segment(
                1,
                [_input("4111 1111"), _input("***", 8)],
                compress=gzip.compress,
                urls=["http://shop.test/pay"],
                error_ids=[ERROR_ID],
                trace_ids=["1" * 32],
            ),
            _segment(
                0,
                [{"type": 4, "timestamp": 1, "data": {"href": "http://shop.test/"}}, _input("jane")],
                urls=["http://shop.test/", "http://shop.test/pay"],
                replay_type="session",
            ),
            _segment(0, [], replay_id=OTHER_REPLAY_ID, replay_type="buffer"),
        )
        assert len(events.replays) == 2
        replay = events.replays.one(replay_id=REPLAY_ID)
        assert isinstance(replay, Replay)
        assert [segment.segment_id for segment in replay.segments] == [0, 1]
        assert replay.segment_count == 2
        assert (replay["segment_id"], replay.replay_type) == (0, "session")  # the first segment's event
        assert replay.urls == ["http://shop.test/", "http://shop.test/pay"]
        assert replay.error_ids == [ERROR_ID]
        assert replay.trace_ids == ["1" * 32]
        assert [event["type"] for event in replay.events] == [4, 3, 3, 3]
        assert replay.inputs == ["jane", "4111 1111", "***"]
        assert [segment.header for segment in replay.segments] == [{"segment_id": 0}, {"segment_id": 1}]
        assert [segment.problem for segment in replay.segments] == ["", ""]
        assert str(replay) == (
            "<Replay replay 9ec79c33 (session; 2 segments; 4 rrweb events; 1 error; "
            "http://shop.test/, http://shop.test/pay)>"
        )

    def test_inputs_by_element_name_each_input_from_the_snapshots(self, events: SentryEvents) -> None:
        """The full snapshot's elements and those a mutation added are named by id, else name;
        an input the snapshots do not have is its node id."""

        def element(node_id: int, **attributes: str) -> dict[str, Any]:
            return {"type": 2, "id": node_id, "tagName": "INPUT", "attributes": attributes, "childNodes": []}

        snapshot = {
            "type": 2,
            "timestamp": 1,
            "data": {
                "node": {
                    "type": 0,
                    "id": 1,
                    "childNodes": [{"type": 2, "id": 2, "tagName": "form", "attributes": {}, "childNodes": [
                        element(7, id="coupon", name="coupon"),
                        element(8, name="card", **{"class": "secret"}),
                    ]}],
                }
            },
        }  # fmt: skip
        added = {
            "type": 3,
            "timestamp": 2,
            "data": {"source": 0, "adds": [{"parentId": 2, "node": element(9)}]},
        }
        _send(
            _segment(
                0, [snapshot, _input("SPRING"), _input("****", 8), added, _input("x", 9), _input("y", 42)]
            )
        )
        assert events.replays.one().inputs_by_element == {
            "input#coupon": ["SPRING"],
            'input[name="card"]': ["****"],
            "input": ["x"],
            "node 42": ["y"],
        }

    def test_queries_on_urls_error_ids_and_type(self, events: SentryEvents) -> None:
        _send(
            _segment(0, [], urls=["http://shop.test/pay"], error_ids=[ERROR_ID], replay_type="session"),
            _segment(0, [], replay_id=OTHER_REPLAY_ID, urls=["http://shop.test/"], replay_type="buffer"),
        )
        assert events.replays.one(url="http://shop.test/pay").replay_id == REPLAY_ID
        assert events.replays.one(error_id=ERROR_ID).replay_id == REPLAY_ID
        assert events.replays.one(url=re.compile(r"/$")).replay_id == OTHER_REPLAY_ID
        assert events.replays.filter(replay_type="buffer", segment_count=1)[0].replay_id == OTHER_REPLAY_ID
        events.replays.assert_none(url="http://shop.test/admin")
        with pytest.raises(AssertionError) as info:
            events.replays.one(url="http://shop.test/admin")
        assert str(info.value).splitlines()[:5] == [
            "sentry_events.replays.one(url='http://shop.test/admin'): no replay matches, amongst 2 replays "
            "captured:",
            "  1. replay 9ec79c33 (session; 1 segment; 0 rrweb events; 1 error; http://shop.test/pay)",
            "     - urls: expected one to be 'http://shop.test/admin', got ['http://shop.test/pay']",
            "  2. replay 5a1c0e6f (buffer; 1 segment; 0 rrweb events; 0 errors; http://shop.test/)",
            "     - urls: expected one to be 'http://shop.test/admin', got ['http://shop.test/']",
        ]

    def test_a_recording_that_cannot_be_read_says_why(self, events: SentryEvents) -> None:
        """Corrupt, not JSON, over the decompression limit: no events, and the reason."""
        envelope = Envelope(headers={})
        for replay_id, recording in [
            ("a" * 32, b'{"segment_id":0}\n\x78\x9cnot zlib at all'),
            ("b" * 32, b'{"segment_id":0}\n{"not": "a list"}'),
            ("c" * 32, b'{"segment_id":0}\n' + zlib.compress(b"[" + b" " * (33 * 1024 * 1024) + b"]")),
        ]:
            envelope = Envelope(headers={})
            event = {"type": "replay_event", "replay_id": replay_id, "segment_id": 0}
            envelope.add_item(Item(payload=json.dumps(event).encode(), type="replay_event"))
            envelope.add_item(Item(payload=recording, type="replay_recording"))
            _send(envelope)
        lone = Envelope(headers={})
        lone.add_item(Item(payload=json.dumps({"replay_id": "d" * 32}).encode(), type="replay_event"))
        _send(lone)
        assert [(replay.replay_id[0], replay.segments[0].problem) for replay in events.replays] == [
            ("a", "its zlib content does not decompress (corrupt)"),
            ("b", "its content is no JSON list of rrweb events (or is over the scanner's size)"),
            ("c", "it decompresses to over 32 MiB"),
            ("d", "no replay_recording item came with it"),
        ]
        assert [replay.events for replay in events.replays] == [[], [], [], []]

    def test_scan_reads_the_recording_decompressed(self, events: SentryEvents) -> None:
        _send(_segment(0, [_input(TOKEN)], urls=["http://shop.test/"]))
        expected = [
            "[critical] github-token (GitHub token (in the zlib-compressed replay recording, typed into an "
            "input (rrweb node 7))) at replay_recording:0.data.text: ghp…[40 chars]"
        ]
        assert [str(finding) for finding in scan(events.replays)] == expected
        assert [str(finding) for finding in scan(events.replays[0].segments[0])] == expected
        assert [str(finding) for finding in scan(events)] == expected

    def test_a_miss_lists_them_in_also_captured(self, events: SentryEvents) -> None:
        _send(_segment(0, []), _feedback_envelope(message="love it"))
        with pytest.raises(AssertionError) as info:
            events.one()
        assert str(info.value).splitlines()[:2] == [
            "sentry_events.one(): no event was captured.",
            "Also captured: 1 feedback item, 1 replay.",
        ]


class TestFeedback:
    def test_the_feedback_event_type(self, events: SentryEvents) -> None:
        _send(
            _feedback_envelope(
                message="The pay button does nothing",
                name="Jane",
                contact_email="jane.doe@example.com",
                url="http://shop.test/pay",
                source="widget",
                associated_event_id=ERROR_ID,
                replay_id=REPLAY_ID,
            )
        )
        feedback = events.feedback.one(message="pay button", source="widget")
        assert isinstance(feedback, Feedback)
        assert (feedback.legacy, feedback.name, feedback.email, feedback.url) == (
            False,
            "Jane",
            "jane.doe@example.com",
            "http://shop.test/pay",
        )
        assert (feedback.associated_event_id, feedback.replay_id) == (ERROR_ID, REPLAY_ID)
        assert events.feedback.one(replay_id=REPLAY_ID) is not None
        assert repr(feedback) == "<Feedback feedback (widget) 'The pay button does nothing'>"

    def test_the_legacy_user_report(self, events: SentryEvents) -> None:
        _send(_user_report(event_id=ERROR_ID, name="Jane", email="jane.doe@example.com", comments="It broke"))
        feedback = events.feedback.one(associated_event_id=ERROR_ID)
        assert (feedback.legacy, feedback.message, feedback.name, feedback.email) == (
            True,
            "It broke",
            "Jane",
            "jane.doe@example.com",
        )
        assert (feedback.url, feedback.source, feedback.replay_id) == (None, None, None)
        assert repr(feedback) == "<Feedback user report 'It broke'>"
        assert [str(finding) for finding in scan(events.feedback)] == [
            "[medium] email (email address) at user_report:email: jan…[20 chars]"
        ]

    def test_a_miss_says_what_was_captured(self, events: SentryEvents) -> None:
        _send(_feedback_envelope(message="love it", source="api"))
        with pytest.raises(AssertionError) as info:
            events.feedback.one(message="hate")
        assert str(info.value).splitlines()[:3] == [
            "sentry_events.feedback.one(message='hate'): no feedback item matches, amongst 1 feedback item "
            "captured:",
            "  1. feedback (api) 'love it'",
            "     - message: expected to contain 'hate', got 'love it'",
        ]
