"""Scanning and validating received envelopes for the gate, and asking Relay whether Sentry
would still store a finding (once per item, only for findings someone asks about)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_sentry_check._masking import mask, mask_secrets
from pytest_sentry_check._model.item_types import item_type
from pytest_sentry_check._model.items import items_of
from pytest_sentry_check._rules.canaries import CanaryMatcher
from pytest_sentry_check._scan.finding import Finding

from .finding import StoredAfterRelay, describe_item

__all__ = ["VALIDATION_RULES", "scan_envelopes", "validate_envelopes"]


def _is_event(name: str) -> bool:
    entry = item_type(name)
    return entry is not None and entry.event_like


def _masker(secrets: tuple[str, ...]) -> Callable[[str], str]:
    """Masks text for reports: the test's canaries (``sentry_secrets`` may have closed by now,
    so its registry no longer masks them) and what ``mask_secrets`` masks on sight."""
    canaries = CanaryMatcher(secrets) if secrets else None
    return lambda text: mask_secrets(canaries.sub(text, mask) if canaries else text)


def scan_envelopes(
    envelopes: Iterable[Any], secrets: Iterable[str] = ()
) -> list[tuple[str, Finding, StoredAfterRelay]]:
    """Scan received envelopes (``ReceivedEnvelope``) with every gate rule: (record, finding,
    whether Sentry would still store it after Relay's default scrubbing) for each finding.

    The last is a function, so that Relay runs only for the findings someone asks about, once
    per item.
    """
    from pytest_sentry_check._scan.api import scan_by_item  # the copy the run's detectors are set on

    secrets = tuple(secrets)
    shown = _masker(secrets)  # a transaction name can hold a secret too
    found: list[tuple[str, Finding, StoredAfterRelay]] = []
    for received in envelopes:
        envelope = received.envelope
        # what did not parse is scanned as the bytes that left the process
        target = received.raw if envelope.headers.get("malformed") else envelope
        for item, findings in scan_by_item(target, secrets=secrets):
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
    # looked up on each call: pytester's in-process runs import the module anew, and the
    # plugin sets the project's settings on the copy in sys.modules
    server_stage = importlib.import_module("pytest_sentry_check._scan.server_stage")
    key = repr(server_stage._project)
    if key not in _relay_configs:
        found = importlib.util.find_spec("sentry_relay") is not None
        _relay_configs[key] = server_stage.pii_config(None) if found else None
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
    if config is None or not _is_event(item.item_type) or not isinstance(item.payload, Mapping):
        return None
    from pytest_sentry_check._scan.api import scan_by_item

    _relay_runs += 1
    from pytest_sentry_check._scan.server_stage import server_stage

    stored = server_stage(item, config)
    if not stored.payload:  # Relay rejected it: unknown what the client would make of that
        return None
    return _Kept(f for _, findings in scan_by_item(dict(stored.payload), secrets=secrets) for f in findings)


#: Rule ids of what the validation mode reports (allow entries use them).
VALIDATION_RULES = {"relay": "relay-invalid", "limit": "sentry-limit"}


def validate_envelopes(
    envelopes: Iterable[Any], secrets: Iterable[str] = ()
) -> list[tuple[str, Finding, bool | None]]:
    """What Sentry would reject or drop in received envelopes, as findings of kind ``validation``
    (values and records masked, the test's canaries too: they may be unregistered by now)."""
    from pytest_sentry_check._model.validation import validate

    shown = _masker(tuple(secrets))
    found: list[tuple[str, Finding, bool | None]] = []
    for received in envelopes:
        for item in items_of(received.envelope):
            if not _is_event(item.item_type) or not isinstance(item.payload, Mapping):
                continue
            problems = validate(dict(item.payload))
            record = shown(describe_item(item.item_type, item.payload)) if problems else ""
            for problem in problems:
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
