"""The leak gate's part of a pytest run: the run's ledger, each test's scans and allow entries,
the session's late scans, the reports and the exit status.

``plugin.py`` calls these from its hooks (no hook is implemented here). Imported when a run
first has something to scan or declare: a suite whose tests send nothing never loads it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
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
    from pytest_sentry_check._gate.report import GateReport

__all__ = ["allow_of", "finish_run", "finish_test", "ledger_of", "scan_body", "scan_late", "write_summary"]

_ALLOW: pytest.StashKey[list[tuple[str, str]]] = pytest.StashKey()
_INI_ALLOW: pytest.StashKey[list[tuple[str, str]]] = pytest.StashKey()
_CANARIES_OF_LATE: pytest.StashKey[dict[str, tuple[str, ...]]] = pytest.StashKey()
_GATE_NOTES: pytest.StashKey[list[str]] = pytest.StashKey()
_REPORT: pytest.StashKey[GateReport] = pytest.StashKey()


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
    return ledger.classify(
        item.nodeid, location, found,
        allow=allow, phase=phase, mode=mode, fail_on=fail_on, reasons=_reasons_of(item),
    )  # fmt: skip


def _reasons_of(item: pytest.Item) -> dict[tuple[str, str], str]:
    """``(origin, entry)``: why, for the allow entries a marker gives as a dict
    (``allow={"email": "the reset mail names its address"}``)."""
    reasons = {}
    for node, mark in item.iter_markers_with_node("sentry_check"):
        entries = mark.kwargs.get("allow", ())
        if isinstance(entries, Mapping):
            origin = node.nodeid.split("[", 1)[0] if node is item else node.nodeid
            reasons.update({(origin, str(entry)): str(why) for entry, why in entries.items() if why})
    return reasons


def scan_body(item: pytest.Item, running: Running) -> str | None:
    """Scan what the test body sent; the failure message of its report, if a finding blocks."""
    blocking = [f for f in _scan(item, running, "call") if f.blocking]
    return render_gate_failure(blocking) if blocking else None


def finish_test(item: pytest.Item, running: Running) -> list[str]:
    """Scan what arrived since the body ended; record the test's findings; the failure, if any."""
    late = _scan(item, running, "teardown")
    if running.secrets:
        item.config.stash.setdefault(_CANARIES_OF_LATE, {})[item.nodeid] = tuple(running.secrets)
    if running.found and _junit_family(item.config) in ("xunit1", "legacy"):
        # properties only where the family's schema has them (xunit2: system-out, at the run's end)
        from pytest_sentry_check._gate.report import group_findings
        from pytest_sentry_check._gate.terminal import group_line

        for group in group_findings(running.found):
            item.user_properties.append(("sentry_check_finding", f"{group.state}: {group_line(group)}"))
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
            allow=allow, phase="late", mode=options.gate, fail_on=options.fail_on, reasons=_reasons_of(item),
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


def _junit_family(config: pytest.Config) -> str:
    """The JUnit family pytest writes (empty when it writes no JUnit XML)."""
    if not getattr(config.option, "xmlpath", None):
        return ""
    return str(config.getini("junit_family"))


def finish_run(run: RunState, session: pytest.Session, ledger: GateLedger) -> None:
    """The controller (or the only process): baseline update, the report built once and every
    file output rendered from it, the exit status."""
    from pytest_sentry_check._gate.report import GateReport

    config = session.config
    notes = config.stash.setdefault(_GATE_NOTES, [])
    settings = run.checked_settings()
    path = settings.baseline
    if ledger.updating_baseline and path:
        before = len(ledger.baseline)
        updated = ledger.baseline.updated(ledger.findings, ledger.tests_run)
        updated.write(path)
        entries = f"{len(updated)} {'entry' if len(updated) == 1 else 'entries'}"
        migrated = " (migrated from version 1)" if ledger.baseline.migrated else ""
        notes.append(f"baseline written to {path}: {entries} (was {before}){migrated}")
    report = GateReport.from_ledger(ledger)
    config.stash[_REPORT] = report
    if settings.report or settings.sarif:
        from pytest_sentry_check._gate.reports import json_report, sarif_report, write_json
    if settings.report:
        write_json(settings.report, json_report(report))
        notes.append(f"JSON report written to {settings.report}")
    if settings.sarif:
        write_json(settings.sarif, sarif_report(report, config.rootpath))
        notes.append(f"SARIF written to {settings.sarif}")
    html = settings.html
    if html:
        from .html import write_html

        notes.append(write_html(html, ledger, run.sent, config.rootpath))
    if _junit_family(config) == "xunit2" and report.groups:
        _junit_system_out(config, report)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")  # set by GitHub Actions for each step
    if step_summary:
        from pytest_sentry_check._gate.ci import step_summary as markdown

        with open(step_summary, "a", encoding="utf-8") as file:
            file.write(markdown(report))
    if report.failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _junit_system_out(config: pytest.Config, report: GateReport) -> None:
    """Each test case's groups into its ``system-out`` (pytest has written the file: its
    ``pytest_sessionfinish`` runs before this plugin's, which is ``trylast``)."""
    from _pytest.junitxml import mangle_test_address

    from pytest_sentry_check._gate.ci import add_junit_system_out

    prefix = getattr(config.option, "junitprefix", None) or ""

    def address(nodeid: str) -> tuple[str, str]:
        names = mangle_test_address(nodeid)
        return ".".join([prefix, *names[:-1]] if prefix else names[:-1]), names[-1]

    add_junit_system_out(config.option.xmlpath, report, address)


def write_summary(terminalreporter: Any, config: pytest.Config, ledger: GateLedger) -> None:
    """The gate's section of the terminal summary, and the run's last line when it fails."""
    notes = config.stash.get(_GATE_NOTES, [])
    if ledger.mode == "off" and not ledger.findings and not notes:
        return
    report = config.stash.get(_REPORT, None)
    if report is None:  # no session end ran the gate (an interrupted run)
        from pytest_sentry_check._gate.report import GateReport

        report = GateReport.from_ledger(ledger)
    from pytest_sentry_check._gate.terminal import final_words, summary_lines

    terminalreporter.write_sep("-", f"sentry-check: leak gate ({ledger.mode})")
    for line in summary_lines(report):
        terminalreporter.write_line(line)
    if report.open_groups:
        terminalreporter.write_line(
            "Scrub them in before_send or the SDK's event_scrubber; if intended, allow them with "
            "@pytest.mark.sentry_check(allow=[...]) or ini sentry_allow, or accept the current ones "
            f"with --sentry-baseline=PATH --sentry-baseline-update (see {DOCS_GATE})."
        )
    for note in notes:
        terminalreporter.write_line(note)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from pytest_sentry_check._gate.ci import github_annotations

        for line in github_annotations(report):
            terminalreporter.write_line(line)
    words = final_words(report)
    if words:
        _amend_last_line(terminalreporter, words)


def _amend_last_line(terminalreporter: Any, words: str) -> None:
    """Add ``words`` to the run's last line (``2 passed, gate failed: 3 leak groups in 0.5s``),
    in red: the tests passing and the job failing cannot be misread. The terminal reporter
    builds that line after every ``pytest_terminal_summary``, from ``build_summary_stats_line``;
    this wraps that method of this reporter only."""
    build = terminalreporter.build_summary_stats_line

    def with_gate() -> tuple[list[tuple[str, dict[str, bool]]], str]:
        parts, _ = build()
        return [*parts, (words, {"red": True, "bold": True})], "red"

    terminalreporter.build_summary_stats_line = with_gate
