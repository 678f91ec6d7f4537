"""The CI gate's bookkeeping: which findings fail the run, which are allowed or baselined.

No pytest here. The plugin scans each test's envelopes and hands the findings to a
:class:`GateLedger`, which classifies them (allow entries first, then the baseline, then the
fail-on threshold), keeps them (never the payloads), remembers which allow and baseline entries
matched, and merges the ledgers of xdist workers.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_sentry_check._scan.finding import Finding

from .baseline import Baseline
from .finding import (
    BEFORE_FIRST_TEST,
    GateFinding,
    StoredAfterRelay,
    answer,
    fails_at,
    fingerprint,
    generic_path,
)

__all__ = ["GateLedger"]


@dataclass
class GateLedger:
    """Every finding of a run (per test), the allow entries declared and used, the tests scanned.

    Allow entries are keyed by where they were declared: ``("ini", entry)`` for ``sentry_allow``,
    ``(node id, entry)`` for a marker on that node (module, class or function).
    """

    mode: str = "fail"
    #: the run's fail-on threshold: findings of a lower severity warn (a marker may set a test's).
    #: ``low`` (every finding fails) unless told: the pytest run sets its ``sentry_fail_on``.
    fail_on: str = "low"
    baseline: Baseline = field(default_factory=Baseline)
    #: ``--sentry-baseline-update``: what is not allowed is accepted (and written to the baseline).
    updating_baseline: bool = False
    findings: list[GateFinding] = field(default_factory=list)
    declared: set[tuple[str, str]] = field(default_factory=set)
    used: set[tuple[str, str]] = field(default_factory=set)
    used_baseline: set[str] = field(default_factory=set)
    tests_run: set[str] = field(default_factory=set)
    envelopes_scanned: int = 0

    def classify(
        self,
        test: str,
        location: tuple[str, int],
        found: Iterable[tuple[str, Finding, StoredAfterRelay]],
        *,
        allow: Sequence[tuple[str, str]],
        phase: str,
        mode: str | None = None,
        fail_on: str | None = None,
        reasons: Mapping[tuple[str, str], str] | None = None,
    ) -> list[GateFinding]:
        """Record ``found`` (record description, finding, stored after Relay) for ``test``; returns
        them classified.

        ``allow`` holds ``(origin, entry)`` pairs: a rule id or a path glob; ``reasons`` says
        why some are intended (a marker's ``allow={entry: reason}``). Whether a finding
        is stored after Relay may come as a function: it is called only for the findings that
        fail or warn (asking Relay is slow, and allowed findings are accepted anyway).

        In ``fail`` mode a finding whose severity is under ``fail_on`` (default: the ledger's)
        warns instead; the threshold is for leaks only (validation problems have their mode).
        """
        mode = mode or self.mode
        threshold = (fail_on or self.fail_on) if mode == "fail" else ""
        results = []
        seen = self._import_time_fingerprints() if test == BEFORE_FIRST_TEST else None
        for record, finding, stored in found:
            if seen is not None:
                key = fingerprint(test, finding.item_type, finding.rule, finding.path)  # the place
                if key in seen:
                    continue
                seen.add(key)
            held = threshold if finding.kind != "validation" else ""
            fails = mode == "fail" and (not held or fails_at(finding.severity, held))
            open_status = "failed" if fails else "warned"
            status, allowed_by, allow_origin, reason = open_status, "", "", ""
            for origin, entry in allow:
                if entry == finding.rule or fnmatch.fnmatchcase(finding.path, entry):
                    status, allowed_by, allow_origin = "allowed", entry, origin
                    reason = (reasons or {}).get((origin, entry), "")
                    self.used.add((origin, entry))
                    break
            else:  # the baseline holds groups: test, item type, rule and path pattern
                key = fingerprint(test, finding.item_type, finding.rule, generic_path(finding.path))
                if key in self.baseline or self.updating_baseline:
                    status = "baselined"
                    self.used_baseline.add(key)
            kept = answer(stored, status)
            found_here = GateFinding(
                test, *location, finding, status, phase, record, allowed_by, kept, held,
                open_status, allow_origin, reason,
            )  # fmt: skip
            results.append(found_here)
        self.findings.extend(results)
        return results

    @property
    def blocking(self) -> list[GateFinding]:
        return [f for f in self.findings if f.blocking]

    def unused_allow(self) -> list[tuple[str, str]]:
        return sorted(self.declared - self.used)

    def unused_baseline(self) -> list[dict[str, Any]]:
        """Baseline entries of tests that ran and no longer leak what they accepted."""
        return [
            entry
            for key, entry in sorted(self.baseline.entries.items())
            if entry["test"] in self.tests_run and key not in self.used_baseline
        ]

    # -- xdist: workers send their ledger, the controller merges ----------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "declared": sorted(self.declared),
            "used": sorted(self.used),
            "used_baseline": sorted(self.used_baseline),
            "tests_run": sorted(self.tests_run),
            "envelopes_scanned": self.envelopes_scanned,
        }

    def _import_time_fingerprints(self) -> set[str]:
        """What conftest files send at import time, every xdist process sends: such findings
        count once, by fingerprint."""
        return {f.place for f in self.findings if f.test == BEFORE_FIRST_TEST}

    def merge(self, data: Mapping[str, Any]) -> None:
        seen = self._import_time_fingerprints()
        for entry in data.get("findings", []):
            finding = GateFinding.from_json(entry)
            if finding.test == BEFORE_FIRST_TEST:
                if finding.place in seen:
                    continue
                seen.add(finding.place)
            self.findings.append(finding)
        self.declared.update(tuple(pair) for pair in data.get("declared", []))
        self.used.update(tuple(pair) for pair in data.get("used", []))
        self.used_baseline.update(data.get("used_baseline", []))
        self.tests_run.update(data.get("tests_run", []))
        self.envelopes_scanned += int(data.get("envelopes_scanned", 0))
