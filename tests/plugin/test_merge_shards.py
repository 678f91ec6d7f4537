"""``pytest-sentry-check merge``: one leaky suite run in three shards, their JSON reports merged,
gives the verdict and the leak groups of the unsharded run; the baseline is applied once."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from _gate_suites import EMAIL, NOTIFY, SUITE

from pytest_sentry_check._gate.report import GateReport

SHARDS = ("test_app.py", "test_notify.py", "test_allowed.py")
#: the console script pip installed beside this interpreter
CLI = str(Path(sys.executable).with_name("pytest-sentry-check"))


@pytest.fixture
def suite(gated: pytest.Pytester) -> pytest.Pytester:
    """A FastAPI service whose errors leak a bearer token through frame locals (test_app), a
    test that sends a customer's email (warns under fail-on high), one whose marker allows it."""
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY,
        test_allowed=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify_allowed'
        ),
    )
    return gated


def _shards(suite: pytest.Pytester, *args: str) -> list[str]:
    """Run each shard (one file each) as its own pytest run; their report files."""
    names = []
    for number, shard in enumerate(SHARDS, 1):
        name = f"shards/{number}.json"
        suite.runpytest(shard, f"--sentry-report={name}", *args)
        names.append(name)
    return names


def _report(path: Path) -> GateReport:
    """The report read back, its groups without their event ids (each run sends new events)."""
    report = GateReport.from_json(json.loads(path.read_text()))
    return replace(report, groups=tuple(replace(g, records=()) for g in report.groups))


def _merge(suite: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "merge", *args], cwd=suite.path, capture_output=True, text=True, check=False, timeout=120
    )


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert "eyJzdWIiOiJ1LTcifQ" not in text
        assert EMAIL not in text


def test_three_shards_merge_into_the_verdict_of_the_unsharded_run(suite: pytest.Pytester) -> None:
    whole = suite.runpytest("--sentry-report=whole.json")
    whole.assert_outcomes(passed=3, failed=1)
    reports = _shards(suite)

    merged = _merge(
        suite, *reports, "--gate", "--json=merged.json", "--sarif=merged.sarif", "--html=merged.html"
    )

    assert merged.returncode == 1, merged.stderr
    assert merged.stderr == ""
    lines = merged.stdout.splitlines()
    assert lines[:3] == [
        "pytest-sentry-check merge: 3 reports, leak gate (fail)",
        "4 envelopes from 4 tests scanned: 96 findings in 3 tests, 21 leak groups (17 failed, 2 warned, 2 allowed)",
        "2 findings below the fail-on threshold (high) warned instead of failing: email 2; "
        "--sentry-fail-on=medium makes them fail",
    ]
    assert lines[-4:] == [
        "JSON report written to merged.json",
        "SARIF written to merged.sarif",
        "HTML report written to merged.html",
        "pytest-sentry-check merge: 3 reports, 4 tests, gate failed: 17 leak groups",
    ]
    whole.stdout.fnmatch_lines(["=* 1 failed, 3 passed, *, gate failed: 17 leak groups in * =*"])
    # the terminal summary of the merge is the unsharded run's, line for line (but the events' ids)
    section = whole.stdout.lines.index(
        "------------------------ sentry-check: leak gate (fail) ------------------------"
    )
    expected = whole.stdout.lines[section + 1 : section + len(lines) - 4]
    assert [line.split(" in event ")[0] for line in lines[1:-4]] == [
        line.split(" in event ")[0] for line in expected
    ]

    merged_report, whole_report = _report(suite.path / "merged.json"), _report(suite.path / "whole.json")
    assert merged_report == whole_report
    assert merged_report.verdict == "failed"
    sarif = json.loads((suite.path / "merged.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(merged_report.groups) == 21
    page = (suite.path / "merged.html").read_text()
    assert "Gate failed: 17 leak groups fail the run" in page
    _no_secret(merged.stdout, (suite.path / "merged.json").read_text(), json.dumps(sarif), page)


def test_the_merges_baseline_is_applied_once_to_every_shards_groups(suite: pytest.Pytester) -> None:
    """Shards run without a baseline and merged with one give the unsharded run with it; a
    group its shard baselined is judged again by the merge's baseline."""
    suite.runpytest("--sentry-baseline=baseline.json", "--sentry-baseline-update")
    baselined = suite.runpytest("--sentry-baseline=baseline.json", "--sentry-report=whole.json")
    baselined.assert_outcomes(passed=4)
    reports = _shards(suite)

    merged = _merge(suite, *reports, "--baseline=baseline.json", "--gate", "--json=merged.json")

    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert merged.stdout.splitlines()[1] == (
        "4 envelopes from 4 tests scanned: 96 findings in 3 tests, 21 leak groups (2 allowed, 19 baselined)"
    )
    assert merged.stdout.splitlines()[-1] == "pytest-sentry-check merge: 3 reports, 4 tests, gate passed"
    assert _report(suite.path / "merged.json") == _report(suite.path / "whole.json")

    # shards that accepted their leaks with the old baseline; the merge's (empty) one reopens them
    accepted = _shards(suite, "--sentry-baseline=baseline.json")
    assert all(_report(suite.path / name).verdict == "passed" for name in accepted)
    reopened = _merge(suite, *accepted, "--baseline=nothing-accepted.json", "--gate")
    assert reopened.returncode == 1
    assert reopened.stdout.splitlines()[1] == (
        "4 envelopes from 4 tests scanned: 96 findings in 3 tests, 21 leak groups (17 failed, 2 warned, 2 allowed)"
    )
    assert reopened.stdout.splitlines()[-1] == (
        "pytest-sentry-check merge: 3 reports, 4 tests, gate failed: 17 leak groups"
    )


def test_stale_baseline_entries_are_counted_once_across_shards(suite: pytest.Pytester) -> None:
    suite.runpytest("--sentry-baseline=baseline.json", "--sentry-baseline-update")
    suite.makepyfile(test_notify=NOTIFY.replace("gate_app.CUSTOMER_EMAIL", '"nobody"'))  # fixed
    whole = suite.runpytest("--sentry-baseline=baseline.json")
    reports = _shards(suite)
    merged = _merge(suite, *reports, "--baseline=baseline.json")
    stale = "2 baseline entries no longer found (fixed?): run with --sentry-baseline-update to drop them"
    whole.stdout.fnmatch_lines([stale])
    assert stale in merged.stdout.splitlines()
    assert merged.returncode == 0
