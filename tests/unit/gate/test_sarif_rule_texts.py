"""Every built-in rule has its own SARIF description: a new rule cannot land without one."""

from __future__ import annotations

from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import GateReport
from pytest_sentry_check._gate.reports import _RULE_TEXT, sarif_report
from pytest_sentry_check._rules.patterns import PATTERN_RULES
from pytest_sentry_check._scan.finding import Finding

#: every rule id the package reports: the pattern rules, and the rules the scanner runs itself
RULE_IDS = {"field", "canary", "user-path", *(rule.id for rule in PATTERN_RULES)}


def test_every_rule_has_a_text_and_every_text_a_rule() -> None:
    assert sorted(RULE_IDS - _RULE_TEXT.keys()) == [], "rules without a SARIF description"
    assert sorted(_RULE_TEXT.keys() - RULE_IDS) == [], "descriptions of rules that do not exist"


def test_the_sarif_rules_show_their_texts() -> None:
    ledger = GateLedger(mode="fail", fail_on="high")
    severities = {rule.id: rule.severity for rule in PATTERN_RULES}
    for rule in sorted(RULE_IDS):
        finding = Finding(
            rule, "pattern", severities.get(rule, "high"), "event", f"extra.{rule}", "abc…[9 chars]"
        )
        ledger.classify(f"t.py::{rule}", ("t.py", 1), [("", finding, None)], allow=[], phase="call")
    [run] = sarif_report(GateReport.from_ledger(ledger))["runs"]
    texts = {rule["id"]: rule["shortDescription"]["text"] for rule in run["tool"]["driver"]["rules"]}
    assert texts == {rule: _RULE_TEXT[rule] for rule in RULE_IDS}
    assert texts["phone-number"] == "A phone number valid for its country was sent"
    assert not [text for text in texts.values() if text.startswith("Finding of the")]


def test_a_plugin_detector_gets_a_generic_text() -> None:
    ledger = GateLedger(mode="fail")
    finding = Finding("acme-token", "pattern", "high", "event", "extra.k", "acm…[20 chars]")
    ledger.classify("t.py::a", ("t.py", 1), [("", finding, None)], allow=[], phase="call")
    [rule] = sarif_report(GateReport.from_ledger(ledger))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"] == {"text": "Finding of the acme-token detector"}
