"""What threads send once the session has ended is counted and reported, never lost silently."""

from __future__ import annotations

import pytest


def test_an_envelope_sent_after_the_session_is_reported_at_exit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading, time
        import sentry_sdk

        def test_leaves_a_slow_thread():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")

            def much_later():
                time.sleep(1.5)
                sentry_sdk.capture_message("after everything")

            threading.Thread(target=much_later).start()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stderr.fnmatch_lines(
        [
            "sentry-check: 1 envelope arrived after the session ended, from threads of "
            "test_an_envelope_sent_after_the_session_is_reported_at_exit.py::test_leaves_a_slow_thread: "
            "not scanned by the leak gate nor listed in the summary.",
            "Join the threads that send them before their test ends "
            "(see https://pytest-sentry-check.readthedocs.io/en/latest/capture/#late-arrivals).",
        ]
    )


def test_nothing_is_printed_when_nothing_arrives_after_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_quiet():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert "sentry-check" not in result.stderr.str()
