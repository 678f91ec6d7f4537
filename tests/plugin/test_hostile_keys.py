"""Keys no encoder expects (lone surrogates, from undecodable bytes) never crash the gate."""

from __future__ import annotations

import json

import pytest

# What ``bytes.decode("utf-8", "surrogateescape")`` makes of a header name with a stray byte.
APP = """
import sentry_sdk

def send_leak():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
    sentry_sdk.set_extra(b"api_key\\xff".decode("utf-8", "surrogateescape"), "ak_live_9f8e7d6c5b4a39281706")
    sentry_sdk.capture_message("import failed")
"""


def test_a_lone_surrogate_key_fails_the_test_with_a_finding(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        """
        import app

        def test_leaks():
            app.send_leak()
        """
    )
    result = pytester.runpytest("--sentry-report=r.json", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]high[]] field (sensitive field 'apikey') at event:extra.api_key\\udcff: ak_…[[]28 chars[]] in event *",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["summary"]["failed"] == 1


def test_a_lone_surrogate_key_sent_late_is_reported_at_session_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        """
        import threading, time
        import app

        def test_starts_a_thread():
            app.sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            threading.Thread(target=lambda: (time.sleep(0.3), app.send_leak())).start()

        def test_next():
            time.sleep(1)
        """
    )
    result = pytester.runpytest("--sentry-report=r.json", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["summary"]["failed"] >= 1


def test_under_xdist_the_controller_counts_the_findings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        """
        import app

        def test_leaks():
            app.send_leak()
        """
    )
    result = pytester.runpytest_subprocess("-n", "1", "--sentry-report=r.json", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    assert "no secret or personal data found" not in result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert report["summary"]["failed"] == 1
