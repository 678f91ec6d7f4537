"""CI renderers of the gate's report, within their hosts' limits: GitHub workflow annotations,
the GitHub step summary (Markdown), and the text of a JUnit test case's ``system-out``.

GitHub shows at most 10 error, 10 warning and 10 notice annotations of a step (50 of a job):
one annotation per leak group, at most :data:`ANNOTATIONS` errors and as many warnings, then one
notice that counts the rest and points to the step summary.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from .report import GateReport, LeakGroup
from .terminal import final_words, group_line

__all__ = ["ANNOTATIONS", "add_junit_system_out", "github_annotations", "junit_text", "step_summary"]

#: GitHub's limit of error (and of warning) annotations shown per step.
ANNOTATIONS = 10


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(command: str, group: LeakGroup) -> str:
    properties = [f"title={_escape_property('sentry-check: ' + group.rule)}"]
    if group.file:
        properties[:0] = [f"file={_escape_property(group.file)}", f"line={max(group.line, 1)}"]
    return f"::{command} {','.join(properties)}::{_escape_data(f'{group.test}: {group_line(group)}')}"


def github_annotations(report: GateReport, limit: int = ANNOTATIONS) -> list[str]:
    """``::error`` (fails) and ``::warning`` (warns) workflow commands, one per open group, at
    most ``limit`` of each, most pressing first; then one ``::notice`` counting the groups left
    out (notices have their own limit, so it is shown)."""
    lines, rest = [], []
    for command, state in (("error", "failed"), ("warning", "warned")):
        groups = [g for g in report.groups if g.state == state]
        lines += [_annotation(command, g) for g in groups[:limit]]
        rest += groups[limit:]
    if rest:
        failing = sum(g.blocking for g in rest)
        text = (
            f"{len(rest)} more leak groups not annotated ({failing} failing, {len(rest) - failing} "
            f"warning; {sum(g.places for g in rest)} findings): see the step summary or the JSON report"
        )
        lines.append(f"::notice title={_escape_property('sentry-check: more leaks')}::{_escape_data(text)}")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def step_summary(report: GateReport, rows: int = 50) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the verdict, then one table row per open group
    (most pressing first, at most ``rows``) and a line counting the accepted ones."""
    counts = report.counts()
    verdict = (
        final_words(report)
        or {
            "warned": "gate passed with warnings",
            "passed": "gate passed",
            "off": "gate off",
            "failed": "",
        }[report.verdict]
    )
    lines = [
        "### sentry-check: leak gate",
        "",
        f"**{verdict[0].upper()}{verdict[1:]}**: {counts['groups']} leak groups "
        f"({counts['failed']} failed, {counts['warned']} warned, {counts['allowed']} allowed, "
        f"{counts['baselined']} baselined) from {counts['envelopes_scanned']} envelopes of "
        f"{counts['tests_scanned']} tests.",
        "",
    ]
    open_groups = report.open_groups
    if open_groups:
        lines += [
            "| state | severity | rule | test | where | places | value | Relay removes it |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        relay = {True: "no", False: "yes", None: "unknown"}
        for g in open_groups[:rows]:
            lines.append(
                f"| {g.state} | {g.severity} | `{_cell(g.rule)}` | `{_cell(g.test)}` | "
                f"`{_cell(g.where)}` | {g.places} | `{_cell(g.preview)}` | {relay[g.stored_after_relay]} |"
            )
        if len(open_groups) > rows:
            lines.append(f"\n... and {len(open_groups) - rows} more leak groups (see the JSON report).")
    accepted = len(report.groups) - len(open_groups)
    if accepted:
        lines.append(f"\n{accepted} accepted leak groups (allowed or baselined) are not listed.")
    return "\n".join(lines) + "\n"


def junit_text(groups: Iterable[LeakGroup]) -> str:
    """The lines a test case's ``system-out`` gets: one per group, with its state."""
    return "".join(f"sentry-check {g.state}: {group_line(g)}\n" for g in groups)


#: what precedes a test case's system-out in the xunit2 schema
_BEFORE_SYSTEM_OUT = ("properties", "skipped", "error", "failure")


def add_junit_system_out(path: str, report: GateReport, address: Callable[[str], tuple[str, str]]) -> None:
    """Add each test's groups to its test case's ``system-out`` in the JUnit XML at ``path``
    (valid for xunit2, whose test cases have no properties). ``address`` gives a node id's
    ``classname`` and ``name`` as pytest writes them. Groups of no test case (sent before the
    first test) are left to the other outputs."""
    tree = ET.parse(path)
    cases = {(case.get("classname", ""), case.get("name", "")): case for case in tree.iter("testcase")}
    by_test: dict[str, list[LeakGroup]] = {}
    for group in report.groups:
        by_test.setdefault(group.test, []).append(group)
    for test, groups in by_test.items():
        case = cases.get(address(test))
        if case is None:
            continue
        children = list(case)
        position = sum(1 for child in children if child.tag in _BEFORE_SYSTEM_OUT)
        out = ET.Element("system-out")
        out.text = junit_text(groups)
        case.insert(position, out)
    tree.write(path, encoding="utf-8", xml_declaration=True)
