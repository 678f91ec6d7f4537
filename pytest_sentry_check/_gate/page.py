"""The HTML report's page of a :class:`~.report.GateReport`: the verdict at the top, each
group's places as the page's findings, beside what each test sent (when a run kept it).

Factored out of the run's steps so that ``pytest-sentry-check merge`` (which has reports, not
payloads) writes the same page as ``--sentry-html``; the markup is ``html.py``'s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .html import render_html
from .report import GateReport, LeakGroup
from .terminal import summary_lines

__all__ = ["report_page", "write_page"]


def _places(group: LeakGroup) -> list[dict[str, Any]]:
    """The page's findings of one group of the report: one per place (each is highlighted in its
    item), or one per example path for a group read back from JSON (``merge``)."""
    common = {
        "test": group.test,
        "group": group.fingerprint,
        "rule": group.rule,
        "kind": group.kind,
        "severity": group.severity,
        "item_type": group.item_type,
        "pattern": group.pattern,
        "places": group.places,
        "detail": group.detail,
        "allowed_by": group.allowed_by,
    }
    if not group.findings:
        return [
            {**common, "path": path, "preview": group.preview, "record": "", "status": group.state,
             "phase": group.phase, "stored": group.stored_after_relay}
            for path in group.examples
        ]  # fmt: skip
    return [
        {**common, "path": f.finding.path, "preview": f.finding.preview, "record": f.record,
         "status": f.status, "phase": f.phase, "stored": f.stored}
        for f in group.findings
    ]  # fmt: skip


def _verdict(report: GateReport) -> dict[str, Any]:
    state = report.verdict
    if state == "off":
        headline = "Leak gate off: nothing was judged"
    elif state == "failed":
        headline = f"Gate failed: {_plural(len(report.blocking), 'leak group')} fail the run"
    elif state == "warned":
        headline = f"Gate passed with warnings: {_plural(len(report.open_groups), 'leak group')} warned"
    else:
        headline = "Gate passed"
    return {"state": state, "headline": headline, "lines": summary_lines(report)}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def report_page(
    report: GateReport,
    title: str,
    sent: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    left_out: Mapping[str, int] | None = None,
) -> str:
    """The page of ``report``; ``sent`` holds each test's items as ``shown.py`` copies them
    (none for a report read back from JSON), ``left_out`` how many items of a test were not kept."""
    sent, left_out = sent or {}, left_out or {}
    by_test: dict[str, list[dict[str, Any]]] = {}
    for group in report.groups:
        by_test.setdefault(group.test, []).extend(_places(group))
    tests = [
        {
            "id": name,
            "items": list(sent.get(name, [])),
            "left_out": left_out.get(name, 0),
            "findings": by_test.get(name, []),
        }
        for name in sorted(set(sent) | set(by_test))
    ]
    return render_html({"title": title, "verdict": _verdict(report), "tests": tests})


def write_page(path: str | os.PathLike[str], page: str) -> str:
    """Write ``page`` to ``path`` (folders made); the note the terminal prints."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    shown = os.path.relpath(target, Path.cwd()) if target.is_absolute() else os.fspath(path)
    return f"HTML report written to {shown}"
