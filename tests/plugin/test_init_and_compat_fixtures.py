"""sentry_init, and the drop-in replacements for sentry-python's capture_events / capture_envelopes."""

from __future__ import annotations

import pytest


def test_sentry_init_for_code_that_never_inits(pytester: pytest.Pytester) -> None:
    """A library under test gets a client; the previous client is back after the test."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_library(sentry_init, sentry_events):
            sentry_init(release="lib@0.1.0", traces_sample_rate=1.0)
            with sentry_sdk.start_transaction(name="parse"):
                sentry_sdk.capture_message("parsed")
            assert sentry_events.one().release == "lib@0.1.0"
            assert sentry_events.transactions.one(name="parse")
            assert sentry_events.client_options["dsn"] is None  # none invented (test_drop_in_fidelity)

        def test_no_client_afterwards(sentry_events):
            assert not sentry_sdk.get_client().is_active()
            sentry_sdk.capture_message("nobody listens")
            assert len(sentry_events) == 0
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_client_options_without_a_client_says_so(pytester: pytest.Pytester) -> None:
    """Reading client_options with no client active explains what is missing."""
    pytester.makepyfile(
        """
        def test_no_init(sentry_events):
            sentry_events.client_options
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.client_options: no Sentry client is active; the "
            "application has not called sentry_sdk.init (use the sentry_init fixture if it never does)."
        ]
    )


def test_capture_events_and_envelopes_behave_like_sentry_pythons(pytester: pytest.Pytester) -> None:
    """capture_events() collects event and transaction payloads; capture_envelopes() everything."""
    pytester.makepyfile(
        """
        import sentry_sdk
        from sentry_sdk.envelope import Envelope

        def test_compat(sentry_init, capture_events, capture_envelopes):
            sentry_init(traces_sample_rate=1.0, enable_logs=True)
            sentry_sdk.capture_message("before")
            events = capture_events()
            envelopes = capture_envelopes()
            with sentry_sdk.start_transaction(name="job"):
                sentry_sdk.capture_message("hello")
            sentry_sdk.logger.info("a log")
            sentry_sdk.flush()
            assert [e.get("message") or e.get("transaction") for e in events] == ["hello", "job"]
            assert all(isinstance(e, dict) for e in events)
            assert all(isinstance(e, Envelope) for e in envelopes)
            assert [[i.type for i in e.items] for e in envelopes] == [["event"], ["transaction"], ["log"]]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
