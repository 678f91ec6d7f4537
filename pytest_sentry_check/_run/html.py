"""The HTML report's part of a pytest run: what each test sent, kept masked and bounded while the
run goes on (xdist workers hand theirs to the controller), then the page written at the end, and
the ``pytest-html`` extras of each test.

``plugin.py`` and the gate's steps call these; the page itself is ``_gate/html.py``'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_sentry_check._gate.finding import GateFinding
    from pytest_sentry_check._gate.ledger import GateLedger

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


def _finding(f: GateFinding) -> dict[str, Any]:
    """The adapter from the ledger's findings to the page's (a finding, its group and state)."""
    from pytest_sentry_check._gate.finding import generic_path

    return {
        "test": f.test,
        "rule": f.finding.rule,
        "kind": f.finding.kind,
        "severity": f.finding.severity,
        "item_type": f.finding.item_type,
        "path": f.finding.path,
        "pattern": generic_path(f.finding.path),
        "preview": f.finding.preview,
        "detail": f.finding.detail,
        "record": f.record,
        "status": f.status,
        "allowed_by": f.allowed_by,
        "phase": f.phase,
        "stored": f.stored,
    }


def _verdict(ledger: GateLedger) -> dict[str, Any]:
    counts = ledger.counts()
    blocking = counts["failed"]
    if ledger.mode == "off":
        state, headline = "off", "Leak gate off: nothing was judged"
    elif blocking:
        state = "failed"
        headline = f"Gate failed: {blocking} finding{'s' if blocking != 1 else ''} fail the run"
    elif counts["warned"]:
        state = "warned"
        warned = counts["warned"]
        headline = f"Gate passed with warnings: {warned} finding{'s' if warned != 1 else ''} warned"
    else:
        state = "passed"
        headline = "Gate passed"
    return {"state": state, "headline": headline, "lines": ledger.summary_lines(), "counts": counts}


def write_html(path: str, ledger: GateLedger, payloads: SentPayloads | None, rootpath: Path) -> str:
    """Write the page to ``path`` (folders made); the terminal's note."""
    from pytest_sentry_check._gate.html import render_html

    sent = payloads.tests if payloads is not None else {}
    left_out = payloads.left_out if payloads is not None else {}
    by_test: dict[str, list[dict[str, Any]]] = {}
    for f in ledger.findings:
        by_test.setdefault(f.test, []).append(_finding(f))
    tests = [
        {
            "id": name,
            "items": sent.get(name, []),
            "left_out": left_out.get(name, 0),
            "findings": by_test.get(name, []),
        }
        for name in sorted(set(sent) | set(by_test))
    ]
    page = render_html(
        {"title": f"sentry-check: {rootpath.name}", "verdict": _verdict(ledger), "tests": tests}
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    shown = os.path.relpath(target, Path.cwd()) if target.is_absolute() else path
    return f"HTML report written to {shown}"


def html_extras(findings: Sequence[GateFinding], test: str) -> list[Any]:
    """``pytest-html`` extras of ``test`` (at its teardown): its findings, the last of the run's
    ``findings``, masked, as an HTML table."""
    own: list[GateFinding] = []
    for finding in reversed(findings):
        if finding.test != test:
            break
        own.append(finding)
    if not own:
        return []
    from pytest_html import extras  # type: ignore[import-untyped]

    from pytest_sentry_check._gate.html import render_extra

    return [extras.html(render_extra([_finding(f) for f in reversed(own)]))]
