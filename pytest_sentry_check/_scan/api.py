"""The leak scanner: canaries, sensitive fields and validated value patterns.

It works without pytest, on any payload: ``scan(target)`` returns findings,
``assert_scrubbed(target)`` raises ``AssertionError`` listing them.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._model.items import ScanItem, ScanTarget, items_of
from pytest_sentry_check._rules.fields import DEFAULT_FIELDS

from .detectors import DEFAULT_DETECTORS, Detector, extra_detectors
from .finding import SEVERITIES, Finding
from .groups import finding_groups, group_lines
from .scanner import scanner_for
from .secrets import active_secrets

__all__ = ["assert_scrubbed", "scan", "scan_by_item"]

#: ``client``: what left the process; ``server``: what Sentry would store.
Stage = Literal["client", "server"]
_DOCS = doc_url("scrubbing.md", "allowing-findings")
#: How many leak groups the message lists (then how many more).
SHOWN_GROUPS = 10


def _allowed(finding: Finding, allow: Sequence[str]) -> bool:
    return any(entry == finding.rule or fnmatch.fnmatchcase(finding.path, entry) for entry in allow)


def _scan(
    target: Any,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    extra_detectors: Iterable[Detector] = (),
    stage: Stage = "client",
    datascrubbing: Any = None,
) -> list[Finding]:
    """Every secret or piece of personal data in ``target``, most severe first.

    Args:
        target: what to scan (see the module docstring).
        secrets: exact values that must not appear anywhere, in any encoding (canaries).
        fields: sensitive key names (default: sentry-sdk's and Relay's, see ``DEFAULT_FIELDS``).
        safe_fields: key names never reported by the field rule.
        detectors: rule ids to run (``canary``, ``field``, pattern ids, opt-in ``user-path``)
            and/or detector callables.
        allow: rule ids or path globs of findings that are intended.
        extra_detectors: detectors added to ``detectors`` (plugins' ones).
        stage: ``client`` (what left the process) or ``server`` (what Sentry would store).
        datascrubbing: the project's data-scrubbing settings for ``stage="server"``.
    """
    scanner = scanner_for(tuple(secrets), tuple(fields), tuple(safe_fields), (*detectors, *extra_detectors))
    items: Iterable[ScanItem] = items_of(target)
    if stage == "server":
        from .server_stage import pii_config, server_stage

        config = pii_config(datascrubbing)
        items = (server_stage(item, config) for item in items)
    elif stage != "client":
        raise ValueError(f"stage is 'client' or 'server', not {stage!r}")
    elif datascrubbing is not None:
        raise ValueError("datascrubbing settings apply to stage='server' only")
    findings = [
        finding for item in items for finding in scanner.scan_item(item) if not _allowed(finding, allow)
    ]
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: order.get(f.severity, len(order)))


def scan(
    target: ScanTarget,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    stage: Stage = "client",
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
    extra = extra_detectors() if detectors is DEFAULT_DETECTORS else ()
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


def scan_by_item(
    target: ScanTarget, *, secrets: Iterable[str] = ()
) -> Iterator[tuple[ScanItem, list[Finding]]]:
    """The default and plugin detectors over ``target``, item by item (what the CI gate runs)."""
    scanner = scanner_for(tuple(secrets), tuple(DEFAULT_FIELDS), (), (*DEFAULT_DETECTORS, *extra_detectors()))
    for item in items_of(target):
        findings = list(scanner.scan_item(item))
        if findings:
            yield item, findings


def assert_scrubbed(
    target: ScanTarget,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    stage: Stage = "client",
    datascrubbing: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> None:
    """``AssertionError`` listing the findings of :func:`scan` as leak groups (one line per rule
    and path pattern, masked; the first ten); ``None`` when clean.

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
    groups = finding_groups(findings)
    count = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    where = "what Sentry would store" if stage == "server" else "what the application sent to Sentry"
    count += f" in {where}, {len(groups)} leak group{'s' if len(groups) != 1 else ''}"
    lines = [f"assert_scrubbed: {count}:"]
    lines += group_lines(groups, SHOWN_GROUPS)
    lines.append(
        "Scrub them in before_send or the SDK's event_scrubber; if one is intended, pass "
        f'allow=["<rule id or path glob>"] (see {_DOCS}).'
    )
    raise AssertionError("\n".join(lines))
