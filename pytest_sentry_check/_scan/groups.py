"""Findings grouped by rule and path pattern, and the line that shows a group.

The same leak at 17 frames of one stack is one group of 17 places: its path pattern has the
list indexes as ``*``. Every message and report shows groups, with this module's line:
``assert_scrubbed``'s message here, and the gate's report (``_gate/report.py``, which groups by
test too) in the terminal, a failing test's message, annotations and JUnit. It is at the
scanner's stage so that both use it (the scanner imports nothing from the gate).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .finding import SEVERITIES, Finding, finding_line

__all__ = [
    "EXAMPLES",
    "FindingGroup",
    "ShownGroup",
    "bucket_by_pattern",
    "counted",
    "finding_groups",
    "generic_path",
    "group_line",
    "group_lines",
    "where_of",
]

#: A group's key: test (empty outside a run), item type, rule, path pattern.
GroupKey = tuple[str, str, str, str]
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")
#: How many exact paths a group keeps as examples.
EXAMPLES = 5
T = TypeVar("T")


def generic_path(path: str) -> str:
    """``exception.values.0.stacktrace.frames.3.vars`` -> ``exception.values.*.stacktrace.frames.*.vars``."""
    return _INDEX.sub("*", path)


def bucket_by_pattern(
    entries: Iterable[T], finding: Callable[[T], Finding], test: Callable[[T], str] = lambda _: ""
) -> dict[GroupKey, list[T]]:
    """``entries`` by (test, item type, rule, path pattern) of their finding, in first-seen
    order: the one grouping of findings (the gate's report groups its findings with it)."""
    buckets: dict[GroupKey, list[T]] = {}
    for entry in entries:
        f = finding(entry)
        buckets.setdefault((test(entry), f.item_type, f.rule, generic_path(f.path)), []).append(entry)
    return buckets


class ShownGroup(Protocol):
    """What :func:`group_line` shows of a group (a :class:`FindingGroup` or the gate's ``LeakGroup``)."""

    @property
    def severity(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def item_type(self) -> str: ...
    @property
    def pattern(self) -> str: ...
    @property
    def places(self) -> int: ...
    @property
    def examples(self) -> tuple[str, ...]: ...
    @property
    def preview(self) -> str: ...
    @property
    def records(self) -> tuple[str, ...]: ...


def where_of(group: ShownGroup) -> str:
    """``item_type:path``: the exact path of a one-place group, else the pattern."""
    path = group.examples[0] if group.places == 1 and group.examples else group.pattern
    return f"{group.item_type}:{path or '<root>'}"


def group_line(group: ShownGroup) -> str:
    """``[high] field (password) at event:... (17 places): hun…[12 chars] in event 1a2b3c4d``."""
    record = group.records[0] if group.records else ""
    return finding_line(
        group.severity,
        group.rule,
        group.detail,
        where_of(group),
        group.preview,
        places=group.places,
        record=record,
    )


def group_lines(groups: Sequence[ShownGroup], limit: int) -> list[str]:
    """A message's lines: one per group (indented), the first ``limit``, then how many more."""
    lines = [f"  {group_line(group)}" for group in groups[:limit]]
    rest = groups[limit:]
    if rest:
        findings = sum(g.places for g in rest)
        lines.append(f"  ... and {_plural(len(rest), 'more leak group')} ({_plural(findings, 'finding')})")
    return lines


def counted(groups: Sequence[ShownGroup], noun: str = "finding") -> str:
    """``92 findings, 17 leak groups``: places and groups, as the gate's summary counts them."""
    return f"{_plural(sum(g.places for g in groups), noun)}, {_plural(len(groups), 'leak group')}"


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings of one rule at one path pattern of one item type (``scan``'s, outside a run).

    Attributes:
        rule, kind, severity, item_type, detail: the scanner's (``detail``: of the first place).
        pattern: where in the item, list indexes as ``*``.
        places: how many findings it holds.
        examples: up to :data:`EXAMPLES` exact paths, sorted.
        preview: the first place's value, masked.
        findings: every place.
    """

    rule: str
    kind: str
    severity: str
    item_type: str
    pattern: str
    places: int
    examples: tuple[str, ...]
    preview: str
    detail: str
    findings: tuple[Finding, ...]
    records: tuple[str, ...] = ()


def finding_groups(findings: Iterable[Finding]) -> list[FindingGroup]:
    """``findings`` grouped by item type, rule and path pattern: the most severe first, then
    the most places, then by place."""
    groups = []
    for (_, item_type, rule, pattern), members in bucket_by_pattern(findings, lambda f: f).items():
        first = members[0]
        groups.append(
            FindingGroup(
                rule=rule,
                kind=first.kind,
                severity=first.severity,
                item_type=item_type,
                pattern=pattern,
                places=len(members),
                examples=tuple(sorted({f.path for f in members})[:EXAMPLES]),
                preview=first.preview,
                detail=first.detail,
                findings=tuple(members),
            )
        )
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    groups.sort(key=lambda g: (rank.get(g.severity, -1), -g.places, f"{g.item_type}:{g.pattern}", g.rule))
    return groups


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
