"""The CI gate's bookkeeping: which findings fail the run, which are allowed or baselined.

No pytest here. The plugin scans each test's envelopes and hands the findings to a
:class:`GateLedger`, which classifies them (allow entries first, then the baseline), keeps
them (never the payloads), remembers which allow and baseline entries matched, and merges
the ledgers of xdist workers.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import importlib.util
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._masking import mask_secrets

if TYPE_CHECKING:
    from .scan import Finding

#: Whether Sentry would store a finding after Relay's scrubbing (``None``: unknown), or a
#: function that tells.
StoredAfterRelay = bool | None | Callable[[], bool | None]

__all__ = [
    "BASELINE_VERSION",
    "BEFORE_FIRST_TEST",
    "GATE_MODES",
    "VALIDATION_RULES",
    "Baseline",
    "BaselineError",
    "GateFinding",
    "GateLedger",
    "describe_item",
    "fingerprint",
    "fix_hints",
    "generic_path",
    "render_findings",
    "scan_envelopes",
    "suggested_fix",
    "validate_envelopes",
]

GATE_MODES = ("fail", "warn", "off")
BASELINE_VERSION = 1
#: The test name of envelopes sent before the first test (imports, collection).
BEFORE_FIRST_TEST = "<before the first test>"
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


@dataclass(frozen=True, slots=True)
class GateFinding:
    """A finding of the gate: what the scanner found, in which test, and what became of it.

    ``status`` is ``failed`` (fails the run), ``warned`` (gate in warn mode), ``allowed``
    (``allowed_by`` names the allow entry) or ``baselined``. ``phase`` says when it was
    scanned: ``call`` (end of the test body), ``teardown`` or ``late`` (after the test ended).
    """

    test: str
    file: str
    line: int
    finding: Finding
    status: str
    phase: str
    record: str = ""
    allowed_by: str = ""
    #: whether Sentry would still store it after Relay's default scrubbing (``None``: unknown,
    #: Relay is not installed or the item is not an event)
    stored: bool | None = None

    @property
    def fingerprint(self) -> str:
        """Stable id of the leak: hash of test, item type, rule and path (no value)."""
        return fingerprint(self.test, self.finding.item_type, self.finding.rule, self.finding.path)

    @property
    def blocking(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "file": self.file,
            "line": self.line,
            "rule": self.finding.rule,
            "kind": self.finding.kind,
            "severity": self.finding.severity,
            "item_type": self.finding.item_type,
            "path": self.finding.path,
            "preview": self.finding.preview,
            "detail": self.finding.detail,
            "record": self.record,
            "status": self.status,
            "allowed_by": self.allowed_by,
            "phase": self.phase,
            "fingerprint": self.fingerprint,
            "stored_after_relay": self.stored,
            "fix": suggested_fix(self.finding) if self.finding.kind != "validation" else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateFinding:
        from .scan import Finding

        finding = Finding(
            data["rule"], data["kind"], data["severity"], data["item_type"], data["path"],
            data["preview"], data.get("detail", ""),
        )  # fmt: skip
        return cls(
            data["test"], data["file"], data["line"], finding, data["status"], data["phase"],
            data.get("record", ""), data.get("allowed_by", ""), data.get("stored_after_relay"),
        )  # fmt: skip

    def __str__(self) -> str:
        record = f" in {self.record}" if self.record else ""
        return f"{self.finding}{record}"


def _answer(stored: StoredAfterRelay, status: str) -> bool | None:
    """Whether a finding is stored after Relay, asked only for findings that fail or warn."""
    if not callable(stored):
        return stored
    return stored() if status in ("failed", "warned") else None


def fingerprint(test: str, item_type: str, rule: str, path: str) -> str:
    return hashlib.sha256(f"{test}\x00{item_type}\x00{rule}\x00{path}".encode()).hexdigest()[:24]


def generic_path(path: str) -> str:
    """``exception.values.0.stacktrace.frames.3.vars`` -> ``exception.values.*.stacktrace.frames.*.vars``."""
    return _INDEX.sub("*", path)


def describe_item(item_type: str, payload: Any) -> str:
    """Which record a finding is in, without its data: type, short id, exception type, transaction."""
    if not isinstance(payload, Mapping):
        return item_type
    parts = []
    event_id = payload.get("event_id")
    if isinstance(event_id, str) and event_id:
        parts.append(event_id[:8])
    exception = payload.get("exception")
    values = exception.get("values") if isinstance(exception, Mapping) else None
    if isinstance(values, list) and values and isinstance(values[-1], Mapping):
        exc_type = values[-1].get("type")
        if isinstance(exc_type, str):
            parts.append(exc_type[:60])
    transaction = payload.get("transaction")
    if isinstance(transaction, str) and transaction:
        parts.append(f"transaction {transaction[:60]!r}")
    return f"{item_type} {', '.join(parts)}".strip()


class BaselineError(Exception):
    """A baseline file that cannot be read."""


class Baseline:
    """Accepted findings, by fingerprint (test, item type, rule, path; never a value)."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), path: str = ""):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        for entry in entries:
            data = {key: str(entry[key]) for key in ("test", "item_type", "rule", "path")}
            self.entries[fingerprint(**data)] = data

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline file; a missing file is an empty baseline (before the first update)."""
        file = Path(path)
        if not file.exists():
            return cls(path=str(path))
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("version") != BASELINE_VERSION:
                version = data.get("version")
                raise BaselineError(f"unsupported version {version!r} (expected {BASELINE_VERSION})")
            return cls(data["findings"], path=str(path))
        except OSError as exc:
            raise BaselineError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BaselineError(f"{path}: not a pytest-sentry-check baseline ({exc})") from None
        except BaselineError as exc:
            raise BaselineError(f"{path}: {exc}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def updated(self, findings: Iterable[GateFinding], tests_run: Iterable[str]) -> Baseline:
        """This baseline with the entries of the tests that ran replaced by their current findings."""
        ran = set(tests_run)
        kept = [entry for entry in self.entries.values() if entry["test"] not in ran]
        current = [
            {"test": f.test, "item_type": f.finding.item_type, "rule": f.finding.rule, "path": f.finding.path}
            for f in findings
            if f.status in ("failed", "warned", "baselined")
        ]
        return Baseline([*kept, *current], path=self.path)

    def write(self, path: str | os.PathLike[str]) -> None:
        entries = sorted(
            self.entries.values(), key=lambda e: (e["test"], e["item_type"], e["path"], e["rule"])
        )
        text = json.dumps(
            {"version": BASELINE_VERSION, "tool": "pytest-sentry-check", "findings": entries}, indent=2
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")


@dataclass
class GateLedger:
    """Every finding of a run (per test), the allow entries declared and used, the tests scanned.

    Allow entries are keyed by where they were declared: ``("ini", entry)`` for ``sentry_allow``,
    ``(node id, entry)`` for a marker on that node (module, class or function).
    """

    mode: str = "fail"
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
    ) -> list[GateFinding]:
        """Record ``found`` (record description, finding, stored after Relay) for ``test``; returns
        them classified.

        ``allow`` holds ``(origin, entry)`` pairs: a rule id or a path glob. Whether a finding
        is stored after Relay may come as a function: it is called only for the findings that
        fail or warn (asking Relay is slow, and allowed findings are accepted anyway).
        """
        mode = mode or self.mode
        results = []
        seen = self._import_time_fingerprints() if test == BEFORE_FIRST_TEST else None
        for record, finding, stored in found:
            if seen is not None:
                key = fingerprint(test, finding.item_type, finding.rule, finding.path)
                if key in seen:
                    continue
                seen.add(key)
            status, allowed_by = ("failed" if mode == "fail" else "warned"), ""
            for origin, entry in allow:
                if entry == finding.rule or fnmatch.fnmatchcase(finding.path, entry):
                    status, allowed_by = "allowed", entry
                    self.used.add((origin, entry))
                    break
            else:
                key = fingerprint(test, finding.item_type, finding.rule, finding.path)
                if key in self.baseline or self.updating_baseline:
                    status = "baselined"
                    self.used_baseline.add(key)
            kept = _answer(stored, status)
            results.append(GateFinding(test, *location, finding, status, phase, record, allowed_by, kept))
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
        return {f.fingerprint for f in self.findings if f.test == BEFORE_FIRST_TEST}

    def merge(self, data: Mapping[str, Any]) -> None:
        seen = self._import_time_fingerprints()
        for entry in data.get("findings", []):
            finding = GateFinding.from_json(entry)
            if finding.test == BEFORE_FIRST_TEST:
                if finding.fingerprint in seen:
                    continue
                seen.add(finding.fingerprint)
            self.findings.append(finding)
        self.declared.update(tuple(pair) for pair in data.get("declared", []))
        self.used.update(tuple(pair) for pair in data.get("used", []))
        self.used_baseline.update(data.get("used_baseline", []))
        self.tests_run.update(data.get("tests_run", []))
        self.envelopes_scanned += int(data.get("envelopes_scanned", 0))

    # -- summaries ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        statuses = Counter(f.status for f in self.findings)
        return {
            "findings": len(self.findings),
            "failed": statuses["failed"],
            "warned": statuses["warned"],
            "allowed": statuses["allowed"],
            "baselined": statuses["baselined"],
            "tests_scanned": len(self.tests_run - {BEFORE_FIRST_TEST}),
            "tests_with_findings": len({f.test for f in self.findings}),
            "envelopes_scanned": self.envelopes_scanned,
        }

    def summary_lines(self, top: int = 5) -> list[str]:
        """The terminal summary: totals, then per rule, per test and top paths of what is not allowed."""
        counts = self.counts()
        envelopes, tests = counts["envelopes_scanned"], counts["tests_scanned"]
        scanned = f"{_plural(envelopes, 'envelope')} from {_plural(tests, 'test')}"
        if not self.findings:
            lines = [f"{scanned} scanned: no secret or personal data found."]
        else:
            statuses = ", ".join(
                f"{counts[s]} {s}" for s in ("failed", "warned", "allowed", "baselined") if counts[s]
            )
            lines = [
                f"{scanned} scanned: {_plural(counts['findings'], 'finding')} in "
                f"{_plural(counts['tests_with_findings'], 'test')} ({statuses})"
            ]
        open_findings = [f for f in self.findings if f.status in ("failed", "warned")]
        if open_findings:
            lines.append("by rule:  " + _top(Counter(f.finding.rule for f in open_findings), top))
            lines.append("by test:  " + _top(Counter(f.test for f in open_findings), top))
            paths = Counter(f"{f.finding.item_type}:{generic_path(f.finding.path)}" for f in open_findings)
            lines.append("top paths:")
            lines.extend(f"  {path} ({count})" for path, count in paths.most_common(top))
        known = [f for f in open_findings if f.stored is not None and f.finding.kind != "validation"]
        if known:
            stored = sum(f.stored is True for f in known)
            lines.append(
                f"after Relay's default scrubbing, Sentry would still store {stored} of {len(known)} "
                "(the others are removed at ingestion, but they left the process)"
            )
        for origin, entry in self.unused_allow():
            where = "ini sentry_allow" if origin == "ini" else f"marker on {origin}"
            lines.append(f"unused allow entry {entry!r} ({where}): it matched nothing; remove it")
        stale = self.unused_baseline()
        if stale:
            lines.append(
                f"{_plural(len(stale), 'baseline entry', 'baseline entries')} no longer found "
                "(fixed?): run with --sentry-baseline-update to drop them"
            )
        return lines


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _top(counter: Counter[str], n: int) -> str:
    shown = ", ".join(f"{key} {count}" for key, count in counter.most_common(n))
    more = len(counter) - n
    return shown + (f", ... {more} more" if more > 0 else "")


def _masker(secrets: tuple[str, ...]) -> Callable[[str], str]:
    """Masks text for reports: the test's canaries (``sentry_secrets`` may have closed by now,
    so its registry no longer masks them) and what ``mask_secrets`` masks on sight."""
    from .scan._canaries import CanaryMatcher

    canaries = CanaryMatcher(secrets) if secrets else None
    return lambda text: mask_secrets(canaries.mask(text) if canaries else text)


def scan_envelopes(
    envelopes: Iterable[Any], secrets: Iterable[str] = ()
) -> list[tuple[str, Finding, StoredAfterRelay]]:
    """Scan received envelopes (``ReceivedEnvelope``) with every gate rule: (record, finding,
    whether Sentry would still store it after Relay's default scrubbing) for each finding.

    The last is a function, so that Relay runs only for the findings someone asks about, once
    per item.
    """
    from .scan import scan_by_item

    secrets = tuple(secrets)
    shown = _masker(secrets)  # a transaction name can hold a secret too
    found: list[tuple[str, Finding, StoredAfterRelay]] = []
    for received in envelopes:
        for item, findings in scan_by_item(received.envelope, secrets=secrets):
            kept = _KeptOnce(item, secrets)
            record = shown(describe_item(item.item_type, item.payload))
            for finding in findings:
                found.append((record, finding, functools.partial(kept.stored, finding)))
    return found


class _KeptOnce:
    """What Relay would keep of one item, computed on the first question."""

    __slots__ = ("_item", "_kept", "_secrets")
    _UNASKED: Any = object()

    def __init__(self, item: Any, secrets: tuple[str, ...]):
        self._item, self._secrets, self._kept = item, secrets, self._UNASKED

    def stored(self, finding: Finding) -> bool | None:
        if self._kept is self._UNASKED:
            self._kept = _kept_by_relay(self._item, self._secrets)
        return None if self._kept is None else self._kept.claim(finding)


_relay_configs: dict[str, dict[str, Any] | None] = {}
#: How many items went through Relay for ``stored_after_relay``: the gate's costliest step.
_relay_runs = 0


def _default_relay_config() -> dict[str, Any] | None:
    """Relay's PII config for the project's settings (the ini ``sentry_datascrubbing``, else a
    new project's), computed once per settings."""
    from .scan import _server_stage

    key = repr(_server_stage._project)
    if key not in _relay_configs:
        found = importlib.util.find_spec("sentry_relay") is not None
        _relay_configs[key] = _server_stage.pii_config(None) if found else None
    return _relay_configs[key]


class _Kept:
    """What a scan still finds in an item after Relay's default scrubbing, by rule and path, to
    tell for each client-side finding whether it is stored. Relay keeps paths, except that it
    moves ``message`` to ``logentry.formatted`` and splits some strings into lists (a query
    string into pairs), so a stored path under the finding's path counts too."""

    def __init__(self, findings: Iterable[Finding]):
        self.paths = {(f.rule, f.path) for f in findings}

    def claim(self, finding: Finding) -> bool:
        path = "logentry.formatted" if finding.path == "message" else finding.path
        return (finding.rule, path) in self.paths or any(
            rule == finding.rule and stored.startswith(path + ".") for rule, stored in self.paths
        )


def _kept_by_relay(item: Any, secrets: tuple[str, ...]) -> _Kept | None:
    """What a scan still finds after Relay's default scrubbing; ``None`` when that cannot be
    known (no Relay, not an event, or Relay cannot process it)."""
    global _relay_runs
    config = _default_relay_config()
    if (
        config is None
        or item.item_type not in ("event", "transaction")
        or not isinstance(item.payload, Mapping)
    ):
        return None
    from .scan import scan_by_item
    from .scan._server_stage import server_stage

    _relay_runs += 1
    stored = server_stage(item, config)
    if not stored.payload:  # Relay rejected it: unknown what the client would make of that
        return None
    return _Kept(f for _, findings in scan_by_item(dict(stored.payload), secrets=secrets) for f in findings)


def render_findings(findings: Sequence[GateFinding], limit: int = 20) -> list[str]:
    """Lines for people, most severe first, one per place: findings at the same path of the same
    record share a line (their rules listed), and paths that differ only in list indexes (the
    same local variable in 17 frames) share one with ``*`` for the indexes and a count."""
    from .scan import SEVERITIES

    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    groups: dict[tuple[str, str, str], list[GateFinding]] = {}
    for f in sorted(findings, key=lambda f: order.get(f.finding.severity, len(order))):
        key = (f.finding.item_type, generic_path(f.finding.path), f.record)
        groups.setdefault(key, []).append(f)
    lines = []
    for (item_type, generic, record), group in list(groups.items())[:limit]:
        first = group[0].finding
        rules = list(dict.fromkeys(f.finding.rule for f in group))
        what = f"{first.rule} ({first.detail})" if len(rules) == 1 and first.detail else ", ".join(rules)
        places = {f.finding.path for f in group}
        path = first.path if len(places) == 1 else generic
        where = f" in {record}" if record else ""
        count = f" ({len(places)} places)" if len(places) > 1 else ""
        lines.append(
            f"  [{first.severity}] {what} at {item_type}:{path or '<root>'}{count}: {first.preview}{where}"
        )
    if len(groups) > limit:
        rest = sum(len(group) for group in list(groups.values())[limit:])
        lines.append(f"  ... and {rest} more findings in {len(groups) - limit} other places")
    return lines


def _place(path: str) -> str:
    """Where in an event a leak is, as far as fixing it goes."""
    if ".stacktrace.frames." in path and ".vars." in path:
        return "frame locals"
    if path.startswith("breadcrumbs."):
        return "breadcrumbs"
    if path.startswith(("request.", "user.", "extra.", "contexts.", "tags.")):
        return "scope data"
    if path.startswith(("message", "logentry.", "exception.values.")):
        return "message"
    return ""


_SDK_FIXES = {
    "frame locals": "sentry_sdk.init(include_local_variables=False), "
    "or scrub the frames' vars in before_send",
    "breadcrumbs": "filter or mask it in before_breadcrumb",
    "message": "do not interpolate the value into the message; mask it in before_send",
    "": "remove or mask it in before_send",
}
_HINTS = {
    "frame locals": "Frame locals carry them (send_default_pii=False keeps those): "
    "sentry_sdk.init(include_local_variables=False), or scrub each frame's 'vars' in before_send.",
    "breadcrumbs": "Breadcrumbs carry them: filter them in before_breadcrumb.",
    "scope data": "Scope or request data carries them: remove or mask them in before_send.",
}


def suggested_fix(finding: Finding) -> dict[str, str]:
    """How to stop one leak: the SDK-side change, and a Relay advanced-scrubbing rule for the
    project (a selector over the same place, ``*`` for list indexes) as a second line of defence."""
    path = finding.path
    place = _place(path)
    if place == "scope data":
        sdk = f"remove or mask {path.split('.')[0]} data in before_send (or never set it)"
    else:
        sdk = _SDK_FIXES[place]
    parts = path.split(".") if path else []
    ends_in_a_list = bool(parts) and parts[-1].isdigit()
    while parts and parts[-1].isdigit():  # Relay's * does not match a final list index; ** does
        parts.pop()
    generic = ".".join("*" if part.isdigit() else part for part in parts)
    selector = f"{generic}.**" if ends_in_a_list and generic else (generic or "**")
    return {
        "sdk": sdk,
        "relay_selector": selector,
        "relay_rule": json.dumps({"applications": {selector: ["@anything:remove"]}}),
    }


def fix_hints(findings: Iterable[GateFinding]) -> list[str]:
    """What would stop these leaks, by where they are."""
    places = {_place(f.finding.path) for f in findings if f.finding.kind != "validation"}
    return [hint for place, hint in _HINTS.items() if place in places]


#: Rule ids of what the validation mode reports (allow entries use them).
VALIDATION_RULES = {"relay": "relay-invalid", "limit": "sentry-limit"}


def validate_envelopes(
    envelopes: Iterable[Any], secrets: Iterable[str] = ()
) -> list[tuple[str, Finding, bool | None]]:
    """What Sentry would reject or drop in received envelopes, as findings of kind ``validation``
    (values and records masked, the test's canaries too: they may be unregistered by now)."""
    from ._validate import validate
    from .scan import Finding, items_of

    shown = _masker(tuple(secrets))
    found: list[tuple[str, Finding, bool | None]] = []
    for received in envelopes:
        for item in items_of(received.envelope):
            if item.item_type not in ("event", "transaction") or not isinstance(item.payload, Mapping):
                continue
            record = shown(describe_item(item.item_type, item.payload))
            for problem in validate(dict(item.payload)):
                rule = VALIDATION_RULES[problem.source]
                finding = Finding(
                    rule,
                    "validation",
                    "medium",
                    item.item_type,
                    problem.path,
                    shown(problem.preview),
                    problem.reason,
                )
                found.append((record, finding, None))
    return found
