"""The gate's modes (fail, warn, off; from the ini, the command line, a marker) and what a leak fails."""

from __future__ import annotations

import pytest
from _gate_suites import LATE_SUITE, NOTIFY, SUITE, no_secret_in


def test_an_ordinary_suite_fails_on_the_token_in_frame_locals(gated: pytest.Pytester) -> None:
    """Default gate=fail: the test that leaked fails, saying where; the run exits 1."""
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail; validate=*",
            "*_ test_orders_need_a_valid_account _*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (92 findings, 17 leak groups):",
            # one line per rule and path pattern, as the summary and the reports show a group
            "  [[]high] auth-header (Bearer credential) at event:exception.values.*.stacktrace.frames.*.vars.scope"
            ".headers.*.* (17 places): Bea…[[]77 chars] in event *, LookupError, transaction '/orders'",
            "  [[]high] field (sensitive field 'authorization') at event:exception.values.*.stacktrace.frames.*"
            ".vars.scope.headers.*.* (17 places): Bea…[[]77 chars] in event *, LookupError, transaction '/orders'",
            "  [[]high] jwt (JSON Web Token (alg HS256)) at event:exception.values.*.stacktrace.frames.*.vars.scope"
            ".headers.*.* (17 places): eyJ…[[]70 chars] in event *, LookupError, transaction '/orders'",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            # ten groups, then the rest counted
            "  ... and 7 more leak groups (7 findings)",
            # the words about send_default_pii or data_collection depend on the SDK's version
            "Frame locals carry them (*): sentry_sdk.init(include_local_variables=False), or *"
            "scrub each frame's 'vars' in before_send.",
            'If one is intended, mark the test @pytest.mark.sentry_check(allow=["<rule id or path glob>"]) '
            "or accept it with --sentry-baseline (see https://pytest-sentry-check.readthedocs.io/en/latest/gate/#allowing-and-baselining).",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "2 envelopes from 2 tests scanned: 92 findings in 1 test, 17 leak groups (17 failed)",
            "by rule:  *auth-header 31*",
            "by test:  test_app.py::test_orders_need_a_valid_account 92",
            "top paths:",
            "  event:exception.values.*.stacktrace.frames.*.vars.scope.headers.*.* (51)",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_orders_need_a_valid_account*"])
    no_secret_in(result)


def test_after_fixing_the_config_the_same_suite_passes(gated: pytest.Pytester) -> None:
    """include_local_variables=False and a scrubber: the gate finds nothing, the run is green."""
    gated.makepyfile(test_app=SUITE)
    gated.makeconftest(
        """
        import gate_app
        from sentry_sdk.scrubber import EventScrubber, DEFAULT_DENYLIST

        gate_app.FIXES.update(
            include_local_variables=False,
            event_scrubber=EventScrubber(recursive=True, denylist=DEFAULT_DENYLIST + ["email"]),
        )
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "2 envelopes from 2 tests scanned: no secret or personal data found.",
        ]
    )


def test_warn_mode_reports_and_exits_as_usual(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest("--sentry-gate=warn")
    result.assert_outcomes(passed=2, warnings=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=warn; validate=*",
            "*SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry "
            "(92 findings, 17 leak groups):",
            "*- sentry-check: leak gate (warn) -*",
            "2 envelopes from 2 tests scanned: 92 findings in 1 test, 17 leak groups (17 warned)",
        ]
    )
    no_secret_in(result)


def test_the_ini_sets_the_mode_and_the_command_line_wins(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    gated.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_gate = warn\n")
    gated.runpytest().assert_outcomes(passed=2, warnings=1)
    gated.runpytest("--sentry-gate=fail").assert_outcomes(passed=1, failed=1)


def test_off_scans_nothing(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest("--sentry-gate=off")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["sentry-check: gate=off; validate=*"])
    result.stdout.no_fnmatch_line("*leak gate*")


def test_a_wrong_mode_is_a_usage_error(gated: pytest.Pytester) -> None:
    gated.makeini("[pytest]\nsentry_gate = strict\n")
    result = gated.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sentry_gate must be one of fail, warn, off, not 'strict'"])


def test_a_marker_turns_the_gate_off_or_to_warn_for_one_test(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE.replace(
            "def test_orders_need_a_valid_account",
            '@pytest.mark.sentry_check(gate="warn")\ndef test_orders_need_a_valid_account',
        ).replace("import gate_app", "import pytest, gate_app")
    )
    gated.runpytest().assert_outcomes(passed=2, warnings=1)
    gated.makepyfile(
        test_app=SUITE.replace(
            "import gate_app", 'import pytest, gate_app\npytestmark = pytest.mark.sentry_check(gate="off")'
        )
    )
    result = gated.runpytest("--sentry-validate=off")  # validation would look at them
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["0 envelopes from 0 tests scanned: no secret or personal data found."])


def test_a_registered_canary_is_found_by_the_gate_and_never_printed(gated: pytest.Pytester) -> None:
    """A test that only registers a canary: the gate looks for it in everything sent."""
    gated.makepyfile(
        """
        import sentry_sdk

        def test_signup(sentry_init, sentry_secrets):
            sentry_init()
            code = sentry_secrets.make("token")
            sentry_sdk.set_context("signup", {"step": "verify", "ref": "code " + code})
            sentry_sdk.capture_message("signup stalled")
            print("CODE=" + code[5:])
        """
    )
    result = gated.runpytest("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]critical] canary (registered secret, raw) at event:contexts.signup.ref: tok…[[]36 chars] in event *",
            "Scope or request data carries them: remove or mask them in before_send.",
        ]
    )
    printed = next(line for line in result.stdout.lines if "CODE=" in line).split("CODE=")[1]
    assert len(printed) == 31
    assert sum(printed in line for line in result.stdout.lines) == 1  # its own print only


def test_a_test_that_already_failed_gets_the_leak_as_a_section(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_notify=NOTIFY + "    assert False, 'the notification was not sent'\n")
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails too
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: the notification was not sent",
            "*- sentry-check: leaks -*",
            "sentry-check: the application sent secrets or personal data to Sentry (2 findings, 2 leak groups):",
        ]
    )
    no_secret_in(result)


def test_an_xfail_test_that_leaks_fails(gated: pytest.Pytester) -> None:
    """A leak is the app's, whatever the test expected of itself."""
    gated.makepyfile(
        test_notify=NOTIFY.replace("def test_notify", "@pytest.mark.xfail(reason='flaky')\ndef test_notify")
        + "    assert False\n"
    )
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    result.assert_outcomes(failed=1)


def test_a_leak_in_fixture_teardown_fails_the_teardown(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest, sentry_sdk

        import gate_app

        @pytest.fixture
        def farewell(sentry_init):
            sentry_init()
            yield
            sentry_sdk.capture_message("goodbye " + gate_app.CUSTOMER_EMAIL)

        def test_body(farewell):
            pass
        """
    )
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_body*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]medium] email (email address) at event:message: ana…[[]22 chars] in event *",
        ]
    )
    no_secret_in(result)


def test_a_late_arrival_counts_and_fails_the_run(gated: pytest.Pytester) -> None:
    """A thread that sends after its test ended: scanned at the end, blamed on its own test."""
    gated.makepyfile(LATE_SUITE)
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "1 envelope from 2 tests scanned: 1 finding in 1 test, 1 leak group (1 failed)",
            "by test:  test_a_late_arrival_counts_and_fails_the_run.py::test_starts_a_worker 1",
        ]
    )
    # issue #16: '2 passed' and exit status 1 without saying which test, event or value
    result.stdout.fnmatch_lines(
        [
            "sent after their test ended (1 leak group):",
            "  test_a_late_arrival_counts_and_fails_the_run.py::test_starts_a_worker: [[]medium] email "
            "(email address) at event:message: ana…[[]22 chars] in event *",
            "    it arrived after the test ended, from a thread or task the test started (or sent just after it "
            "ended); it fails the run",
        ],
        consecutive=True,
    )
    assert "2 passed, gate failed: 1 leak group in " in result.outlines[-1]
    no_secret_in(result)


def test_a_leak_sent_before_the_first_test_is_named_with_its_event(gated: pytest.Pytester) -> None:
    gated.makeconftest(
        """
        import sentry_sdk, gate_app
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("booted for " + gate_app.CUSTOMER_EMAIL)
        """
    )
    gated.makepyfile("def test_nothing():\n    pass\n")
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "leaked outside any test (1 leak group):",
            "  <before the first test>: [[]medium] email (email address) at event:message: ana…[[]22 chars] in event *",
            "    an import or a conftest.py sent it before the first test; it fails the run",
        ],
        consecutive=True,
    )
    assert "1 passed, gate failed: 1 leak group in " in result.outlines[-1]
    no_secret_in(result)


def test_capture_false_opts_a_test_out(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", "@pytest.mark.sentry_check(capture=False)\ndef test_notify"
        )
    )
    gated.runpytest().assert_outcomes(passed=1)


def test_a_suite_that_sends_nothing_never_loads_the_gate(pytester: pytest.Pytester) -> None:
    """The session's end has nothing to classify: the summary still counts the tests (the
    workers' too), and the gate module, a cost every run would pay, is not imported."""
    pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            print("gate imported:", "pytest_sentry_check._gate" in sys.modules)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_quiet(n):
            pass
        """
    )
    for args in ((), ("-n", "2")):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
        result.assert_outcomes(passed=3)
        result.stdout.fnmatch_lines(
            [
                "*- sentry-check: leak gate (fail) -*",
                "0 envelopes from 3 tests scanned: no secret or personal data found.",
                "gate imported: False",
            ]
        )


def test_a_fixture_teardown_that_raises_does_not_hide_a_leak(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.fixture
        def broken(sentry_init):
            sentry_init()
            yield
            sentry_sdk.capture_message("bye " + gate_app.CUSTOMER_EMAIL)
            raise RuntimeError("teardown broke")

        def test_body(broken):
            pass
        """
    )
    result = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["1 envelope from 1 test scanned: 1 finding in 1 test, 1 leak group (1 failed)"]
    )
