"""A phone number, an IMEI and a MAC address a test's app sent are masked in every output of the
run: the query's failure message, the gate's warning, the summary, the JSON and SARIF reports.

The runs are subprocesses: masking a phone number imports ``phonenumbers``, and an in-process run
drops what it imported from ``sys.modules`` when it ends while the phone rule keeps the module, so
that later phone lookups of the whole test process found no metadata (an AssertionError inside
``phonenumbers.parse``).
"""

from __future__ import annotations

import pytest

# the app's code: a failing test's traceback shows the test's source, not this
APP = """
import sentry_sdk

def notify():
    sentry_sdk.capture_message("SMS to +44 20 7946 0958 failed on device imei: 35-209900-176148-1")
"""
SUITE = """
from sms_app import notify

def test_sms_is_reported(sentry_init, sentry_events):
    sentry_init()
    notify()
    sentry_events.one(message="SMS delivered")
"""

WHOLE = ("+44 20 7946 0958", "35-209900-176148-1", "7946", "176148")


def test_a_phone_number_is_masked_in_every_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sms_app=APP, test_sms=SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--sentry-summary", "--sentry-report=r.json", "--sentry-sarif=r.sarif"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.one(message='SMS delivered'): no event matches,"
            " amongst 1 event captured:",
            "E         1. message 'SMS to +44…[[]16 chars[]] failed on device imei: 35-…[[]18 chars[]]' (level=info)",
            "E            - message: expected to contain 'SMS delivered', got 'SMS to +44…[[]16 chars[]]"
            " failed on device imei: 35-…[[]18 chars…[[]67 chars[]]",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "*SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry"
            " (2 findings, 2 leak groups, below the fail-on threshold):",
            "    [[]medium[]] phone-number (phone number (GB, valid for its numbering plan)) at event:message: "
            "+44…[[]16 chars[]] in event *",
            "    [[]low[]] imei (IMEI (Luhn valid)) at event:message: 35-…[[]18 chars[]] in event *",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "test_sms.py::test_sms_is_reported: 1 event",
            "  message 'SMS to +44…[[]16 chars[]] failed on device imei: 35-…[[]18 chars[]]' (level=info)",
        ],
        consecutive=True,
    )
    outputs = {
        "terminal": result.stdout.str(),
        "JSON report": (pytester.path / "r.json").read_text(),
        "SARIF": (pytester.path / "r.sarif").read_text(),
    }
    for name, text in outputs.items():
        for whole in WHOLE:
            assert whole not in text, f"{whole!r} in the {name}"


def test_the_sdk_error_message_masks_a_phone_number(pytester: pytest.Pytester) -> None:
    """What a failing ``before_send`` raised is shown with the number masked."""
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.mark.sentry_check(gate="off")
        def test_callback_raises(sentry_init):
            def before_send(event, hint):
                raise ValueError("cannot normalise +1 (202) 555-0143")

            sentry_init(before_send=before_send)
            sentry_sdk.capture_message("boom")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["  before_send (*) raised ValueError: cannot normalise +1 …[[]17 chars[]]"])
    assert "555-0143" not in result.stdout.str()
