"""A finding of the gate: the scanner's finding, the test that sent it, and what became of it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_sentry_check._scan.finding import SEVERITIES, Finding, finding_line
from pytest_sentry_check._scan.groups import generic_path

from .fixes import suggested_fix

__all__ = [
    "BEFORE_FIRST_TEST",
    "GateFinding",
    "StoredAfterRelay",
    "answer",
    "describe_item",
    "fails_at",
    "fingerprint",
    "generic_path",
]

#: Whether Sentry would store a finding after Relay's scrubbing (``None``: unknown), or a
#: function that tells.
StoredAfterRelay = bool | None | Callable[[], bool | None]
#: The test name of envelopes sent before the first test (imports, collection).
BEFORE_FIRST_TEST = "<before the first test>"


@dataclass(frozen=True, slots=True)
class GateFinding:
    """A finding of the gate: what the scanner found, in which test, and what became of it.

    ``status`` is ``failed`` (fails the run), ``warned`` (gate in warn mode, or a severity
    below the fail-on threshold: see ``below_threshold``), ``allowed`` (``allowed_by`` names the
    allow entry) or ``baselined``. ``phase`` says when it was scanned: ``call`` (end of the test
    body), ``teardown`` or ``late`` (after the test ended). ``fail_on`` is the fail-on threshold
    the gate held it to (empty when none did: gate in warn mode, or a validation problem).
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
    fail_on: str = ""
    #: the status it has when nothing accepts it (``failed`` or ``warned``)
    open_status: str = ""
    #: where the allow entry that matched was declared (``ini``, a marker's node id, ...)
    allow_origin: str = ""
    #: why that entry is intended, as its marker says (``allow={"email": "why"}``)
    allow_reason: str = ""

    @property
    def fingerprint(self) -> str:
        """Stable id of its leak group: hash of test, item type, rule and the path's pattern
        (list indexes as ``*``; no value, file name or event id)."""
        return fingerprint(
            self.test, self.finding.item_type, self.finding.rule, generic_path(self.finding.path)
        )

    @property
    def place(self) -> str:
        """Id of this exact place: hash of test, item type, rule and path."""
        return fingerprint(self.test, self.finding.item_type, self.finding.rule, self.finding.path)

    @property
    def blocking(self) -> bool:
        return self.status == "failed"

    @property
    def below_threshold(self) -> bool:
        """Whether it only warned because its severity is under the gate's fail-on threshold."""
        return (
            self.status == "warned"
            and bool(self.fail_on)
            and not fails_at(self.finding.severity, self.fail_on)
        )

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
            "fails": self.blocking,
            "fail_on": self.fail_on or None,
            "below_threshold": self.below_threshold,
            "allowed_by": self.allowed_by,
            "phase": self.phase,
            "fingerprint": self.fingerprint,
            "open_status": self.open_status,
            "allow_origin": self.allow_origin,
            "allow_reason": self.allow_reason,
            "stored_after_relay": self.stored,
            "fix": suggested_fix(self.finding) if self.finding.kind != "validation" else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateFinding:
        finding = Finding(
            data["rule"], data["kind"], data["severity"], data["item_type"], data["path"],
            data["preview"], data.get("detail", ""),
        )  # fmt: skip
        return cls(
            data["test"], data["file"], data["line"], finding, data["status"], data["phase"],
            data.get("record", ""), data.get("allowed_by", ""), data.get("stored_after_relay"),
            data.get("fail_on") or "", data.get("open_status", ""), data.get("allow_origin", ""),
            data.get("allow_reason", ""),
        )  # fmt: skip

    def __str__(self) -> str:
        f = self.finding
        where = f"{f.item_type}:{f.path or '<root>'}"
        return finding_line(f.severity, f.rule, f.detail, where, f.preview, record=self.record)


def fails_at(severity: str, fail_on: str) -> bool:
    """Whether a finding of ``severity`` is at or above the ``fail_on`` threshold. A severity
    that is not one of :data:`SEVERITIES` (a plugin detector's) counts as the most severe."""
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else 0
    return rank <= SEVERITIES.index(fail_on)


def answer(stored: StoredAfterRelay, status: str) -> bool | None:
    """Whether a finding is stored after Relay, asked only for findings that fail or warn."""
    if not callable(stored):
        return stored
    return stored() if status in ("failed", "warned") else None


def fingerprint(test: str, item_type: str, rule: str, path: str) -> str:
    """24 hex digits of a SHA-256 over the four (a group's: ``path`` is its pattern)."""
    # surrogatepass: a key decoded with surrogateescape holds lone surrogates, which strict
    # UTF-8 cannot encode
    text = f"{test}\x00{item_type}\x00{rule}\x00{path}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


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
