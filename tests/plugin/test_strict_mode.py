"""Strict mode (issue #19, item 3): ``sentry_check(strict=True)`` or the ini ``sentry_strict``
fails a test whose app sent an error or message event that no query returned, listing it."""

from __future__ import annotations

import pytest

APP = """
import sentry_sdk
from fastapi import FastAPI

sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
app = FastAPI()


@app.get("/pay")
def pay():
    sentry_sdk.set_tag("api_token", "tok_live_51HabcdefghijklmnopQRSTU")
    sentry_sdk.capture_message("card declined", level="warning")
    raise RuntimeError("payment backend unavailable")
"""

TESTS = """
import pytest
from fastapi.testclient import TestClient
from strict_app import app


def _pay():
    TestClient(app, raise_server_exceptions=False).get("/pay")


@pytest.mark.sentry_check(strict=True)
def test_one_unmatched(sentry_events):
    _pay()
    sentry_events.one(exception_type=RuntimeError)


@pytest.mark.sentry_check(strict=True)
def test_both_matched(sentry_events):
    _pay()
    assert len(sentry_events.filter(level="error")) == 1
    sentry_events.first(message="card declined")


@pytest.mark.sentry_check(strict=True)
def test_wait_for_and_chained_queries_match(sentry_events):
    _pay()
    sentry_events.wait_for(2)
    sentry_events.filter(level="error").one()


def test_not_strict(sentry_events):
    _pay()


@pytest.mark.sentry_check(strict=True)
def test_a_failing_body_keeps_its_own_error(sentry_events):
    _pay()
    assert False, "the body's own failure"


@pytest.mark.sentry_check(strict=True)
def test_cleared_events_are_not_expected(sentry_events):
    _pay()
    sentry_events.clear()
"""


@pytest.fixture
def strict_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(strict_app=APP, test_strict=TESTS)
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    return pytester


def test_an_unmatched_event_fails_the_test_listing_it_masked(strict_suite: pytest.Pytester) -> None:
    """Only the events no query returned are listed; the token tag is masked."""
    result = strict_suite.runpytest("--sentry-gate=off", "-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_one_unmatched _*",
            "sentry-check strict mode: 1 event no query matched (it was sent, but the test expected "
            "no such event):",
            "  1. message 'card declined' (level=warning; transaction='/pay'; tags: api_token=tok…[33 chars])",
            "Expect each with sentry_events.one(...), .first(...), .filter(...) or .wait_for(...), or "
            "turn strict mode off for this test with @pytest.mark.sentry_check(strict=False). "
            "See https://pytest-sentry-check.readthedocs.io/en/latest/querying/#strict-mode",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["*_ test_a_failing_body_keeps_its_own_error _*", "*the body's own failure*"])
    assert "tok_live_51Habcdefghij" not in result.stdout.str()
    assert "strict mode: 2 events" not in result.stdout.str()


def test_the_ini_turns_it_on_and_a_marker_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        strict_app=APP,
        test_ini="""
        import pytest
        from fastapi.testclient import TestClient
        from strict_app import app

        def test_unexpected_events(sentry_events):
            TestClient(app, raise_server_exceptions=False).get("/pay")

        @pytest.mark.sentry_check(strict=False)
        def test_opted_out(sentry_events):
            TestClient(app, raise_server_exceptions=False).get("/pay")

        def test_without_the_fixture():
            TestClient(app, raise_server_exceptions=False).get("/pay")
        """,
    )
    pytester.makeini("[pytest]\nsentry_strict = true\nfilterwarnings = ignore::DeprecationWarning\n")
    result = pytester.runpytest("--sentry-gate=off")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["sentry-check: gate=off; validate=*; strict"])
    result.stdout.fnmatch_lines(
        [
            "*_ test_unexpected_events _*",
            "sentry-check strict mode: 2 events no query matched (they were sent, but the test "
            "expected no such event):",
            "  1. message 'card declined' *",
            "  2. RuntimeError: payment backend unavailable *",
        ],
        consecutive=True,
    )


def test_strict_takes_a_bool(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(strict="yes")
        def test_typo(sentry_events):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["E   TypeError: sentry_check(strict=...) takes True or False, not 'yes'"])
