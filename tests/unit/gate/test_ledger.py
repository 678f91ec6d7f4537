"""GateLedger without pytest: classifying, merging what xdist workers send, stable fingerprints."""

from __future__ import annotations

import hashlib
import json

from pytest_sentry_check._gate.baseline import Baseline
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import GateReport
from pytest_sentry_check._gate.terminal import summary_lines
from pytest_sentry_check._scan.finding import Finding


def _finding(path: str, rule: str = "email") -> Finding:
    return Finding(rule, "pattern", "medium", "event", path, "ana…[22 chars]", "email address")


def test_a_ledger_merges_what_workers_send() -> None:
    worker = GateLedger(mode="fail")
    worker.declared.add(("t.py", "iban"))
    worker.tests_run.add("t.py::a")
    worker.envelopes_scanned = 3
    worker.classify(
        "t.py::a", ("t.py", 4), [("event 1", _finding("user.email"), True)], allow=[], phase="call"
    )
    controller = GateLedger(mode="fail")
    controller.merge(json.loads(json.dumps(worker.to_json())))
    assert controller.findings == worker.findings
    assert controller.unused_allow() == [("t.py", "iban")]
    assert GateReport.from_ledger(controller).counts() == GateReport.from_ledger(worker).counts()


def test_fingerprints_hold_no_value_and_are_stable() -> None:
    ledger = GateLedger(mode="fail")
    [found] = ledger.classify(
        "t.py::a", ("t.py", 4), [("", _finding("user.email"), None)], allow=[], phase="call"
    )
    # the same on every machine and run: a hash of the test, item type, rule and path pattern only
    assert found.fingerprint == hashlib.sha256(b"t.py::a\0event\0email\0user.email").hexdigest()[:24]
    baseline = Baseline([{"test": "t.py::a", "item_type": "event", "rule": "email", "path": "user.email"}])
    assert found.fingerprint in baseline
    assert "ana" not in json.dumps(baseline.entries)


def _of(severity: str, rule: str = "r", kind: str = "pattern") -> Finding:
    return Finding(rule, kind, severity, "event", f"extra.{rule}", "abc…[9 chars]")


class TestFailOnThreshold:
    """In fail mode, findings under the threshold warn; the rest fail."""

    def test_findings_below_the_threshold_warn(self) -> None:
        ledger = GateLedger(mode="fail", fail_on="high")
        found = [
            ("", _of(severity, rule=severity), None) for severity in ("critical", "high", "medium", "low")
        ]
        results = ledger.classify("t.py::a", ("t.py", 1), found, allow=[], phase="call")
        assert [(f.finding.severity, f.status, f.below_threshold, f.fail_on) for f in results] == [
            ("critical", "failed", False, "high"),
            ("high", "failed", False, "high"),
            ("medium", "warned", True, "high"),
            ("low", "warned", True, "high"),
        ]
        assert GateReport.from_ledger(ledger).counts()["below_threshold"] == 2
        assert [f.to_json()["fails"] for f in results] == [True, True, False, False]

    def test_a_tests_own_threshold_wins_over_the_ledgers(self) -> None:
        ledger = GateLedger(mode="fail", fail_on="high")
        [found] = ledger.classify(
            "t.py::a", ("t.py", 1), [("", _of("medium"), None)], allow=[], phase="call", fail_on="low"
        )
        assert (found.status, found.fail_on) == ("failed", "low")

    def test_a_severity_outside_the_four_always_fails(self) -> None:
        """A plugin detector's own severity counts as the most severe."""
        ledger = GateLedger(mode="fail", fail_on="critical")
        [found] = ledger.classify("t.py::a", ("t.py", 1), [("", _of("urgent"), None)], allow=[], phase="call")
        assert found.status == "failed"

    def test_allow_entries_and_the_baseline_come_first(self) -> None:
        baseline = Baseline([{"test": "t.py::a", "item_type": "event", "rule": "low", "path": "extra.low"}])
        ledger = GateLedger(mode="fail", fail_on="high", baseline=baseline)
        found = [("", _of("medium", rule="medium"), None), ("", _of("low", rule="low"), None)]
        results = ledger.classify("t.py::a", ("t.py", 1), found, allow=[("ini", "medium")], phase="call")
        assert [(f.status, f.below_threshold) for f in results] == [("allowed", False), ("baselined", False)]

    def test_no_threshold_in_warn_mode_nor_for_validation_problems(self) -> None:
        """Warn mode warns on everything; validation problems follow their own mode."""
        warn = GateLedger(mode="warn", fail_on="critical")
        [warned] = warn.classify("t.py::a", ("t.py", 1), [("", _of("low"), None)], allow=[], phase="call")
        assert (warned.status, warned.fail_on, warned.below_threshold) == ("warned", "", False)
        ledger = GateLedger(mode="fail", fail_on="critical")
        problem = _of("medium", rule="sentry-limit", kind="validation")
        [invalid] = ledger.classify("t.py::a", ("t.py", 1), [("", problem, None)], allow=[], phase="call")
        assert (invalid.status, invalid.fail_on) == ("failed", "")

    def test_a_ledger_without_a_threshold_fails_on_every_finding(self) -> None:
        """The default (the command line's scan uses it): low, as before the threshold existed."""
        [found] = GateLedger().classify(
            "t.py::a", ("t.py", 1), [("", _of("low"), None)], allow=[], phase="call"
        )
        assert found.status == "failed"

    def test_workers_send_each_findings_threshold(self) -> None:
        worker = GateLedger(mode="fail", fail_on="high")
        worker.classify(
            "t.py::a", ("t.py", 1), [("", _of("medium"), None)], allow=[], phase="call", fail_on="critical"
        )
        controller = GateLedger(mode="fail", fail_on="high")
        controller.merge(json.loads(json.dumps(worker.to_json())))
        assert controller.findings == worker.findings
        assert controller.findings[0].fail_on == "critical"
        assert controller.findings[0].below_threshold

    def test_the_summary_says_which_threshold_and_what_fails_them(self) -> None:
        ledger = GateLedger(mode="fail", fail_on="high")
        ledger.classify(
            "t.py::a", ("t.py", 1), [("", _of("low", rule="ip-address"), None)], allow=[], phase="call"
        )
        found = [("", _of("medium", rule="email"), None), ("", _of("high", rule="jwt"), None)]
        ledger.classify("t.py::b", ("t.py", 5), found, allow=[], phase="call", fail_on="critical")
        assert summary_lines(GateReport.from_ledger(ledger))[1:3] == [
            "1 finding below the fail-on threshold (high) warned instead of failing: ip-address 1; "
            "--sentry-fail-on=low makes it fail",
            "2 findings below the fail-on threshold (critical) of their tests' markers warned instead of "
            'failing: jwt 1, email 1; sentry_check(fail_on="medium") makes them fail',
        ]

    def test_the_thresholds_are_the_scanners_severities(self) -> None:
        """The option spells them out (pytest's start-up does not import the scanner)."""
        from pytest_sentry_check._run.options import FAIL_ON_LEVELS
        from pytest_sentry_check._scan.finding import SEVERITIES

        assert FAIL_ON_LEVELS == SEVERITIES
