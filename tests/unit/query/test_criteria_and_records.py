"""Criteria, collections and records, on events the real SDK produced."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sentry_sdk

from pytest_sentry_check import Event, SentryEvents, capture


class PaymentError(Exception):
    pass


@pytest.fixture
def events() -> Iterator[SentryEvents]:
    with capture() as captured:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="shop@3.1.0", traces_sample_rate=1.0)
        sentry_sdk.set_tag("feature", "checkout")
        sentry_sdk.set_context("cart", {"items": 2, "currency": "EUR"})
        sentry_sdk.set_user({"id": "u7", "segment": "pro"})
        try:
            try:
                raise KeyError("card")
            except KeyError as exc:
                raise PaymentError("card declined: code 51") from exc
        except PaymentError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("retrying payment", level="warning")
        with sentry_sdk.start_transaction(name="POST /pay", op="http.server") as tx:
            with tx.start_child(op="db.query", name="SELECT order"):
                pass
            tx.set_status("ok")
        yield captured


class TestCriteria:
    def test_exception_type_by_class_or_name(self, events: SentryEvents) -> None:
        """A class matches module and name; a string matches the name or the dotted path."""
        assert events.one(exception_type=PaymentError).exception_value == "card declined: code 51"
        assert events.one(exception_type="PaymentError") == events.one(
            exception_type=f"{__name__}.PaymentError"
        )
        assert events.filter(exception_type=KeyError) == []

    def test_chained_matches_any_exception_in_the_chain(self, events: SentryEvents) -> None:
        """chained=True also matches the cause; the miss message suggests it."""
        assert events.one(exception_type=KeyError, chained=True).exception_type.endswith("PaymentError")
        with pytest.raises(AssertionError) as info:
            events.one(exception_type=KeyError)
        assert (
            f"     - exception_type: expected KeyError, got {__name__}.PaymentError "
            f"(chain: KeyError -> {__name__}.PaymentError; chained=True matches any of them)"
        ) in str(info.value).splitlines()

    def test_text_criteria_take_substrings_or_patterns(self, events: SentryEvents) -> None:
        """message and exception_value match a substring, or a compiled pattern with search."""
        assert events.one(message="retrying").level == "warning"
        assert events.one(exception_value=re.compile(r"code \d+$")).level == "error"
        assert events.filter(message=re.compile("^payment")) == []

    def test_mapping_criteria_match_subsets_with_patterns(self, events: SentryEvents) -> None:
        """tags, contexts and user match a nested subset; values may be patterns."""
        assert len(events.filter(tags={"feature": "checkout"}, user={"segment": "pro"})) == 2
        assert len(events.filter(contexts={"cart": {"currency": re.compile("^EU")}})) == 2
        assert events.filter(contexts={"cart": {"currency": "USD"}}) == []

    def test_where_takes_any_predicate(self, events: SentryEvents) -> None:
        """where= receives the Event itself."""
        assert events.one(where=lambda e: e.level == "warning").message == "retrying payment"

    def test_assert_none_lists_what_matched(self, events: SentryEvents) -> None:
        """assert_none fails with the matching records."""
        events.assert_none(level="fatal")
        with pytest.raises(AssertionError) as info:
            events.assert_none(level="warning")
        assert str(info.value).splitlines()[:2] == [
            "sentry_events.assert_none(level='warning'): expected no event to match, 1 does:",
            "  1. message 'retrying payment' (level=warning; tags: feature=checkout)",
        ]

    def test_first_fails_like_one_when_nothing_matches(self, events: SentryEvents) -> None:
        """first() returns the earliest match, never None."""
        assert events.first(level=re.compile("error|warning")).level == "error"
        with pytest.raises(AssertionError, match=r"^sentry_events\.first\(level='fatal'\): no event matches"):
            events.first(level="fatal")

    def test_a_criterion_of_the_wrong_type_is_a_type_error(self, events: SentryEvents) -> None:
        """tags= needs a mapping, exception_type= a class or name."""
        with pytest.raises(TypeError, match="tags= takes a mapping, not str"):
            events.filter(tags="feature")
        with pytest.raises(TypeError, match="exception_type= takes an exception class or its"):
            events.filter(exception_type=3)


class TestRecords:
    def test_event_properties(self, events: SentryEvents) -> None:
        """Each Event is a read-only mapping with the documented properties."""
        event = events.one(exception_type=PaymentError)
        assert isinstance(event, Event)
        assert [e["type"] for e in event.exceptions] == ["KeyError", "PaymentError"]
        assert event.contexts["cart"] == {"items": 2, "currency": "EUR"}
        assert event.user == {"id": "u7", "segment": "pro"}
        assert event.release == "shop@3.1.0"
        assert event.environment == "production"
        assert event.fingerprint is None
        assert event.location is not None
        assert event.location.startswith("tests/unit/query/test_criteria_and_records.py:")
        with pytest.raises(TypeError):
            event["level"] = "info"  # type: ignore[index]

    def test_transactions_have_spans(self, events: SentryEvents) -> None:
        """Transaction adds name, op, status and spans."""
        tx = events.transactions.one(name="POST /pay", op="http.server", status="ok")
        assert [span["op"] for span in tx.spans] == ["db.query"]
        assert tx.spans[0]["description"] == "SELECT order"

    def test_collections_are_live_and_filter_is_a_snapshot(self, events: SentryEvents) -> None:
        """sentry_events grows as events arrive; a filter result does not."""
        warnings = events.filter(level="warning")
        sentry_sdk.capture_message("again", level="warning")
        assert len(events) == 3
        assert len(warnings) == 1
        assert repr(events.transactions) == "<sentry_events.transactions: 1 transaction>"
        events.clear()
        assert len(events) == 0
        assert len(events.transactions) == 0
