"""The terminal's renderer of the gate's report: the summary section's lines, and the words the
run's last line gets when the gate fails it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from pytest_sentry_check._scan.finding import SEVERITIES
from pytest_sentry_check._scan.groups import group_line

from .report import GateReport, LeakGroup

__all__ = ["NOTHING_FOUND", "below_threshold_lines", "final_words", "found", "group_line", "summary_lines"]

NOTHING_FOUND = "no secret or personal data found"
#: How many late and allowed groups the summary lists one by one.
LISTED = 5


def final_words(report: GateReport) -> str:
    """What the run's last line adds when the gate fails it: ``gate failed: 3 leak groups``."""
    blocking = len(report.blocking)
    return f"gate failed: {_plural(blocking, 'leak group')}" if blocking else ""


def found(report: GateReport, *, in_tests: bool = True) -> str:
    """``92 findings in 1 test, 17 leak groups (17 failed)`` (without ``in_tests``: ``92
    findings, 17 leak groups (...)``); the groups counted by state."""
    counts = report.counts()
    if not report.groups:
        return NOTHING_FOUND
    states = ", ".join(f"{counts[s]} {s}" for s in ("failed", "warned", "allowed", "baselined") if counts[s])
    tests = f" in {_plural(counts['tests_with_findings'], 'test')}" if in_tests else ""
    groups = _plural(counts["groups"], "leak group")
    return f"{_plural(counts['findings'], 'finding')}{tests}, {groups} ({states})"


def summary_lines(report: GateReport, top: int = 5) -> list[str]:
    """The summary: totals, per rule, per test and top paths of what is open, late leaks with the
    test that started their sender, accepted groups with why, and stale entries."""
    counts = report.counts()
    envelopes, tests = counts["envelopes_scanned"], counts["tests_scanned"]
    scanned = f"{_plural(envelopes, 'envelope')} from {_plural(tests, 'test')}"
    if not report.groups:
        lines = [f"{scanned} scanned: {NOTHING_FOUND}."]
    else:
        lines = [f"{scanned} scanned: {found(report)}"]
        lines += below_threshold_lines(report, top)
    open_groups = report.open_groups
    if open_groups:
        lines.append("by rule:  " + _top(_places(open_groups, lambda g: g.rule), top))
        lines.append("by test:  " + _top(_places(open_groups, lambda g: g.test), top))
        paths = _places(open_groups, lambda g: f"{g.item_type}:{g.pattern}")
        lines.append("top paths:")
        lines.extend(f"  {path} ({count})" for path, count in paths.most_common(top))
    known = [g for g in open_groups if g.stored_after_relay is not None and g.kind != "validation"]
    if known:
        stored = sum(g.places for g in known if g.stored_after_relay)
        lines.append(
            f"after Relay's default scrubbing, Sentry would still store {stored} of "
            f"{sum(g.places for g in known)} (the others are removed at ingestion, but they left the process)"
        )
    lines += _late_lines([g for g in open_groups if g.phase == "late"])
    lines += _orphan_lines([g for g in open_groups if g.phase == "collection"])
    lines += _accepted_lines([g for g in report.groups if g.state == "allowed"])
    for origin, entry in report.unused_allow:
        where = (
            "ini sentry_allow"
            if origin == "ini"
            else origin
            if origin == "command line"
            else f"marker on {origin}"
        )
        lines.append(f"unused allow entry {entry!r} ({where}): it matched nothing; remove it")
    stale = report.unused_baseline
    if stale:
        lines.append(
            f"{_plural(len(stale), 'baseline entry', 'baseline entries')} no longer found "
            "(fixed?): run with --sentry-baseline-update to drop them"
        )
    return lines


def _late_lines(late: list[LeakGroup]) -> list[str]:
    """A leak that arrived after its test ended: no test failed for it, so say which test
    started its sender, which event, and the masked value."""
    if not late:
        return []
    lines = [f"sent after their test ended ({_plural(len(late), 'leak group')}):"]
    for group in late[:LISTED]:
        verb = "fails the run" if group.blocking else "warns"
        lines.append(f"  {group.test}: {group_line(group)}")
        lines.append(
            f"    it arrived after the test ended, from a thread or task the test started (or sent just "
            f"after it ended); it {verb}"
        )
    if len(late) > LISTED:
        lines.append(f"  ... and {len(late) - LISTED} more")
    return lines


def _orphan_lines(orphans: list[LeakGroup]) -> list[str]:
    """A leak sent before the first test (an import, a ``conftest.py``): no test failed for it,
    so say which event and the masked value, and where it was attributed."""
    if not orphans:
        return []
    lines = [f"leaked outside any test ({_plural(len(orphans), 'leak group')}):"]
    for group in orphans[:LISTED]:
        verb = "fails the run" if group.blocking else "warns"
        lines.append(f"  {group.test}: {group_line(group)}")
        lines.append(f"    an import or a conftest.py sent it before the first test; it {verb}")
    if len(orphans) > LISTED:
        lines.append(f"  ... and {len(orphans) - LISTED} more")
    return lines


def _accepted_lines(allowed: list[LeakGroup]) -> list[str]:
    """Each allowed group: what, where, and which entry allows it (declared where)."""
    if not allowed:
        return []
    lines = [f"allowed ({_plural(len(allowed), 'leak group')}):"]
    for group in allowed[:LISTED]:
        origin = group.allow_origin
        where = (
            "ini sentry_allow"
            if origin == "ini"
            else origin
            if origin in ("command line", "")
            else f"the marker on {origin}"
        )
        lines.append(f"  {group.test}: {group_line(group)}")
        reason = f": {group.allow_reason}" if group.allow_reason else ""
        lines.append(f"    allowed by {group.allowed_by!r} ({where}){reason}")
    if len(allowed) > LISTED:
        lines.append(f"  ... and {len(allowed) - LISTED} more")
    return lines


def below_threshold_lines(report: GateReport, top: int = 5, option: str = "--sentry-fail-on") -> list[str]:
    """Per threshold: how many findings only warned for being under it, and what fails them."""
    by_threshold: dict[str, list[LeakGroup]] = {}
    for g in report.groups:
        if g.below_threshold:
            by_threshold.setdefault(g.fail_on, []).append(g)
    lines = []
    for threshold, below in sorted(by_threshold.items(), key=lambda pair: pair[0] != report.fail_on):
        rules = _top(_places(below, lambda g: g.rule), top)
        lowest = max((g.severity for g in below), key=SEVERITIES.index)
        count = sum(g.places for g in below)
        one = count == 1
        if threshold == report.fail_on:
            whose, how = "", f"{option}={lowest}"
        else:  # a sentry_check marker set their tests' threshold
            whose = " of its test's marker" if one else " of their tests' markers"
            how = f'sentry_check(fail_on="{lowest}")'
        lines.append(
            f"{_plural(count, 'finding')} below the fail-on threshold ({threshold}){whose} "
            f"warned instead of failing: {rules}; {how} makes {'it' if one else 'them'} fail"
        )
    return lines


def _places(groups: Iterable[LeakGroup], key: Callable[[LeakGroup], str]) -> Counter[str]:
    """Places (findings) counted by ``key`` of their group."""
    counter: Counter[str] = Counter()
    for group in groups:
        counter[key(group)] += group.places
    return counter


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _top(counter: Counter[str], n: int) -> str:
    shown = ", ".join(f"{key} {count}" for key, count in counter.most_common(n))
    more = len(counter) - n
    return shown + (f", ... {more} more" if more > 0 else "")
