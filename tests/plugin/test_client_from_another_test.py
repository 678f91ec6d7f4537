"""A test that sends through a client another test's body created is told so, by name."""

from __future__ import annotations

import pytest


def test_a_test_using_another_tests_client_is_warned(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_a_inits():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            sentry_sdk.capture_message("a")

        def test_b_relies_on_it(sentry_events):
            sentry_sdk.capture_message("b")
            assert len(sentry_events) == 1
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-W", "always::pytest_sentry_check.SentryCheckWarning")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "test_a_test_using_another_tests_client_is_warned.py::test_b_relies_on_it",
            "*SentryCheckWarning: sentry-check: this test sent to Sentry through the client that "
            "test_a_test_using_another_tests_client_is_warned.py::test_a_inits created (sentry_sdk.init "
            "ran in that test's body). Run alone, or in another order, this test sends nothing: "
            "initialise the SDK in a fixture the test uses "
            "(see https://pytest-sentry-check.readthedocs.io/en/latest/capture/#a-client-another-test-created).",
        ]
    )


def test_a_client_a_fixture_created_is_no_other_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.fixture(scope="session")
        def app():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")

        def test_a(app, sentry_events):
            sentry_sdk.capture_message("a")

        def test_b(app, sentry_events):
            sentry_sdk.capture_message("b")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "SentryCheckWarning" not in result.stdout.str()
