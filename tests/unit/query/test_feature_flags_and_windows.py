"""``event.flags`` (sentry-sdk's feature flag context) and the time windows of ``assert_none``
and ``wait_for`` (issue #19, item 3), on events the real SDK sent."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import sentry_sdk
from sentry_sdk.feature_flags import add_feature_flag

from pytest_sentry_check import FeatureFlag, SentryEvents, capture

DSN = "https://k@o1.ingest.sentry.io/2"


@pytest.fixture
def flagged() -> Iterator[SentryEvents]:
    with capture() as events:
        sentry_sdk.init(dsn=DSN)
        with sentry_sdk.isolation_scope():  # flags are kept per scope, like a request's
            add_feature_flag("new-checkout", True)
            add_feature_flag("dark-mode", False)
            sentry_sdk.capture_message("checkout failed", level="error")
        sentry_sdk.capture_message("no flags here", level="warning")
        yield events


class TestFeatureFlags:
    def test_flags_are_queryable_records(self, flagged: SentryEvents) -> None:
        event = flagged.one(message="checkout failed")
        assert [(flag.flag, flag.result) for flag in event.flags] == [
            ("new-checkout", True),
            ("dark-mode", False),
        ]
        assert isinstance(event.flags.one(flag="dark-mode"), FeatureFlag)
        assert event.flags.one(result=True).flag == "new-checkout"
        event.flags.assert_none(flag="beta")
        assert event.flag_results == {"new-checkout": True, "dark-mode": False}
        assert event.flags == [
            {"flag": "new-checkout", "result": True},
            {"flag": "dark-mode", "result": False},
        ]

    def test_the_flags_criterion_matches_a_subset(self, flagged: SentryEvents) -> None:
        assert flagged.one(flags={"new-checkout": True}).message == "checkout failed"
        assert flagged.filter(flags={"dark-mode": True}) == []
        assert len(flagged.one(message="no flags here").flags) == 0

    def test_a_miss_names_the_flags(self, flagged: SentryEvents) -> None:
        with pytest.raises(AssertionError) as info:
            flagged.one(flags={"new-checkout": False})
        assert str(info.value).splitlines()[:5] == [
            "sentry_events.one(flags={'new-checkout': False}): no event matches, amongst 2 events captured:",
            "  1. message 'checkout failed' (level=error)",
            '     - flags["new-checkout"]: expected False, got True',
            "  2. message 'no flags here' (level=warning)",
            '     - flags["new-checkout"]: missing (present: none)',
        ]
        event = flagged.one(message="checkout failed")
        with pytest.raises(AssertionError) as inner:
            event.flags.one(flag=re.compile("^beta"))
        assert str(inner.value).splitlines()[:3] == [
            f"Event({event.event_id[:8]!r}).flags.one(flag=re.compile('^beta')): no feature flag matches, "
            "amongst 2 feature flags captured:",
            "  1. flag 'new-checkout' = True",
            "     - flag: expected re.compile('^beta'), got 'new-checkout'",
        ]


def _later(seconds: float, message: str) -> threading.Thread:
    """Send a message from another thread after ``seconds`` (what a background job does)."""
    timer = threading.Timer(seconds, sentry_sdk.capture_message, (message,), {"level": "error"})
    timer.start()
    return timer


class TestWindows:
    def test_assert_none_within_fails_when_a_match_arrives_late(self) -> None:
        """Without within=, the late event is missed; with it, assert_none sees it arrive."""
        with capture() as events:
            sentry_sdk.init(dsn=DSN)
            timer = _later(0.2, "late failure")
            events.assert_none(level="error")  # nothing yet: a check at once passes
            with pytest.raises(AssertionError) as info:
                events.assert_none(within=10, level="error")
            timer.join()
        assert str(info.value).splitlines() == [
            "sentry_events.assert_none(level='error', within=10): expected no event to match, 1 does:",
            "  1. message 'late failure' (level=error)",
        ]

    def test_assert_none_within_passes_after_the_window(self) -> None:
        with capture() as events:
            sentry_sdk.init(dsn=DSN)
            sentry_sdk.capture_message("fine", level="info")
            events.assert_none(within=0.1, level="error")
            events.logs.assert_none(within=0.05)
            events.transactions.assert_none(within=0.05)
            events.dropped.assert_none(within=0.05)

    def test_within_takes_seconds(self) -> None:
        with (
            capture() as events,
            pytest.raises(ValueError, match=r"within=\.\.\.\) takes seconds >= 0, not -1"),
        ):
            events.assert_none(within=-1)

    def test_wait_for_on_a_fixed_collection_answers_at_once(self) -> None:
        """A filter result cannot grow: wait_for returns its matches or fails without waiting."""
        with capture() as events:
            sentry_sdk.init(dsn=DSN)
            sentry_sdk.capture_message("one", level="error")
            errors = events.filter(level="error")
            assert len(errors.wait_for(1, timeout=60)) == 1
            with pytest.raises(AssertionError) as info:
                errors.wait_for(2, timeout=60)
        assert str(info.value).splitlines() == [
            "sentry_events.filter(level='error').wait_for(count=2, timeout=60): 1 of 2 matching events "
            "(a fixed collection: nothing more arrives); amongst 1 event:",
            "  1. message 'one' (level=error)",
        ]
