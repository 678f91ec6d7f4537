"""The leak scanner: canaries, sensitive fields and validated value patterns.

It works without pytest, on any payload: ``scan(target)`` returns findings,
``assert_scrubbed(target)`` raises ``AssertionError`` listing them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ._canaries import CANARY_KINDS, SecretRegistry, active_secrets
from ._fields import DEFAULT_FIELDS
from ._finding import SEVERITIES, Finding
from ._patterns import PATTERN_RULES, PatternRule
from ._scanner import DEFAULT_DETECTORS, Detector, Leaf, ScanItem, items_of, render_findings
from ._scanner import scan as _scan

__all__ = [
    "CANARY_KINDS",
    "DEFAULT_DETECTORS",
    "DEFAULT_FIELDS",
    "PATTERN_RULES",
    "SEVERITIES",
    "Detector",
    "Finding",
    "Leaf",
    "PatternRule",
    "ScanItem",
    "SecretRegistry",
    "assert_scrubbed",
    "items_of",
    "scan",
    "scan_by_item",
]

_DOCS = "docs/scrubbing.md#allowing-findings"
_plugin_detectors: list[Detector] = []
_entry_point_detectors: list[Detector] | None = None


def set_plugin_detectors(detectors: Iterable[Detector]) -> list[Detector]:
    """Set the detectors contributed by pytest plugins (the hook); returns the previous ones."""
    previous = list(_plugin_detectors)
    _plugin_detectors[:] = list(detectors)
    return previous


def _default_extra_detectors() -> list[Detector]:
    """Plugin detectors, and the ``pytest_sentry_check.detectors`` entry points (read on first use:
    listing every installed distribution is not free, and most runs never scan)."""
    global _entry_point_detectors
    if _entry_point_detectors is None:
        from pytest_sentry_check.hookspecs import entry_point_detectors

        _entry_point_detectors = entry_point_detectors()
    return [*_entry_point_detectors, *_plugin_detectors]


def scan(
    target: Any,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    stage: str = "client",
    datascrubbing: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> list[Finding]:
    """Every secret or piece of personal data in ``target``, most severe first.

    Args:
        target: an ``Event`` (or any record), ``sentry_events`` or one of its collections, a
            sentry-sdk ``Envelope``, raw envelope bytes, a dict, or a list of them.
        secrets: exact values that must appear nowhere, in any encoding; the values registered
            with the running test's ``sentry_secrets`` are always added.
        fields: sensitive key names (default :data:`DEFAULT_FIELDS`).
        safe_fields: key names the field rule never reports.
        detectors: rule ids (``canary``, ``field``, the pattern ids, opt-in ``user-path``) and/or
            detector callables; plugin detectors are added to the default set.
        allow: rule ids or path globs (``request.headers.*``) of intended findings.
        stage: ``"client"`` scans what left the process (the strict view); ``"server"`` scans
            what Sentry would store, after Relay's normalization and the project's data
            scrubbing (needs the ``relay`` extra).
        datascrubbing: the project's "Security & Privacy" settings for ``stage="server"``: a
            dict (``scrubData``, ``scrubDefaults``, ``scrubIpAddresses``, ``sensitiveFields``,
            ``excludeFields``, and advanced rules as ``piiConfig``) or a JSON file of them;
            default: a new project's.
    """
    extra = _default_extra_detectors() if detectors is DEFAULT_DETECTORS else ()
    return _scan(
        target,
        secrets=(*secrets, *active_secrets()),
        fields=fields,
        safe_fields=safe_fields,
        detectors=detectors,
        allow=allow,
        extra_detectors=extra,
        stage=stage,
        datascrubbing=datascrubbing,
    )


def scan_by_item(target: Any, *, secrets: Iterable[str] = ()) -> Iterator[tuple[ScanItem, list[Finding]]]:
    """The default and plugin detectors over ``target``, item by item (what the CI gate runs)."""
    from ._scanner import _scanner as cached_scanner

    scanner = cached_scanner(
        tuple(secrets), tuple(DEFAULT_FIELDS), (), (*DEFAULT_DETECTORS, *_default_extra_detectors())
    )
    for item in items_of(target):
        findings = list(scanner.scan_item(item))
        if findings:
            yield item, findings


def assert_scrubbed(
    target: Any,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    stage: str = "client",
    datascrubbing: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> None:
    """``AssertionError`` listing every finding of :func:`scan` (masked); ``None`` when clean.

    ``stage="server"`` asserts on what Sentry would store (see :func:`scan`).
    """
    __tracebackhide__ = True
    findings = scan(
        target,
        secrets=secrets,
        fields=fields,
        safe_fields=safe_fields,
        detectors=detectors,
        allow=allow,
        stage=stage,
        datascrubbing=datascrubbing,
    )
    if not findings:
        return
    count = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    where = "what Sentry would store" if stage == "server" else "what the application sent to Sentry"
    lines = [f"assert_scrubbed: {count} in {where}:"]
    lines += render_findings(findings)
    lines.append(
        "Scrub them in before_send or the SDK's event_scrubber; if one is intended, pass "
        f'allow=["<rule id or path glob>"] (see {_DOCS}).'
    )
    raise AssertionError("\n".join(lines))
