"""scan() on every kind of target, and detectors passed to it directly."""

from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope

from pytest_sentry_check import capture, scan
from pytest_sentry_check._model.items import ScanItem
from pytest_sentry_check._scan.finding import Finding

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")


def test_a_detector_passed_directly() -> None:
    """detectors= accepts callables beside rule ids; plugin detectors are then not added."""

    def flags(item: ScanItem) -> list[Finding]:
        return [Finding("flag", "pattern", "low", item.item_type, "", "…")]

    assert [f.rule for f in scan({"a": 1}, detectors=["email", flags])] == ["flag"]
    with pytest.raises(ValueError, match="unknown detector 'emails'; detectors are: canary, field"):
        scan({}, detectors=["emails"])


def test_every_kind_of_target() -> None:
    """An Event, a collection, sentry_events, an Envelope, envelope bytes, a dict, a list."""
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=1.0)
        with sentry_sdk.start_transaction(name="job") as tx:
            tx.set_data("owner", "ana@shop.example")
        sentry_sdk.capture_message("contact ana@shop.example")
        expected = {("email", "event"), ("email", "transaction")}
        assert {(f.rule, f.item_type) for f in scan(events)} == expected
        assert {f.item_type for f in scan(events.one())} == {"event"}
        assert {f.item_type for f in scan(events.transactions)} == {"transaction"}
        assert {f.item_type for f in scan(events.envelopes)} == {"event", "transaction"}
        [event_bytes] = [raw for raw in events.raw_envelopes if b'"type":"event"' in raw]
        assert {f.item_type for f in scan(event_bytes)} == {"event"}
        assert isinstance(events.envelopes[0], Envelope)
        assert [f.path for f in scan([{"message": "mail bo@shop.example"}])] == ["message"]
        with pytest.raises(TypeError, match="cannot scan a int: pass an Event, sentry_events"):
            scan(3)
