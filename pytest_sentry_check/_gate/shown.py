"""What a page shows of an envelope item: a copy of its payload, masked and bounded.

The HTML report shows payloads, so every value a finding covers is replaced by its masked
preview (and marked, to highlight it in place), every other string and key goes through
``_masking`` (registered secrets and what it masks on sight), and huge values, long lists and
deep nesting are cut with a note. A finding whose place is not in the copy hides the whole
payload: a value it covers could otherwise be shown. The copy holds only JSON values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_sentry_check._masking import mask, mask_secrets, printable, shorten
from pytest_sentry_check._model.items import ScanItem, ordered_members
from pytest_sentry_check._scan.finding import Finding

from .finding import describe_item

__all__ = ["CUT", "MARK", "MASKED", "Limits", "shown_item", "shown_text"]

#: The key of a masked value's stand-in ``{MASKED: preview, MARK: [finding indexes]}``.
MASKED = "__sentry_check_masked__"
MARK = "__sentry_check_marks__"
#: The key of a cut list's or object's note ``{CUT: "... 120 more items not shown"}``.
CUT = "__sentry_check_cut__"


class Limits:
    """How much of one item the page shows."""

    __slots__ = ("depth", "items", "keys", "nodes", "text")

    def __init__(
        self, *, text: int = 600, items: int = 100, keys: int = 200, depth: int = 24, nodes: int = 4000
    ):
        self.text, self.items, self.keys, self.depth, self.nodes = text, items, keys, depth, nodes


def shown_text(value: str, limit: int) -> str:
    """``value`` masked, then cut to ``limit`` characters with a note of its length."""
    total = len(value)
    text = mask_secrets(value[: 4 * limit] if total > 4 * limit else value)
    if len(text) > limit or total > 4 * limit:
        text = f"{text[:limit]}…[{total:,} chars, cut]"
    return text


def _scalar(value: Any, limit: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = shorten(value, 40) if value.bit_length() > 4000 else str(value)
        masked = mask_secrets(text)
        return value if masked == text else masked
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray)):
        return shown_text(bytes(value).decode("utf-8", "replace"), limit)
    if isinstance(value, str):
        return shown_text(value, limit)
    return shorten(value, limit)


class _Copy:
    """One item's copy: walks the payload once, placing each finding at its path."""

    def __init__(self, findings: Sequence[Finding], limits: Limits):
        self.limits = limits
        self.nodes = 0
        self.at: dict[str, list[int]] = {}
        for index, finding in enumerate(findings):
            self.at.setdefault(finding.path, []).append(index)
        self.below: set[str] = set()  # paths above a finding's (a finding inside a string's text)
        for path in self.at:
            parts = path.split(".")
            self.below.update(".".join(parts[:n]) for n in range(1, len(parts)))
        self.placed: set[int] = set()
        self.findings = findings

    def masked(self, indexes: list[int]) -> dict[str, Any]:
        self.placed.update(indexes)
        previews = list(dict.fromkeys(self.findings[i].preview for i in indexes))
        return {MASKED: " / ".join(previews), MARK: indexes}

    def inside(self, path: str) -> list[int]:
        """The findings below ``path`` (a string whose parameters or JSON text leaked)."""
        prefix = path + "." if path else ""
        return [i for p, indexes in self.at.items() if p.startswith(prefix) for i in indexes]

    def hidden(self, path: str, shown: Sequence[str] = ()) -> None:
        """What is below ``path``, except the ``shown`` children's paths, is not on the page:
        the findings there are safe (they still are listed)."""
        prefix = path + "." if path else ""
        for place, indexes in self.at.items():
            if place.startswith(prefix) and not any(
                place == child or place.startswith(child + ".") for child in shown
            ):
                self.placed.update(indexes)

    def copy(self, node: Any, path: str, depth: int) -> Any:
        self.nodes += 1
        if path in self.at:
            return self.masked(self.at[path])
        limits = self.limits
        if isinstance(node, Mapping):
            if depth >= limits.depth:
                self.hidden(path)
                return {CUT: f"an object of {len(node):,} keys, nested too deep to show"}
            out: dict[str, Any] = {}
            visited: list[str] = []
            for n, (key, value) in enumerate(node.items()):
                if n >= limits.keys or self.nodes >= limits.nodes:
                    out[CUT] = f"{len(node) - n:,} more keys not shown"
                    self.hidden(path, visited)
                    break
                segment = key if type(key) is str else str(key)
                shown = printable(mask_secrets(segment))
                child = f"{path}.{shown}" if path else shown
                as_key = f"{path}.{mask(segment)}" if path else mask(segment)
                if as_key in self.at and as_key != child:  # the key itself is the secret
                    self.placed.update(self.at[as_key])
                    shown, child = mask(segment), as_key
                visited.append(child)
                out[shown if shown not in out else f"{shown} ({n})"] = self.copy(value, child, depth + 1)
            return out
        if isinstance(node, (list, tuple, set, frozenset)):
            members = list(node) if isinstance(node, (list, tuple)) else ordered_members(node)
            if depth >= limits.depth:
                self.hidden(path)
                return [{CUT: f"a list of {len(members):,} items, nested too deep to show"}]
            items: list[Any] = []
            for index, value in enumerate(members):
                if index >= limits.items or self.nodes >= limits.nodes:
                    items.append({CUT: f"{len(members) - index:,} more items not shown"})
                    self.hidden(path, [f"{path}.{i}" if path else str(i) for i in range(index)])
                    break
                items.append(self.copy(value, f"{path}.{index}" if path else str(index), depth + 1))
            return items
        if path in self.below:
            return self.masked(self.inside(path))
        return _scalar(node, limits.text)


def shown_item(item: ScanItem, findings: Sequence[Finding], limits: Limits | None = None) -> dict[str, Any]:
    """The page's copy of ``item``: ``type``, ``title``, ``origin``, ``payload`` (masked, cut) and
    ``marks`` (the findings, each with its path, rule, severity, masked preview and detail).

    Call it while the test's canaries are registered (``also_masking``): they are masked by value.
    """
    limits = limits or Limits()
    marks = [
        {
            "path": f.path,
            "rule": f.rule,
            "severity": f.severity,
            "preview": f.preview,
            "detail": f.detail,
            "kind": f.kind,
        }
        for f in findings
    ]
    note = ""
    payload = item.payload
    if isinstance(payload, (bytes, bytearray)):  # text: its findings' paths are not places in it
        if findings:
            shown: Any = {MASKED: "the text holds the findings below", MARK: list(range(len(findings)))}
        else:
            shown = shown_text(bytes(payload).decode("utf-8", "replace"), limits.text * 10)
    else:
        copy = _Copy(findings, limits)
        try:
            shown = copy.copy(payload, "", 0)
        except RecursionError:  # pragma: no cover - the depth limit stops well before
            shown = None
        unplaced = len(findings) - len(copy.placed)
        if unplaced or shown is None:
            shown = {CUT: "payload not shown: a finding's place could not be found in it"}
            note = f"{unplaced} of {len(findings)} findings could not be placed"
    return {
        "type": item.item_type,
        "title": mask_secrets(describe_item(item.item_type, payload)),
        "origin": item.origin,
        "payload": shown,
        "marks": marks,
        "note": note,
    }


def shown_envelopes(
    envelopes: Sequence[Any], secrets: Sequence[str] = (), limits: Limits | None = None
) -> list[dict[str, Any]]:
    """:func:`shown_item` for every item of received envelopes (``ReceivedEnvelope``), each
    scanned with the gate's rules and the test's canaries (``secrets``), which are masked too."""
    from pytest_sentry_check._masking import also_masking
    from pytest_sentry_check._model.items import items_of
    from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
    from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS, extra_detectors
    from pytest_sentry_check._scan.scanner import scanner_for

    scanner = scanner_for(tuple(secrets), tuple(DEFAULT_FIELDS), (), (*DEFAULT_DETECTORS, *extra_detectors()))
    shown = []
    with also_masking(secrets):
        for received in envelopes:
            envelope = received.envelope
            target = received.raw if envelope.headers.get("malformed") else envelope
            for item in items_of(target):
                shown.append(shown_item(item, list(scanner.scan_item(item)), limits))
    return shown
