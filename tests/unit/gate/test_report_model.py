"""GateReport and LeakGroup without pytest: grouping, stable identity, the JSON round trip."""

from __future__ import annotations

import hashlib
import json

from pytest_sentry_check._gate.baseline import Baseline
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import EXAMPLES, GateReport, LeakGroup, group_findings
from pytest_sentry_check._scan.finding import Finding

FRAME = "exception.values.0.stacktrace.frames.{}.vars.body.password"


def _password(frame: int) -> Finding:
    return Finding("field", "field", "high", "event", FRAME.format(frame), "hun…[12 chars]", "password")


def _ledger(frames: range, baseline: Baseline | None = None) -> GateLedger:
    ledger = GateLedger(mode="fail", fail_on="high", baseline=baseline or Baseline())
    ledger.tests_run.add("t.py::a")
    found = [("event 1a2b3c4d, KeyError", _password(n), None) for n in frames]
    ledger.classify("t.py::a", ("t.py", 3), found, allow=[], phase="call")
    return ledger


class TestGroups:
    """A group is one rule at one path pattern in one test."""

    def test_places_that_differ_only_in_list_indexes_are_one_group(self) -> None:
        [group] = GateReport.from_ledger(_ledger(range(17))).groups
        assert (group.rule, group.item_type, group.pattern, group.places) == (
            "field",
            "event",
            "exception.values.*.stacktrace.frames.*.vars.body.password",
            17,
        )
        assert len(group.examples) == EXAMPLES
        assert group.examples[0] == FRAME.format(0)
        assert (group.state, group.preview, group.records) == (
            "failed",
            "hun…[12 chars]",
            ("event 1a2b3c4d, KeyError",),
        )
        assert group.where == "event:exception.values.*.stacktrace.frames.*.vars.body.password"

    def test_the_fingerprint_is_test_item_type_rule_and_pattern(self) -> None:
        [group] = GateReport.from_ledger(_ledger(range(2))).groups
        text = b"t.py::a\0event\0field\0exception.values.*.stacktrace.frames.*.vars.body.password"
        assert group.fingerprint == hashlib.sha256(text).hexdigest()[:24]

    def test_a_group_takes_the_most_pressing_state_of_its_places(self) -> None:
        ledger = GateLedger(mode="fail", fail_on="high")
        found = [("", _password(n), None) for n in range(3)]
        ledger.classify("t.py::a", ("t.py", 3), found, allow=[("ini", "*.frames.0.*")], phase="call")
        [group] = group_findings(ledger.findings)
        assert (group.state, group.places) == ("failed", 3)

    def test_groups_are_ordered_failed_first_then_by_severity(self) -> None:
        ledger = GateLedger(mode="fail", fail_on="high")
        email = Finding("email", "pattern", "medium", "event", "user.email", "ana…[22 chars]")
        ledger.classify(
            "t.py::a", ("t.py", 3), [("", email, None), ("", _password(1), None)], allow=[], phase="call"
        )
        assert [(g.rule, g.state) for g in group_findings(ledger.findings)] == [
            ("field", "failed"),
            ("email", "warned"),
        ]


def test_a_group_survives_its_json_round_trip() -> None:
    report = GateReport.from_ledger(_ledger(range(3)))
    again = [LeakGroup.from_json(json.loads(json.dumps(g.to_json()))) for g in report.groups]
    assert again == list(report.groups)
    assert report.counts()["groups"] == 1
    assert report.counts()["findings"] == 3


def test_a_frame_shift_keeps_every_baseline_entry_matched() -> None:
    """The same leak one frame deeper (a decorator added) is the same group: still baselined."""
    before = _ledger(range(5, 22))
    baseline = Baseline().updated(before.findings, before.tests_run)
    shifted = _ledger(range(6, 23), baseline)
    assert {f.status for f in shifted.findings} == {"baselined"}
    assert shifted.unused_baseline() == []


def test_a_version_1_baseline_of_exact_paths_still_matches() -> None:
    old = Baseline([{"test": "t.py::a", "item_type": "event", "rule": "field", "path": FRAME.format(17)}])
    ledger = _ledger(range(18, 20), old)
    assert {f.status for f in ledger.findings} == {"baselined"}


def test_the_json_report_reads_back_as_the_same_report() -> None:
    """What ``json_report`` writes, ``GateReport.from_json`` reads (``merge`` relies on it)."""
    from pytest_sentry_check._gate.reports import json_report

    ledger = _ledger(range(3))
    ledger.declared.update({("ini", "unused-rule"), ("t.py::a", "*.frames.0.*")})
    ledger.used.add(("t.py::a", "*.frames.0.*"))
    report = GateReport.from_ledger(ledger)
    again = GateReport.from_json(json.loads(json.dumps(json_report(report))))
    assert again.groups == report.groups
    assert again.counts() == report.counts()
    assert (again.mode, again.fail_on, again.tests_run) == (report.mode, report.fail_on, report.tests_run)
    assert again.allow_entries == report.allow_entries
    assert json_report(again) == json_report(report)
