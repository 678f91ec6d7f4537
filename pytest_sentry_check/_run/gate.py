"""The leak gate's part of a pytest run: the run's ledger, each test's scans and allow entries,
the session's late scans, the reports and the exit status.

``plugin.py`` calls these from its hooks (no hook is implemented here). Imported when a run
first has something to scan or declare: a suite whose tests send nothing never loads it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._gate.baseline import Baseline, BaselineError
from pytest_sentry_check._gate.envelopes import scan_envelopes, validate_envelopes
from pytest_sentry_check._gate.finding import BEFORE_FIRST_TEST
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.render import DOCS_GATE, render_gate_failure
from pytest_sentry_check._warnings import SentryCheckWarning

from .state import Running, RunState

if TYPE_CHECKING:
    from pytest_sentry_check._capture.install import Installation
    from pytest_sentry_check._gate.finding import GateFinding, StoredAfterRelay

__all__ = ["allow_of", "finish_run", "finish_test", "ledger_of", "scan_body", "scan_late", "write_summary"]

_ALLOW: pytest.StashKey[list[tuple[str, str]]] = pytest.StashKey()
_INI_ALLOW: pytest.StashKey[list[tuple[str, str]]] = pytest.StashKey()
_CANARIES_OF_LATE: pytest.StashKey[dict[str, tuple[str, ...]]] = pytest.StashKey()
_GATE_NOTES: pytest.StashKey[list[str]] = pytest.StashKey()


def ledger_of(run: RunState) -> GateLedger:
    """The run's gate ledger, made when first needed (a bad baseline is a usage error)."""
    if run.ledger is None:
        settings = run.checked_settings()
        path = settings.baseline
        if settings.baseline_update and not path:
            raise pytest.UsageError(
                "--sentry-baseline-update needs --sentry-baseline=PATH (the file to write)"
            )
        try:
            baseline = Baseline.load(path) if path else Baseline()
        except BaselineError as exc:
            raise pytest.UsageError(f"--sentry-baseline: {exc}") from None
        ledger = GateLedger(
            mode=settings.base["gate"],
            fail_on=settings.base["fail_on"],
            baseline=baseline,
            updating_baseline=settings.baseline_update,
            # shared with the per-test hooks, which do not need this module to fill them
            tests_run=run.tests_run,
            declared=run.declared,
        )
        ledger.declared.update(("ini", entry) for entry in settings.base["allow"])
        run.ledger = ledger
    return run.ledger


def allow_of(run: RunState, item: pytest.Item) -> list[tuple[str, str]]:
    """``(origin, entry)``: the allow entries of every marker on the item's nodes, then the ini's.

    The origin is the node that declared the entry; a function's own marker is keyed by the
    function, not by each of its parametrizations.
    """
    config = item.config
    if _INI_ALLOW not in config.stash:
        config.stash[_INI_ALLOW] = [("ini", entry) for entry in run.base["allow"]]
    ini = config.stash[_INI_ALLOW]
    options = run.options_for(item)
    if run.is_unmarked(options):  # most tests: no marker
        return ini
    if _ALLOW not in item.stash:
        if options.allow == tuple(entry for _, entry in ini):  # no marker adds any
            item.stash[_ALLOW] = ini
            return ini
        pairs = [
            (node.nodeid.split("[", 1)[0] if node is item else node.nodeid, entry)
            for node, mark in item.iter_markers_with_node("sentry_check")
            for entry in mark.kwargs.get("allow", ())
        ]
        run.declared.update(pairs)
        item.stash[_ALLOW] = pairs + ini
    return item.stash[_ALLOW]


def _location(item: pytest.Item) -> tuple[str, int]:
    path, line, _ = item.location
    return path, (line + 1 if line is not None else 0)


def _scan(item: pytest.Item, running: Running, phase: str) -> list[GateFinding]:
    envelopes = running.capture.take_pending()
    if not envelopes:
        return []
    run = running.run
    if run.sent is not None:
        run.sent.add(item.nodeid, envelopes, running.secrets, phase)
    ledger = ledger_of(run)
    ledger.envelopes_scanned += len(envelopes)
    options = run.options_for(item)
    gate = options.gate
    found = scan_envelopes(envelopes, running.secrets) if gate != "off" else []
    results = _classify(run, item, ledger, found, phase=phase, mode=gate, fail_on=options.fail_on)
    validate = run.validate
    if validate != "off":
        problems = validate_envelopes(envelopes, running.secrets)
        results += _classify(run, item, ledger, problems, phase=phase, mode=validate)
    running.found.extend(results)
    return results


def _classify(
    run: RunState,
    item: pytest.Item,
    ledger: GateLedger,
    found: Sequence[tuple[str, Any, StoredAfterRelay]],
    *,
    phase: str,
    mode: str,
    fail_on: str | None = None,
) -> list[GateFinding]:
    if not found:
        return []
    allow = allow_of(run, item)
    location = _location(item)
    return ledger.classify(item.nodeid, location, found, allow=allow, phase=phase, mode=mode, fail_on=fail_on)


def scan_body(item: pytest.Item, running: Running) -> str | None:
    """Scan what the test body sent; the failure message of its report, if a finding blocks."""
    blocking = [f for f in _scan(item, running, "call") if f.blocking]
    return render_gate_failure(blocking) if blocking else None


def finish_test(item: pytest.Item, running: Running) -> list[str]:
    """Scan what arrived since the body ended; record the test's findings; the failure, if any."""
    late = _scan(item, running, "teardown")
    if running.secrets:
        item.config.stash.setdefault(_CANARIES_OF_LATE, {})[item.nodeid] = tuple(running.secrets)
    if getattr(item.config.option, "xmlpath", None):  # JUnit properties only when JUnit is written
        for finding in running.found:
            item.user_properties.append(("sentry_check_finding", f"{finding.status}: {finding}"))
    warned = [f for f in running.found if f.status == "warned"]
    if warned:
        from_marker = any(f.below_threshold for f in warned) and any(
            "fail_on" in mark.kwargs for mark in item.iter_markers("sentry_check")
        )
        message = render_gate_failure(warned, threshold_from_marker=from_marker)
        warnings.warn(SentryCheckWarning(message), stacklevel=1)
    blocking = [f for f in late if f.blocking]
    return [render_gate_failure(blocking)] if blocking else []


def scan_late(run: RunState, session: pytest.Session, installation: Installation, ledger: GateLedger) -> None:
    """Scan what arrived after its test ended, and what was sent before the first test."""
    router = installation.router
    items = {item.nodeid: item for item in session.items} if router.late_captures else {}
    canaries = session.config.stash.get(_CANARIES_OF_LATE, {})
    for capture in router.late_captures:
        item = items.get(capture.name)
        if capture.discard or not capture.late.envelopes or item is None:
            continue
        options = run.options_for(item)
        if options.gate == "off":
            continue
        envelopes = capture.late.envelopes
        if run.sent is not None:
            run.sent.add(capture.name, envelopes, canaries.get(capture.name, ()), "late")
        ledger.envelopes_scanned += len(envelopes)
        found = scan_envelopes(envelopes, canaries.get(capture.name, ()))
        allow = allow_of(run, item)
        ledger.classify(
            capture.name, _location(item), found,
            allow=allow, phase="late", mode=options.gate, fail_on=options.fail_on,
        )  # fmt: skip
    if ledger.mode != "off":
        ledger.tests_run.add(BEFORE_FIRST_TEST)  # so a fixed import-time leak's entry goes stale
    if router.unattributed.envelopes and ledger.mode != "off":
        envelopes = router.unattributed.envelopes
        if run.sent is not None:
            run.sent.add(BEFORE_FIRST_TEST, envelopes, (), "collection")
        ledger.envelopes_scanned += len(envelopes)
        where = session.config.inipath
        location = (os.path.relpath(where, session.config.rootpath), 1) if where else ("", 0)
        allow = [("ini", entry) for entry in run.base["allow"]]
        found = scan_envelopes(envelopes)
        ledger.classify(BEFORE_FIRST_TEST, location, found, allow=allow, phase="collection")


def finish_run(run: RunState, session: pytest.Session, ledger: GateLedger) -> None:
    """The controller (or the only process): baseline update, reports, exit status."""
    config = session.config
    notes = config.stash.setdefault(_GATE_NOTES, [])
    path = run.checked_settings().baseline
    if ledger.updating_baseline and path:
        before = len(ledger.baseline)
        updated = ledger.baseline.updated(ledger.findings, ledger.tests_run)
        updated.write(path)
        entries = f"{len(updated)} {'entry' if len(updated) == 1 else 'entries'}"
        notes.append(f"baseline written to {path}: {entries} (was {before})")
    report, sarif = run.checked_settings().report, run.checked_settings().sarif
    if report or sarif:
        from pytest_sentry_check._gate.reports import json_report, sarif_report, write_json
    if report:
        write_json(report, json_report(ledger))
        notes.append(f"JSON report written to {report}")
    if sarif:
        write_json(sarif, sarif_report(ledger, config.rootpath))
        notes.append(f"SARIF written to {sarif}")
    html = run.checked_settings().html
    if html:
        from .html import write_html

        notes.append(write_html(html, ledger, run.sent, config.rootpath))
    if ledger.blocking and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def write_summary(terminalreporter: Any, config: pytest.Config, ledger: GateLedger) -> None:
    """The gate's section of the terminal summary."""
    notes = config.stash.get(_GATE_NOTES, [])
    if ledger.mode == "off" and not ledger.findings and not notes:
        return
    terminalreporter.write_sep("-", f"sentry-check: leak gate ({ledger.mode})")
    for line in ledger.summary_lines():
        terminalreporter.write_line(line)
    if any(f.status in ("failed", "warned") for f in ledger.findings):
        terminalreporter.write_line(
            "Scrub them in before_send or the SDK's event_scrubber; if intended, allow them with "
            "@pytest.mark.sentry_check(allow=[...]) or ini sentry_allow, or accept the current ones "
            f"with --sentry-baseline=PATH --sentry-baseline-update (see {DOCS_GATE})."
        )
    for note in notes:
        terminalreporter.write_line(note)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from pytest_sentry_check._gate.reports import github_annotations

        for line in github_annotations(ledger.findings):
            terminalreporter.write_line(line)
