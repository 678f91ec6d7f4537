"""The gate under xdist: every worker's findings, warnings, baseline and late leaks reach the controller."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _gate_suites import LATE_SUITE, NOTIFY, SUITE, _run_with_reports


def test_with_xdist_every_workers_findings_reach_the_controller(gated: pytest.Pytester) -> None:
    serial, report, _ = _run_with_reports(gated)
    parallel = gated.runpytest_subprocess(
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "--sentry-report=out/xdist.json",
        "--sentry-sarif=out/xdist.sarif",
    )
    parallel.assert_outcomes(passed=2, failed=1)
    assert parallel.ret == serial.ret == pytest.ExitCode.TESTS_FAILED
    merged = json.loads((gated.path / "out" / "xdist.json").read_text())
    # (CI saw 3 against 4 once: an envelope whose arrival depends on timing, likely the SDK's
    # release-health sessions, which its flusher sends; the findings must agree exactly)
    assert {**merged["summary"], "envelopes_scanned": 0} == {**report["summary"], "envelopes_scanned": 0}
    assert merged["summary"]["envelopes_scanned"] in (3, 4)

    def key(f: dict[str, Any]) -> tuple[str, ...]:
        return (f["test"], f["rule"], f["pattern"], f["state"], f["places"], f["fingerprint"])

    assert sorted(map(key, merged["groups"])) == sorted(map(key, report["groups"]))
    parallel.stdout.fnmatch_lines(
        ["[34] envelopes from 3 tests scanned: 94 findings in 2 tests, 19 leak groups (17 failed, 2 allowed)"]
    )


def test_with_xdist_a_warned_leak_reaches_the_controller(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", "@pytest.mark.sentry_check(gate='warn')\ndef test_notify"
        )
    )
    result = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SentryCheckWarning: sentry-check: the application sent secrets*"])
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["1 envelope from 1 test scanned: 2 findings in 1 test, 2 leak groups (2 warned)"]
    )


def test_baseline_update_under_xdist_is_written_once_by_the_controller(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE, test_notify=NOTIFY)
    result = gated.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--sentry-baseline=b.json", "--sentry-baseline-update"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["baseline written to b.json: 19 entries (was 0)"])
    result = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--sentry-baseline=b.json")
    assert result.ret == pytest.ExitCode.OK


def test_with_xdist_a_late_leak_still_fails_the_run(gated: pytest.Pytester) -> None:
    gated.makepyfile(LATE_SUITE)
    args = ("-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider", "--sentry-fail-on=medium")
    result = gated.runpytest_subprocess(*args)  # the email fails
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["1 envelope from 2 tests scanned: 1 finding in 1 test, 1 leak group (1 failed)"]
    )


def test_with_xdist_an_import_time_leak_counts_once(gated: pytest.Pytester) -> None:
    gated.makeconftest(
        """
        import sentry_sdk, gate_app
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("booted for " + gate_app.CUSTOMER_EMAIL)
        """
    )
    gated.makepyfile("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    fail_on = "--sentry-fail-on=medium"  # the email fails
    serial = gated.runpytest_subprocess("-p", "no:cacheprovider", fail_on, "--sentry-report=s.json")
    parallel = gated.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", fail_on, "--sentry-report=p.json"
    )
    counts = [
        json.loads((gated.path / name).read_text())["summary"]["findings"] for name in ("s.json", "p.json")
    ]
    assert counts == [1, 1]
    assert serial.ret == parallel.ret == pytest.ExitCode.TESTS_FAILED
    assert sum("sent before the first test" in line for line in parallel.stdout.lines) == 1
