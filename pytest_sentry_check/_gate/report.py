"""The gate's report: one value, built once at the end of a run, that every output renders.

A finding is grouped by (test, item type, rule, path pattern): the same leak at 17 frames of
one stack is one :class:`LeakGroup` with 17 places. The group is the unit of every output
(terminal summary, JSON, SARIF, JUnit, GitHub annotations, step summary, HTML) and of the
baseline; its fingerprint holds no file name, value, event id or list index, so it survives a
refactor that shifts stack frames. A :class:`GateReport` is built from a run's ledger
(:meth:`GateReport.from_ledger`) or read back from a JSON report (:meth:`GateReport.from_json`,
for ``pytest-sentry-check merge``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_sentry_check._scan.finding import SEVERITIES
from pytest_sentry_check._scan.groups import EXAMPLES, bucket_by_pattern, where_of

from .finding import BEFORE_FIRST_TEST, GateFinding, fingerprint
from .fixes import suggested_fix
from .ledger import GateLedger

__all__ = ["EXAMPLES", "STATES", "GateReport", "LeakGroup", "group_findings"]

#: A group's states, the most pressing first: a group whose places differ takes the first.
STATES = ("failed", "warned", "baselined", "allowed")


@dataclass(frozen=True, slots=True)
class LeakGroup:
    """One leak as every output shows it: one rule at one path pattern in one test's items.

    Attributes:
        fingerprint: 24 hex digits of test, item type, rule and pattern (the baseline's key,
            SARIF's ``partialFingerprints``); never a file name, value, event id or list index.
        test: the node id of the test whose capture got it. For a ``late`` leak, the test that
            started the sending thread or task (or that sent before it ended);
            ``<before the first test>`` for what conftest files or imports sent; for ``scan``,
            the envelope file.
        file, line: the test's file (relative to the rootdir, ``/``-separated) and its line
            (1-based; 0 when unknown).
        rule, kind, severity, item_type, detail: the scanner's (``detail``: of the first place).
        pattern: where in the item, list indexes as ``*``
            (``exception.values.*.stacktrace.frames.*.vars.password``).
        places: how many findings (exact paths in records) the group holds.
        examples: up to :data:`EXAMPLES` exact paths, sorted (paths hold masked keys only).
        preview: the first place's value, masked (``ana…[22 chars]``).
        records: up to :data:`EXAMPLES` records it is in: item type, short event id, exception
            type, transaction (``event b6234e45, LookupError, transaction '/orders'``).
        state: ``failed`` (fails the run), ``warned``, ``baselined`` or ``allowed``; the first
            of :data:`STATES` among its places.
        open_state: the state it has when nothing accepts it (``failed`` or ``warned``): what
            ``merge`` gives a group its baseline or allow entries no longer accept.
        allowed_by: the allow entry that matched (state ``allowed``).
        allow_origin: where that entry was declared: ``ini``, the node id of a marker, or
            ``command line``.
        allow_reason: why it is intended, as the marker says (``allow={"email": "why"}``).
        phase: when it was scanned: ``call``, ``teardown``, ``late`` (after its test ended),
            ``collection`` (before the first test) or ``stored`` (``scan``).
        fail_on: the fail-on threshold it was held to (empty: none, gate warn or validation).
        below_threshold: it warns only because its severity is under ``fail_on``.
        stored_after_relay: whether Sentry would still store it after Relay's default
            scrubbing: ``True`` if any place would be, ``False`` if Relay removes every place,
            ``None`` when unknown (no ``sentry-relay``, not an event, or accepted).
        findings: every place as a :class:`GateFinding` (empty when read from JSON): the HTML
            page highlights each in its item.
    """

    fingerprint: str
    test: str
    file: str
    line: int
    rule: str
    kind: str
    severity: str
    item_type: str
    pattern: str
    places: int
    examples: tuple[str, ...]
    preview: str
    detail: str
    records: tuple[str, ...]
    state: str
    open_state: str
    allowed_by: str = ""
    allow_origin: str = ""
    phase: str = "call"
    fail_on: str = ""
    below_threshold: bool = False
    stored_after_relay: bool | None = None
    allow_reason: str = ""
    findings: tuple[GateFinding, ...] = field(default=(), compare=False, repr=False)

    @property
    def blocking(self) -> bool:
        """Whether it fails the run."""
        return self.state == "failed"

    @property
    def open(self) -> bool:
        """Whether it is reported as a problem (fails or warns), not accepted."""
        return self.state in ("failed", "warned")

    @property
    def where(self) -> str:
        """``item_type:path``: the exact path of a one-place group, else the pattern."""
        return where_of(self)

    @property
    def fix(self) -> dict[str, str] | None:
        """How to stop it (SDK change, Relay rule); ``None`` for validation problems."""
        if self.kind == "validation":
            return None
        from pytest_sentry_check._scan.finding import Finding

        path = self.examples[0] if self.examples else self.pattern
        return suggested_fix(Finding(self.rule, self.kind, self.severity, self.item_type, path, ""))

    def to_json(self) -> dict[str, Any]:
        """The JSON report's group (``$defs/group`` of ``report.schema.json``)."""
        return {
            "fingerprint": self.fingerprint,
            "test": self.test,
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "item_type": self.item_type,
            "pattern": self.pattern,
            "places": self.places,
            "examples": list(self.examples),
            "preview": self.preview,
            "detail": self.detail,
            "records": list(self.records),
            "state": self.state,
            "open_state": self.open_state,
            "fails": self.blocking,
            "allowed_by": self.allowed_by,
            "allow_origin": self.allow_origin,
            "allow_reason": self.allow_reason,
            "phase": self.phase,
            "fail_on": self.fail_on or None,
            "below_threshold": self.below_threshold,
            "stored_after_relay": self.stored_after_relay,
            "fix": self.fix,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LeakGroup:
        return cls(
            data["fingerprint"], data["test"], data["file"], int(data["line"]), data["rule"],
            data["kind"], data["severity"], data["item_type"], data["pattern"], int(data["places"]),
            tuple(data["examples"]), data["preview"], data.get("detail", ""),
            tuple(data.get("records", ())), data["state"], data.get("open_state") or data["state"],
            data.get("allowed_by", ""), data.get("allow_origin", ""), data.get("phase", "call"),
            data.get("fail_on") or "", bool(data.get("below_threshold")), data.get("stored_after_relay"),
            data.get("allow_reason", ""),
        )  # fmt: skip


def _stored(findings: Sequence[GateFinding]) -> bool | None:
    known = [f.stored for f in findings if f.stored is not None]
    if not known:
        return None
    return any(known)


def group_findings(findings: Iterable[GateFinding], examples: int = EXAMPLES) -> list[LeakGroup]:
    """Findings grouped by (test, item type, rule, path pattern), most pressing first: failed
    before warned before accepted, then by severity, most places first, then test and place
    (so what a host shows of the first few, such as GitHub's 10 annotations, is the worst)."""
    groups = []
    buckets = bucket_by_pattern(findings, lambda f: f.finding, lambda f: f.test)
    for (test, item_type, rule, pattern), members in buckets.items():
        first = min(members, key=lambda f: STATES.index(f.status) if f.status in STATES else 0)
        paths = sorted({f.finding.path for f in members})
        records = list(dict.fromkeys(f.record for f in members if f.record))
        groups.append(
            LeakGroup(
                fingerprint=fingerprint(test, item_type, rule, pattern),
                test=test,
                file=first.file.replace("\\", "/"),
                line=first.line,
                rule=rule,
                kind=first.finding.kind,
                severity=first.finding.severity,
                item_type=item_type,
                pattern=pattern,
                places=len(members),
                examples=tuple(paths[:examples]),
                preview=members[0].finding.preview,
                detail=members[0].finding.detail,
                records=tuple(records[:examples]),
                state=first.status,
                open_state=first.open_status or first.status,
                allowed_by=first.allowed_by,
                allow_origin=first.allow_origin,
                phase=first.phase,
                fail_on=first.fail_on,
                below_threshold=first.below_threshold,
                stored_after_relay=_stored(members),
                allow_reason=first.allow_reason,
                findings=tuple(members),
            )
        )
    groups.sort(key=_order)
    return groups


def _order(group: LeakGroup) -> tuple[int, int, int, str, str, str]:
    state = STATES.index(group.state) if group.state in STATES else 0
    severity = SEVERITIES.index(group.severity) if group.severity in SEVERITIES else -1
    return (state, severity, -group.places, group.test, group.item_type + ":" + group.pattern, group.rule)


@dataclass(frozen=True, slots=True)
class GateReport:
    """What the leak gate found in a run, grouped: the one model every output renders.

    Attributes:
        mode: the run's gate mode, ``fail``, ``warn`` or ``off``.
        fail_on: the run's fail-on threshold (a marker may hold a test to its own: see each
            group's ``fail_on``).
        baseline: the baseline file read (empty: none).
        groups: every group, most pressing first (see :func:`group_findings`).
        tests_run: the node ids of the tests that ran with the gate (stale baseline entries
            are those of these tests; ``merge`` unites the shards').
        envelopes_scanned: how many envelopes were scanned.
        allow_entries: ``(origin, entry, used)`` for every allow entry declared: ``origin`` is
            ``ini``, a marker's node id or ``command line``.
        unused_baseline: baseline entries of tests that ran and no longer leak what they
            accepted (``test``, ``item_type``, ``rule``, ``pattern``).
        notes: what the run wrote (``baseline written to ...``), for the terminal.
    """

    mode: str
    fail_on: str
    baseline: str
    groups: tuple[LeakGroup, ...]
    tests_run: tuple[str, ...] = ()
    envelopes_scanned: int = 0
    allow_entries: tuple[tuple[str, str, bool], ...] = ()
    unused_baseline: tuple[dict[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def from_ledger(cls, ledger: GateLedger, notes: Sequence[str] = ()) -> GateReport:
        """The report of a run (or of ``scan``) from its ledger."""
        return cls(
            mode=ledger.mode,
            fail_on=ledger.fail_on,
            baseline=ledger.baseline.path,
            groups=tuple(group_findings(ledger.findings)),
            tests_run=tuple(sorted(ledger.tests_run)),
            envelopes_scanned=ledger.envelopes_scanned,
            allow_entries=tuple(
                (origin, entry, (origin, entry) in ledger.used) for origin, entry in sorted(ledger.declared)
            ),
            unused_baseline=tuple(ledger.unused_baseline()),
            notes=tuple(notes),
        )

    def with_notes(self, *notes: str) -> GateReport:
        return replace(self, notes=(*self.notes, *notes))

    # -- what every renderer asks ----------------------------------------------------------

    @property
    def blocking(self) -> tuple[LeakGroup, ...]:
        """The groups that fail the run."""
        return tuple(g for g in self.groups if g.blocking)

    @property
    def open_groups(self) -> tuple[LeakGroup, ...]:
        """The groups that fail or warn."""
        return tuple(g for g in self.groups if g.open)

    @property
    def failed(self) -> bool:
        """Whether the gate fails the run."""
        return any(g.blocking for g in self.groups)

    @property
    def verdict(self) -> str:
        """``off``, ``failed``, ``warned`` or ``passed``."""
        if self.mode == "off" and not self.groups:
            return "off"
        if self.failed:
            return "failed"
        return "warned" if self.open_groups else "passed"

    @property
    def unused_allow(self) -> list[tuple[str, str]]:
        """``(origin, entry)`` of the allow entries that matched nothing."""
        return [(origin, entry) for origin, entry, used in self.allow_entries if not used]

    def counts(self) -> dict[str, int]:
        """Groups by state, findings (places), tests and envelopes: the JSON report's summary."""
        states = Counter(g.state for g in self.groups)
        return {
            "groups": len(self.groups),
            "failed": states["failed"],
            "warned": states["warned"],
            "allowed": states["allowed"],
            "baselined": states["baselined"],
            "below_threshold": sum(g.below_threshold for g in self.groups),
            "findings": sum(g.places for g in self.groups),
            "tests_scanned": len(set(self.tests_run) - {BEFORE_FIRST_TEST}),
            "tests_with_findings": len({g.test for g in self.groups}),
            "envelopes_scanned": self.envelopes_scanned,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateReport:
        """A report read back from its JSON (:func:`reports.json_report`, version 2)."""
        return cls(
            mode=data["gate"],
            fail_on=data.get("fail_on") or "high",
            baseline=data.get("baseline") or "",
            groups=tuple(LeakGroup.from_json(g) for g in data["groups"]),
            tests_run=tuple(data.get("tests_run", ())),
            envelopes_scanned=int(data["summary"].get("envelopes_scanned", 0)),
            allow_entries=tuple(
                (e["origin"], e["entry"], bool(e["used"])) for e in data.get("allow_entries", ())
            ),
            unused_baseline=tuple(dict(e) for e in data.get("unused_baseline", ())),
        )
