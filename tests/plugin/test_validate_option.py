"""The run-wide validation mode (--sentry-validate, sentry_validate): warn, fail, off, and allow."""

from __future__ import annotations

import importlib.util
import json

import pytest

pytest.importorskip("sentry_relay", reason="the relay extra (Linux and macOS wheels)")


# -- the run-wide mode ------------------------------------------------------------------------

SUITE = """
import pytest, sentry_sdk

def test_checkout(sentry_init):
    sentry_init()
    sentry_sdk.get_isolation_scope().set_context("feature", "checkout-v2")
    sentry_sdk.capture_message("checkout slow")
"""


def test_by_default_every_event_is_checked_and_warned_about(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sentry-report=r.json")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail; validate=warn",
            "*SentryCheckWarning: sentry-check: Sentry would reject or drop parts of what the application sent (1 problem):",
            "    [[]medium] relay-invalid (expected an object) at event:contexts.feature: checkout-v2 in event *",
            "*- sentry-check: leak gate (fail) -*",
            "1 envelope from 1 test scanned: 1 finding in 1 test, 1 leak group (1 warned)",
            "by rule:  relay-invalid 1",
        ]
    )
    [finding] = json.loads((pytester.path / "r.json").read_text())["groups"]
    assert (finding["kind"], finding["rule"], finding["pattern"], finding["state"]) == (
        "validation",
        "relay-invalid",
        "contexts.feature",
        "warned",
    )


def test_fail_mode_fails_the_test_and_allow_accepts_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sentry-validate=fail")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: Sentry would reject or drop parts of what the application sent (1 problem):",
            "  [[]medium] relay-invalid (expected an object) at event:contexts.feature: checkout-v2 in event *",
            'Fix what the application sets there; if intended, mark the test @pytest.mark.sentry_check(allow=["relay-invalid", "sentry-limit"]) (see https://pytest-sentry-check.readthedocs.io/en/latest/validation/#what-is-checked).',
        ]
    )
    pytester.makepyfile(
        SUITE.replace(
            "def test_checkout", '@pytest.mark.sentry_check(allow=["relay-invalid"])\ndef test_checkout'
        )
    )
    pytester.runpytest("--sentry-validate=fail").assert_outcomes(passed=1)


def test_off_checks_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sentry-validate=off")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["sentry-check: gate=fail; validate=off"])


def test_with_the_gate_off_nothing_is_validated_unless_asked(pytester: pytest.Pytester) -> None:
    """The gate off, validation would be the only cost of every payload: off unless named."""
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sentry-gate=off")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["sentry-check: gate=off; validate=off"])
    result = pytester.runpytest("--sentry-gate=off", "--sentry-validate=warn")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=off; validate=warn",
            "*SentryCheckWarning: sentry-check: Sentry would reject or drop parts of what the application sent (1 problem):",
        ]
    )


def test_a_wrong_mode_or_a_missing_relay_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nsentry_validate = strict\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sentry_validate must be one of fail, warn, off, not 'strict'"])
    pytester.makeini("[pytest]\n")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentry_relay" else real_find_spec(name, *a),
    )
    result = pytester.runpytest("--sentry-validate=fail")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: sentry_validate=fail needs Relay's normalizer: pip install 'pytest-sentry-check[relay]'"]
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["sentry-check: gate=fail; validate=off"])


def test_a_transaction_relay_rejects_is_a_problem_not_a_crash(pytester: pytest.Pytester) -> None:
    """An end before its start: Relay refuses the whole transaction; the run goes on."""
    pytester.makepyfile(
        """
        import datetime, sentry_sdk

        def test_job(sentry_init):
            sentry_init(traces_sample_rate=1.0)
            sentry_sdk.set_user({"id": "u-1", "email": "ana.lopez" + "@shop.example"})
            now = datetime.datetime.now(datetime.timezone.utc)
            transaction = sentry_sdk.start_transaction(name="job", start_timestamp=now)
            transaction.finish(end_timestamp=now - datetime.timedelta(seconds=5))
        """
    )
    result = pytester.runpytest("--sentry-gate=warn")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "    [[]medium] relay-invalid (Relay rejects the whole transaction: invalid transaction event: end timestamp is smaller than start timestamp*"
        ]
    )
    email_fails = ("--sentry-validate=off", "--sentry-fail-on=medium")
    assert pytester.runpytest(*email_fails).ret == pytest.ExitCode.TESTS_FAILED  # the email


def test_validation_runs_with_the_gate_off_and_masks_canaries(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.fixture
        def job(sentry_init, sentry_secrets):
            sentry_init()
            token = sentry_secrets.add("tok_7Hq2LmZp9XwV4")
            yield
            sentry_sdk.get_isolation_scope().set_context("job", token)
            sentry_sdk.capture_message("job done")

        def test_job(job):
            pass
        """
    )
    result = pytester.runpytest("--sentry-gate=off", "--sentry-validate=fail", "--sentry-report=r.json")
    result.assert_outcomes(passed=1, errors=1)
    assert "tok_7Hq2LmZp9XwV4" not in result.stdout.str()
    assert "tok_7Hq2LmZp9XwV4" not in (pytester.path / "r.json").read_text()
    result.stdout.fnmatch_lines(
        ["  [[]medium] relay-invalid (expected an object) at event:contexts.job: tok…[[]17 chars] in event *"]
    )
