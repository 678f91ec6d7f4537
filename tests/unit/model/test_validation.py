"""validate() / assert_valid(): what Relay's normalizer and Sentry's limits say of real events."""

from __future__ import annotations

import sys

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pytest_sentry_check import SentryEvents, assert_valid, validate

pytest.importorskip("sentry_relay", reason="the relay extra (Linux and macOS wheels)")


def _service() -> TestClient:
    """Helpers as a real public service writes them: set_context with a string value."""
    app = FastAPI()

    def set_feature(name: str) -> None:
        sentry_sdk.get_isolation_scope().set_context("feature", name)  # type: ignore[arg-type]

    @app.get("/checkout")
    def checkout() -> None:
        set_feature("checkout-v2")
        sentry_sdk.set_tag("release_train_for_the_checkout_service", "2026.11")
        sentry_sdk.set_tag("customer_note", "first line\nsecond line")
        raise RuntimeError("payment provider timeout")

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        sentry_sdk.set_context("feature", {"name": "checkout-v2"})
        sentry_sdk.capture_message("fine")
        return {"ok": True}

    return TestClient(app, raise_server_exceptions=False)


def test_what_sentry_would_drop_is_named(sentry_init: object, sentry_events: SentryEvents) -> None:
    sentry_init()  # type: ignore[operator]
    _service().get("/checkout")
    event = sentry_events.one(exception_type=RuntimeError)
    problems = [(p.path, p.reason, p.source) for p in event.validate()]
    assert problems == [
        ("contexts.feature", "expected an object", "relay"),
        ("tags.customer_note", "invalid character '\\n'", "relay"),
        ("tags.release_train_for_the_checkout_service", "tag key longer than 32 characters", "limit"),
    ]


def test_assert_valid_lists_the_problems(sentry_init: object, sentry_events: SentryEvents) -> None:
    sentry_init()  # type: ignore[operator]
    _service().get("/checkout")
    with pytest.raises(AssertionError) as failure:
        assert_valid(sentry_events)
    assert str(failure.value).splitlines() == [
        "assert_valid: 3 problems Sentry would reject or drop:",
        "  event:contexts.feature: expected an object (got checkout-v2) [Relay]",
        "  event:tags.customer_note: invalid character '\\n' (got first line\\nsecond line) [Relay]",
        "  event:tags.release_train_for_the_checkout_service: tag key longer than 32 characters "
        "(got release_train_for_the_checkout_service) [Sentry's limits]",
        "Fix what the application sets there (see https://pytest-sentry-check.readthedocs.io/en/latest/validation/#what-is-checked).",
    ]


def test_a_valid_event_passes(sentry_init: object, sentry_events: SentryEvents) -> None:
    sentry_init()  # type: ignore[operator]
    _service().get("/ok")
    assert validate(sentry_events) == []
    assert_valid(sentry_events.one(message="fine"))


def test_long_tag_values_and_odd_key_characters(sentry_init: object, sentry_events: SentryEvents) -> None:
    sentry_init()  # type: ignore[operator]
    sentry_sdk.set_tag("order id", "o-1")
    sentry_sdk.set_tag("cart", "x" * 201)
    sentry_sdk.capture_message("cart too big")
    assert [(p.path, p.reason) for p in validate(sentry_events) if p.source == "limit"] == [
        ("tags.order id", "tag key with characters other than letters, digits, _ . : -"),
        ("tags.cart", "tag value longer than 200 characters"),
    ]


def test_without_relay_the_message_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentry_relay", None)
    monkeypatch.setitem(sys.modules, "sentry_relay.processing", None)
    with pytest.raises(RuntimeError) as failure:
        validate({"message": "hi"})
    assert str(failure.value) == (
        "validating events needs Relay's normalizer: pip install 'pytest-sentry-check[relay]' "
        "(sentry-relay wheels exist for Linux and macOS)"
    )


def test_relay_listing_an_error_twice_is_one_problem() -> None:
    problems = validate({"message": "x", "contexts": ["a"], "tags": "abc"})
    assert len(problems) == len({(p.path, p.reason) for p in problems})
    assert ("contexts", "expected an object") in {(p.path, p.reason) for p in problems}


def test_an_event_over_sentrys_size_limit_is_named() -> None:
    problems = validate({"message": "big", "extra": {"state": "x" * 1_200_000}})
    assert [(p.path, p.reason, p.source) for p in problems if p.source == "limit"] == [
        ("", "event of 1.2 MB: Sentry rejects events over 1 MB decompressed (413)", "limit")
    ]


def test_the_size_limit_measures_what_the_sdk_sends() -> None:
    """Compact JSON, as the SDK writes it: 400,000 list members are 0.8 MB sent (1.2 MB with the
    json module's default separators, which the size once counted)."""
    problems = validate({"message": "many", "extra": {"ids": [0] * 400_000}})
    assert [p.reason for p in problems if p.path == "" and p.source == "limit"] == []
    problems = validate({"message": "many", "extra": {"ids": [0] * 600_000, "note": "é"}})
    assert [p.reason for p in problems if p.path == "" and p.source == "limit"] == [
        "event of 1.2 MB: Sentry rejects events over 1 MB decompressed (413)"
    ]


def test_a_fingerprint_string_and_a_bad_breadcrumb_timestamp(
    sentry_init: object, sentry_events: SentryEvents
) -> None:
    """Two more rejection classes: Sentry drops the fingerprint and the breadcrumb's timestamp."""
    sentry_init(before_send=lambda event, hint: {**event, "fingerprint": "checkout-timeout"})  # type: ignore[operator]
    sentry_sdk.add_breadcrumb(message="retry", timestamp="yesterday")  # type: ignore[arg-type]
    sentry_sdk.capture_message("checkout slow")
    problems = {(p.path, p.reason) for p in sentry_events.one().validate()}
    assert ("fingerprint", "expected an array") in problems
    assert ("breadcrumbs.values.0.timestamp", "input contains invalid characters") in problems


def test_what_relays_trimming_would_cut_is_named(sentry_init: object, sentry_events: SentryEvents) -> None:
    """Number and size limits, as Relay's own trimming applies them: a deep recursion sends more
    stack frames than Sentry keeps, and a long value in ``extra`` is cut. Long frame locals are
    not reported (Sentry cuts them as a matter of course)."""
    sentry_init(include_local_variables=True)  # type: ignore[operator]

    def recurse(depth: int, blob: str) -> None:
        if depth == 0:
            raise RecursionError("too deep")
        recurse(depth - 1, blob)

    sentry_sdk.set_extra("report", "r" * 20_000)
    try:
        recurse(300, "b" * 2_100)  # every frame has a local longer than Relay keeps
    except RecursionError:
        sentry_sdk.capture_exception()
    trimmed = [(p.path, p.reason) for p in validate(sentry_events) if "Relay" in p.reason]
    assert trimmed == [
        ("exception.values.0.stacktrace.frames", "302 items: Sentry keeps 250 (Relay trims the rest)"),
        ("extra.report", "20000 characters: Sentry keeps 16384 (Relay cuts the rest)"),
    ]


def test_frame_locals_are_left_out_but_a_vars_that_is_no_object_is_flagged() -> None:
    """Relay reads the event without its frames' locals (most of an error event's bytes, and
    nothing validation reports); a ``vars`` that is no object still reaches it, and the event
    itself is left as it was."""
    frames = [
        {"function": "load", "vars": "rows=3"},
        {"function": "save", "vars": {"report": "r" * 70_000, "rows": list(range(3_000))}},
    ]
    event = {"message": "x", "exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}
    problems = [(p.path, p.reason, p.source) for p in validate(event)]
    assert problems == [("exception.values.0.stacktrace.frames.0.vars", "expected an object", "relay")]
    assert event["exception"]["values"][0]["stacktrace"]["frames"] == frames  # type: ignore[index]
    assert frames[1]["vars"]["report"] == "r" * 70_000  # type: ignore[index]
