"""The CI renderers of the gate's report without pytest: GitHub annotations within GitHub's
limits, the step summary's table, the JUnit system-out text."""

from __future__ import annotations

from pytest_sentry_check._gate.ci import ANNOTATIONS, github_annotations, junit_text, step_summary
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import GateReport
from pytest_sentry_check._scan.finding import Finding


def _report(failing: int, warning: int, allowed: int = 0) -> GateReport:
    ledger = GateLedger(mode="fail", fail_on="high")
    for n in range(failing):
        token = Finding(
            "jwt", "pattern", "high", "event", f"extra.k{n:02}", "eyJ…[70 chars]", "JSON Web Token"
        )
        ledger.classify(
            f"t.py::test_{n:02}", ("t.py", n + 1), [("event 1a2b3c4d", token, None)], allow=[], phase="call"
        )
    for n in range(warning):
        ip = Finding("ip-address", "pattern", "low", "event", f"extra.ip{n}", "203…[12 chars]", "IPv4")
        ledger.classify(f"t.py::test_ip{n}", ("t.py", 90), [("", ip, None)], allow=[], phase="call")
    for n in range(allowed):
        mail = Finding("email", "pattern", "medium", "event", f"user.email{n}", "ana…[22 chars]")
        ledger.classify(
            "t.py::test_mail", ("t.py", 99), [("", mail, None)], allow=[("ini", "email")], phase="call"
        )
    return GateReport.from_ledger(ledger)


def test_one_annotation_per_group_within_githubs_limits() -> None:
    """At most 10 errors and 10 warnings (what GitHub shows of a step), then one notice."""
    lines = github_annotations(_report(failing=13, warning=12))
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert (len(errors), len(warnings), len(lines)) == (ANNOTATIONS, ANNOTATIONS, 2 * ANNOTATIONS + 1)
    assert errors[0] == (
        "::error file=t.py,line=1,title=sentry-check%3A jwt::t.py::test_00: [high] jwt (JSON Web Token) at "
        "event:extra.k00: eyJ…[70 chars] in event 1a2b3c4d"
    )
    assert lines[-1] == (
        "::notice title=sentry-check%3A more leaks::5 more leak groups not annotated (3 failing, 2 warning; "
        "5 findings): see the step summary or the JSON report"
    )


def test_a_few_groups_need_no_notice_and_accepted_ones_no_annotation() -> None:
    lines = github_annotations(_report(failing=2, warning=1, allowed=3))
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::error", "::warning"]


def test_the_step_summary_has_one_row_per_open_group() -> None:
    text = step_summary(_report(failing=3, warning=1, allowed=2))
    lines = text.splitlines()
    assert lines[:3] == [
        "### sentry-check: leak gate",
        "",
        "**Gate failed: 3 leak groups**: 6 leak groups (3 failed, 1 warned, 2 allowed, 0 baselined) from "
        "0 envelopes of 0 tests.",
    ]
    rows = [line for line in lines if line.startswith(("| failed |", "| warned |"))]
    assert rows[0] == (
        "| failed | high | `jwt` | `t.py::test_00` | `event:extra.k00` | 1 | `eyJ…[70 chars]` | unknown |"
    )
    assert len(rows) == 4
    assert lines[-1] == "2 accepted leak groups (allowed or baselined) are not listed."


def test_a_passing_gate_summary_has_no_table() -> None:
    assert step_summary(_report(0, 0)).splitlines()[2].startswith("**Gate passed**: 0 leak groups")


def test_junit_text_has_one_line_per_group_with_its_state() -> None:
    report = _report(failing=1, warning=0, allowed=1)
    assert junit_text(report.groups).splitlines() == [
        "sentry-check failed: [high] jwt (JSON Web Token) at event:extra.k00: eyJ…[70 chars] in event 1a2b3c4d",
        "sentry-check allowed: [medium] email at event:user.email0: ana…[22 chars]",
    ]
