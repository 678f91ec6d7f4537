"""The one type every detector produces and every report consumes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SEVERITIES", "Finding", "finding_line"]

#: From most to least severe.
SEVERITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True, slots=True)
class Finding:
    """A secret or piece of personal data found in what the application sent.

    Attributes:
        rule: the rule id (``canary``, ``field``, ``email``, ``credit-card``, ...).
        kind: ``canary`` (a registered value), ``field`` (a sensitive key with a value) or
            ``pattern`` (a value that looks like a secret, validated).
        severity: one of :data:`SEVERITIES`.
        item_type: the envelope item it is in (``event``, ``transaction``, ``log``, ...).
        path: where in the item, Sentry selector style
            (``exception.values.0.stacktrace.frames.3.vars.headers.5.1``).
        preview: the value masked: its first characters and length, never the whole value.
        detail: what matched, in words (``Luhn-valid Visa number``, ``canary in base64``).
    """

    rule: str
    kind: str
    severity: str
    item_type: str
    path: str
    preview: str
    detail: str = ""

    def __str__(self) -> str:
        return finding_line(
            self.severity, self.rule, self.detail, f"{self.item_type}:{self.path or '<root>'}", self.preview
        )


def finding_line(
    severity: str, rule: str, detail: str, where: str, preview: str, *, places: int = 1, record: str = ""
) -> str:
    """The one line of a finding or a leak group (``places`` > 1) in every message:
    ``[high] field (password) at event:... (17 places): hun…[12 chars] in event 1a2b3c4d``."""
    detail = f" ({detail})" if detail else ""
    count = f" ({places} places)" if places > 1 else ""
    record = f" in {record}" if record else ""
    return f"[{severity}] {rule}{detail} at {where}{count}: {preview}{record}"
