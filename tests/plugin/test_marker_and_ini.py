"""The sentry_check marker and ini keys: validated, merged closest-first."""

from __future__ import annotations

import pytest


def test_closest_marker_wins_key_by_key(pytester: pytest.Pytester) -> None:
    """ini < module pytestmark < class < function, merged per option key."""
    pytester.makeini(
        """
        [pytest]
        sentry_options =
            traces_sample_rate = 0.5
            environment = ci
            sample_rate = 1.0
        """
    )
    pytester.makepyfile(
        """
        import pytest, sentry_sdk
        pytestmark = pytest.mark.sentry_check(options={"traces_sample_rate": 1.0, "release": "m@1"})

        @pytest.mark.sentry_check(options={"release": "c@1"})
        class TestClass:
            @pytest.mark.sentry_check(options={"environment": "fn"})
            def test_merged(self, sentry_init):
                sentry_init(environment="app", traces_sample_rate=0.1)
                options = sentry_sdk.get_client().options
                assert (options["traces_sample_rate"], options["environment"], options["release"]) == (1.0, "fn", "c@1")

        def test_module_level(sentry_init, sentry_events):
            sentry_init(environment="app", traces_sample_rate=0.1)
            options = sentry_sdk.get_client().options
            assert (options["traces_sample_rate"], options["environment"], options["release"]) == (1.0, "ci", "m@1")
            assert sentry_events.client_options["environment"] == "app"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: capturing (sentry-sdk *), sdk_errors=fail, option overrides: "
            "traces_sample_rate=0.5, environment='ci', sample_rate=1.0"
        ]
    )


def test_overrides_apply_to_a_client_made_before_the_test(pytester: pytest.Pytester) -> None:
    """A client from import time gets the test's overrides, and its own options back after."""
    pytester.makepyfile(
        """
        import pytest, sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=0.0)

        @pytest.mark.sentry_check(options={"traces_sample_rate": 1.0})
        def test_sampled(sentry_events):
            with sentry_sdk.start_transaction(name="job"):
                pass
            assert sentry_events.transactions.one(name="job")

        def test_unsampled_again(sentry_events):
            with sentry_sdk.start_transaction(name="job"):
                pass
            assert len(sentry_events.transactions) == 0
            assert sentry_events.dropped.one(category="transaction").reason == "sample_rate"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "captur=False",
            "TypeError: @pytest.mark.sentry_check got an unexpected keyword 'captur'; "
            "it takes: capture, options, sdk_errors, gate, allow, fail_on, strict, passthrough",
        ),
        (
            "options={'trace_sample_rate': 1.0}",
            "TypeError: sentry_check(options=...): "
            "'trace_sample_rate' is not a sentry_sdk.init option (did you mean 'traces_sample_rate'?)",
        ),
        (
            "sdk_errors='loud'",
            "TypeError: sentry_check(sdk_errors=...) takes one of 'fail', 'warn', 'ignore', not 'loud'",
        ),
        ("True", "TypeError: @pytest.mark.sentry_check takes keyword arguments only"),
    ],
)
def test_a_wrong_marker_is_a_clear_error(pytester: pytest.Pytester, marker: str, message: str) -> None:
    """Typos in the marker fail the test at setup with what is allowed."""
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.sentry_check({marker})
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"E   {message}"])


def test_a_wrong_marker_is_the_only_error_shown(pytester: pytest.Pytester) -> None:
    """A misspelt keyword on a test that uses sentry_events: the marker's error alone, in the
    error section and in the short summary (sentry_events' 'does not capture' is not added)."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(captur=False)
        def test_marked(sentry_events):
            pass
        """
    )
    # in a subprocess: pytester's in-process run leaves the error's "E" line out of its output
    result = pytester.runpytest_subprocess("-rE", "-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   TypeError: @pytest.mark.sentry_check got an unexpected keyword 'captur'; "
            "it takes: capture, options, sdk_errors, gate, allow, fail_on, strict, passthrough",
            "*short test summary info*",
            "ERROR test_a_wrong_marker_is_the_only_error_shown.py::test_marked - TypeError*",
        ]
    )
    result.stdout.no_fnmatch_line("*does not capture*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")


def test_a_wrong_ini_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """An unknown option name in sentry_options stops the run before any test."""
    pytester.makeini("[pytest]\nsentry_options = sample_rat = 1.0\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: ini sentry_options: 'sample_rat' is not a sentry_sdk.init option (did you mean 'sample_rate'?)"
        ]
    )
