"""The HTML report's part of a pytest run: what each test sent, kept masked and bounded while the
run goes on (xdist workers hand theirs to the controller), then the page written at the end, and
the ``pytest-html`` extras of each test.

``plugin.py`` and the gate's steps call these; the page itself is ``_gate/page.py``'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_check._gate.finding import GateFinding
    from pytest_sentry_check._gate.ledger import GateLedger
    from pytest_sentry_check._gate.report import GateReport

__all__ = ["SentPayloads", "html_extras", "write_html"]

#: How many items of one test the page shows, and about how many bytes of items the run keeps;
#: past that, only items with findings are kept (the rest are counted).
ITEMS_PER_TEST = 60
KEPT_BYTES = 40 * 1024 * 1024


class SentPayloads:
    """What each test sent, as the page shows it (masked, cut): JSON values only."""

    def __init__(self) -> None:
        self.tests: dict[str, list[dict[str, Any]]] = {}
        #: per test: items not kept (over the test's or the run's budget)
        self.left_out: dict[str, int] = {}
        self.size = 0

    def add(self, test: str, envelopes: Sequence[Any], secrets: Iterable[str], phase: str) -> None:
        """Keep ``envelopes`` (``ReceivedEnvelope``) of ``test``, read in ``phase``."""
        from pytest_sentry_check._gate.shown import shown_envelopes

        for entry in shown_envelopes(envelopes, tuple(secrets)):
            entry["phase"] = phase
            self._keep(test, entry)

    def _keep(self, test: str, entry: dict[str, Any]) -> None:
        kept = self.tests.setdefault(test, [])
        size = len(json.dumps(entry))
        over = len(kept) >= ITEMS_PER_TEST or self.size + size > KEPT_BYTES
        if over and not entry["marks"]:
            self.left_out[test] = self.left_out.get(test, 0) + 1
            return
        kept.append(entry)
        self.size += size

    def to_json(self) -> dict[str, Any]:
        return {"tests": self.tests, "left_out": self.left_out}

    def merge(self, data: Mapping[str, Any]) -> None:
        """Add what an xdist worker kept. What conftest files send at import time, every process
        sends: it is kept once."""
        from pytest_sentry_check._gate.finding import BEFORE_FIRST_TEST

        for test, entries in data.get("tests", {}).items():
            if test == BEFORE_FIRST_TEST and test in self.tests:
                continue
            for entry in entries:
                self._keep(test, entry)
        for test, count in data.get("left_out", {}).items():
            self.left_out[test] = self.left_out.get(test, 0) + int(count)


def write_html(
    path: str, report: GateReport | GateLedger, payloads: SentPayloads | None, rootpath: Path
) -> str:
    """Write the page of ``report`` (a ledger: its report) and what each test sent to ``path``
    (folders made); the terminal's note. ``payloads`` is None when nothing was kept (``merge``
    of JSON reports)."""
    from pytest_sentry_check._gate.page import report_page, write_page
    from pytest_sentry_check._gate.report import GateReport

    if not isinstance(report, GateReport):
        report = GateReport.from_ledger(report)
    page = report_page(
        report,
        f"sentry-check: {rootpath.name}",
        payloads.tests if payloads is not None else None,
        payloads.left_out if payloads is not None else None,
    )
    return write_page(path, page)


def html_extras(findings: Sequence[GateFinding], test: str) -> list[Any]:
    """``pytest-html`` extras of ``test`` (at its teardown): its findings, the last of the run's
    ``findings``, grouped as the report groups them, masked, as an HTML table."""
    own: list[GateFinding] = []
    for finding in reversed(findings):
        if finding.test != test:
            break
        own.append(finding)
    if not own:
        return []
    from pytest_html import extras  # type: ignore[import-untyped]

    from pytest_sentry_check._gate.html import render_extra
    from pytest_sentry_check._gate.report import group_findings

    return [extras.html(render_extra(group_findings(reversed(own))))]
