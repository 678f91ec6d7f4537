"""Sharded runs merged: the gate's reports of several pytest runs (CI machines, matrix jobs) made
into the one report of the whole suite, for ``pytest-sentry-check merge``.

No pytest and no file here: the CLI reads each shard's JSON report with
:meth:`GateReport.from_json` and hands the reports to :func:`merge_reports`. The baseline and
the fail-on threshold are applied once, to the merged groups; allow entries count as used when
any shard used them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pytest_sentry_check._scan.finding import SEVERITIES

from .baseline import Baseline
from .finding import fails_at
from .report import EXAMPLES, STATES, GateReport, LeakGroup
from .report import _order as report_order  # the report's own order of groups, whatever it becomes

__all__ = ["MergeError", "merge_reports"]

#: the gate modes, strictest first: the merged report has the strictest of its shards'
_MODES = ("fail", "warn", "off")


class MergeError(Exception):
    """Shard reports that cannot be merged into one verdict."""


def merge_reports(
    reports: Sequence[GateReport], *, baseline: Baseline | None = None, fail_on: str | None = None
) -> GateReport:
    """The report of the whole suite from its shards' reports.

    Args:
        reports: each shard's report (at least one).
        baseline: when given, every group's acceptance by its shard's baseline is dropped and
            this baseline decides (a group is ``baselined`` if it holds the group, else the
            group is open again: :attr:`LeakGroup.open_state`); its entries of tests that ran
            in any shard and leak nothing it accepts are the stale ones. Without it, the shards'
            baseline decisions stand, and an entry is stale when every shard that ran its test
            found it stale.
        fail_on: the fail-on threshold to hold the groups to (the ones a marker held to its own
            threshold keep it); without it, the shards' threshold, which must be the same.

    A group found by several shards (the same test run twice, or what the app sent at import
    time, which every shard sends) counts once, with the places of the shard that found most.
    Allow entries are the suite's own (its ini file and markers), so an allowed group stays
    allowed; an entry is unused only when no shard used it.

    Raises:
        MergeError: no report, or shards that ran with different fail-on thresholds and no
            ``fail_on`` to settle it.
    """
    if not reports:
        raise MergeError("no report to merge")
    thresholds = sorted({r.fail_on for r in reports}, key=SEVERITIES.index)
    if fail_on is None and len(thresholds) > 1:
        raise MergeError(
            f"the shards ran with different fail-on thresholds ({', '.join(thresholds)}): "
            "give the one to hold them all to with --fail-on"
        )
    threshold = fail_on or thresholds[0]
    by_fingerprint: dict[str, list[LeakGroup]] = {}
    for report in reports:
        for group in report.groups:
            by_fingerprint.setdefault(group.fingerprint, []).append(group)
    groups = [_combined(found) for found in by_fingerprint.values()]
    if fail_on is not None:
        shard_threshold = {g.fingerprint: r.fail_on for r in reports for g in r.groups}
        groups = [_held_to(g, fail_on, shard_threshold[g.fingerprint]) for g in groups]
    if baseline is not None:
        groups = [_baselined(g, baseline) for g in groups]
    groups.sort(key=report_order)
    tests_run = sorted({test for r in reports for test in r.tests_run})
    if baseline is not None:
        unused = _stale_entries(baseline, groups, tests_run)
        baseline_path = baseline.path
    else:
        unused = _stale_in_every_shard(reports)
        paths = {r.baseline for r in reports}
        baseline_path = paths.pop() if len(paths) == 1 else ""
    return GateReport(
        mode=min((r.mode for r in reports), key=_MODES.index),
        fail_on=threshold,
        baseline=baseline_path,
        groups=tuple(groups),
        tests_run=tuple(tests_run),
        envelopes_scanned=sum(r.envelopes_scanned for r in reports),
        allow_entries=_allow_entries(reports),
        unused_baseline=tuple(unused),
    )


def _state_rank(state: str) -> int:
    return STATES.index(state) if state in STATES else 0


def _combined(found: Sequence[LeakGroup]) -> LeakGroup:
    """One group from the shards that found it: the most pressing shard's, with every example."""
    if len(found) == 1:
        return found[0]
    first = min(found, key=lambda g: _state_rank(g.state))
    paths = sorted({path for g in found for path in g.examples})
    records = list(dict.fromkeys(record for g in found for record in g.records))
    stored = [g.stored_after_relay for g in found if g.stored_after_relay is not None]
    return replace(
        first,
        places=max(*(g.places for g in found), len(paths)),
        examples=tuple(paths[:EXAMPLES]),
        records=tuple(records[:EXAMPLES]),
        stored_after_relay=any(stored) if stored else None,
    )


def _held_to(group: LeakGroup, fail_on: str, shard_threshold: str) -> LeakGroup:
    """``group`` held to ``fail_on`` instead of its shard's threshold (not a marker's own, not a
    validation problem, not a group of a gate in warn mode: those hold no run threshold)."""
    if not group.fail_on or group.fail_on != shard_threshold:
        return group
    fails = fails_at(group.severity, fail_on)
    open_state = "failed" if fails else "warned"
    state = open_state if group.open else group.state
    return replace(group, fail_on=fail_on, open_state=open_state, state=state, below_threshold=not fails)


def _accepts(baseline: Baseline, group: LeakGroup) -> bool:
    return group.fingerprint in baseline


def _baselined(group: LeakGroup, baseline: Baseline) -> LeakGroup:
    """``group`` judged by ``baseline`` alone (an allowed group stays allowed: allow entries come
    first, as in a run). Whether Relay would remove it becomes unknown when its state changes."""
    if group.state == "allowed":
        return group
    state = "baselined" if _accepts(baseline, group) else group.open_state
    if state == group.state:
        return group
    below = state == "warned" and bool(group.fail_on) and not fails_at(group.severity, group.fail_on)
    # an accepted group's Relay verdict is not asked in a run; a reopened one's is not known here
    return replace(group, state=state, below_threshold=below, stored_after_relay=None)


def _stale_entries(
    baseline: Baseline, groups: Sequence[LeakGroup], tests_run: Sequence[str]
) -> list[dict[str, str]]:
    """Entries of ``baseline`` of tests that ran and that no merged group matches."""
    ran = set(tests_run)
    matched = {g.fingerprint for g in groups if g.state == "baselined"}
    return [
        dict(entry)
        for key, entry in sorted(baseline.entries.items())
        if entry["test"] in ran and key not in matched
    ]


def _stale_in_every_shard(reports: Sequence[GateReport]) -> list[dict[str, str]]:
    """Entries every shard that ran their test found stale."""
    stale: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for report in reports:
        for entry in report.unused_baseline:
            stale.setdefault(tuple(sorted(entry.items())), dict(entry))
    return [
        entry
        for entry in stale.values()
        if all(entry in r.unused_baseline for r in reports if entry.get("test") in r.tests_run)
    ]


def _allow_entries(reports: Sequence[GateReport]) -> tuple[tuple[str, str, bool], ...]:
    """Every declared ``(origin, entry, used)``: used when any shard used it."""
    used: dict[tuple[str, str], bool] = {}
    for report in reports:
        for origin, entry, was_used in report.allow_entries:
            used[origin, entry] = used.get((origin, entry), False) or was_used
    return tuple((origin, entry, flag) for (origin, entry), flag in sorted(used.items()))
