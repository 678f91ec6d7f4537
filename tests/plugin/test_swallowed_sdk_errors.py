"""Exceptions the SDK swallows (from the app's callbacks) become visible test failures."""

from __future__ import annotations

import pytest

QUERY_STRING_BEFORE_SEND = """
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

def before_send(event, hint):
    request = event.get("request", {})
    if "token=" in request.get("query_string").lower():
        request["query_string"] = "[Filtered]"
    return event

app = FastAPI()

@app.get("/orders")
def orders():
    raise LookupError("order store down")
"""


def test_a_raising_before_send_fails_the_test_with_its_traceback(pytester: pytest.Pytester) -> None:
    """The real case: query_string is None without a query, the hook raises, the event is lost."""
    pytester.makepyfile(app=QUERY_STRING_BEFORE_SEND)
    pytester.makepyfile(
        """
        import sentry_sdk
        from fastapi.testclient import TestClient
        import app

        def test_orders():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=app.before_send)
            TestClient(app.app, raise_server_exceptions=False).get("/orders")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the Sentry SDK swallowed 1 exception during this test:",
            "  before_send (app.before_send) raised AttributeError: 'NoneType' object has no "
            "attribute 'lower'",
            "    the SDK dropped the event: in production it never reaches Sentry.",
            "    | Traceback (most recent call last):",
            '    |   File "*app.py", line 7, in before_send',
            '    |     if "token=" in request.get("query_string").lower():',
            "    |                    ^^^^^^^^^^^^^^^^*",
            "    | AttributeError: 'NoneType' object has no attribute 'lower'",
            "Fix the callback. If this is on purpose, mark the test @pytest.mark.sentry_check("
            'sdk_errors="warn") or "ignore" (see https://pytest-sentry-check.readthedocs.io/en/latest/capture/#exceptions-the-sdk-swallowed).',
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        ["ERROR test_a_raising_before_send_fails_the_test_with_its_traceback.py::test_orders*"]
    )


def test_the_drop_is_visible_in_the_test_too(pytester: pytest.Pytester) -> None:
    """With sdk_errors="ignore" the test can assert on the error and the callback_error drop."""
    pytester.makepyfile(app=QUERY_STRING_BEFORE_SEND)
    pytester.makepyfile(
        """
        import pytest, sentry_sdk
        from fastapi.testclient import TestClient
        import app

        @pytest.mark.sentry_check(sdk_errors="ignore", gate="off")  # the token is in frame locals
        def test_orders(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=app.before_send)
            TestClient(app.app, raise_server_exceptions=False).get("/orders?token=abc")
            assert sentry_events.one().request["query_string"] == "[Filtered]"
            TestClient(app.app, raise_server_exceptions=False).get("/orders")
            assert len(sentry_events) == 1
            # sentry-sdk >= 2.7x says callback_error; older 2.x said before_send
            assert sentry_events.dropped.one(category="error").reason in ("callback_error", "before_send")
            [error] = sentry_events.sdk_errors
            assert (error.source, error.callback) == ("before_send", "app.before_send")
            assert isinstance(error.exception, AttributeError)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("option", "trigger", "consequence"),
    [
        (
            "before_breadcrumb",
            'sentry_sdk.add_breadcrumb(message="x")',
            "the SDK kept the breadcrumb unfiltered: in production it is sent as it was, unscrubbed.",
        ),
        (
            "traces_sampler",
            'sentry_sdk.start_transaction(name="t").finish()',
            "the SDK did not sample the trace: no transaction is sent.",
        ),
        (
            "before_send_transaction",
            'sentry_sdk.start_transaction(name="t", sampled=True).finish()',
            "the SDK dropped the transaction: in production it never reaches Sentry.",
        ),
    ],
)
def test_each_callback_is_named(
    pytester: pytest.Pytester, option: str, trigger: str, consequence: str
) -> None:
    """Every callback option is watched, and the message says what the SDK did instead."""
    pytester.makepyfile(
        f"""
        import sentry_sdk

        def broken(*args):
            raise ValueError("broken callback")

        def test_callback():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=1.0, {option}=broken)
            {trigger}
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"  {option} (test_each_callback_is_named.broken) raised ValueError: broken callback",
            f"    {consequence}",
        ],
        consecutive=True,
    )


def test_warn_mode_from_the_command_line(pytester: pytest.Pytester) -> None:
    """--sentry-sdk-errors=warn turns the failure into a SentryCheckWarning."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_callback():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_breadcrumb=lambda c, h: 1 / 0)
            sentry_sdk.add_breadcrumb(message="x")
        """
    )
    result = pytester.runpytest("--sentry-sdk-errors=warn", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*SentryCheckWarning: sentry-check: the Sentry SDK swallowed 1 exception*"])


def test_an_invalid_ini_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A wrong value in the ini stops the run with the valid values."""
    pytester.makeini("[pytest]\nsentry_sdk_errors = loud\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["ERROR: sentry_sdk_errors must be one of fail, warn, ignore, not 'loud'"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
