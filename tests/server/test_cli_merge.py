"""``pytest-sentry-check merge``'s command line: the exit statuses, the last line, and the
messages for reports it cannot merge (the shards' real runs: tests/plugin/test_merge_shards.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_sentry_check._cli import main
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import GateReport
from pytest_sentry_check._gate.reports import REPORT_VERSION, json_report
from pytest_sentry_check._scan.finding import Finding

EMAIL = Finding("email", "pattern", "medium", "event", "message", "ana…[22 chars]", "email address")


def _shard(folder: Path, name: str, test: str, found: list[Finding], fail_on: str = "high") -> str:
    """A shard's JSON report, as ``--sentry-report`` writes it."""
    ledger = GateLedger(mode="fail", fail_on=fail_on)
    ledger.tests_run.add(test)
    ledger.envelopes_scanned += 1
    ledger.classify(test, ("t.py", 3), [("event 1a2b3c4d", f, None) for f in found], allow=[], phase="call")
    path = folder / name
    path.write_text(json.dumps(json_report(GateReport.from_ledger(ledger))))
    return str(path)


@pytest.fixture
def shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return [_shard(tmp_path, "1.json", "t.py::a", []), _shard(tmp_path, "2.json", "t.py::b", [EMAIL])]


def test_a_group_under_the_threshold_warns_and_the_gate_passes(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["merge", *shards, "--gate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "pytest-sentry-check merge: 2 reports, 2 tests, gate passed with warnings"
    )


def test_the_merges_fail_on_holds_every_shard(shards: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", *shards, "--gate", "--fail-on=medium"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "pytest-sentry-check merge: 2 reports, 2 tests, gate failed: 1 leak group"
    )


def test_without_gate_a_failing_merge_says_so_and_exits_0(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["merge", *shards, "--fail-on=medium"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "pytest-sentry-check merge: 2 reports, 2 tests, 1 leak group would fail the gate "
        "(not applied: --gate applies it)"
    )


def test_the_step_summary_is_written_whenever_its_file_is_set(
    shards: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    main(["merge", *shards, "--gate"])
    assert "**Gate passed with warnings**" in (tmp_path / "summary.md").read_text()


def test_in_github_actions_it_annotates_and_writes_the_step_summary(
    shards: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    main(["merge", *shards, "--fail-on=medium"])
    annotations = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=t.py,line=3,title=sentry-check%3A email::t.py::b: [medium] email (email address) "
        "at event:message: ana…[22 chars] in event 1a2b3c4d"
    ]
    assert "**Gate failed: 1 leak group**" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            '{"version": 2}',
            "not a pytest-sentry-check JSON report (pytest writes one with --sentry-report=PATH)",
        ),
        (
            '{"schema": "pytest-sentry-check/report", "version": 1, "findings": []}',
            f"a version 1 report; this merge reads version {REPORT_VERSION} "
            "(run the shards and the merge with the same pytest-sentry-check)",
        ),
        (
            f'{{"schema": "pytest-sentry-check/report", "version": {REPORT_VERSION}}}',
            "not a pytest-sentry-check JSON report (KeyError: 'gate')",
        ),
    ],
)
def test_a_report_it_cannot_read_stops_the_merge_with_status_2(
    shards: list[str], capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    Path("bad.json").write_text(content)
    assert main(["merge", *shards, "bad.json", "missing.json", "--gate"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"pytest-sentry-check merge: bad.json: {message}",
        "pytest-sentry-check merge: missing.json: cannot be read (No such file or directory)",
        "pytest-sentry-check merge: 2 of 4 reports not read: nothing was merged",
    ]


def test_shards_with_different_thresholds_need_fail_on(
    shards: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = _shard(tmp_path, "3.json", "t.py::c", [], fail_on="medium")
    assert main(["merge", *shards, other]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "pytest-sentry-check merge: the shards ran with different fail-on thresholds (high, medium): "
        "give the one to hold them all to with --fail-on"
    ]


def test_a_baseline_it_cannot_read_is_status_2(shards: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    Path("b.json").write_text("[1, 2]")
    assert main(["merge", *shards, "--baseline=b.json"]) == 2
    assert capsys.readouterr().err.startswith(
        "pytest-sentry-check merge: --baseline: b.json: not a pytest-sentry-check baseline ("
    )


def test_a_merged_report_merges_again_into_itself(
    shards: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The merged JSON report has the shards' schema: merging it alone gives it back."""
    main(["merge", *shards, "--json=merged.json"])
    main(["merge", "merged.json", "--json=again.json"])
    first, again = json.loads(Path("merged.json").read_text()), json.loads(Path("again.json").read_text())
    assert again == first
    assert capsys.readouterr().out.splitlines()[-1] == (
        "pytest-sentry-check merge: 1 report, 2 tests, gate passed with warnings"
    )
