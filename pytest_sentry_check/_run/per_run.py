"""A run's start and end: settings, the SDK patched and restored, plugin detectors, late
arrivals, the xdist merge, the gate's reports and the terminal summary.

``plugin.py``'s run-level hooks delegate here.
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._docs import doc_url

from . import per_test
from .state import UNSET, RunState, is_outermost, run_of, start, stop

if TYPE_CHECKING:
    from pytest_sentry_check._capture.install import Installation

__all__ = [
    "configure",
    "install",
    "merge_worker",
    "report_header",
    "session_finish",
    "session_start",
    "terminal_summary",
    "unconfigure",
]

_XDIST_CONTROLLER = "sentry_check_xdist_controller"


def configure(run: RunState) -> None:
    """Check the settings (a bad value is a usage error now), patch the SDK, set the plugins'
    detectors and the project's data-scrubbing settings for the run."""
    config = run.config
    install(run)
    settings = run.checked_settings()
    start(run)
    plugins = config.pluginmanager
    if plugins.hasplugin("xdist") and not plugins.has_plugin(_XDIST_CONTROLLER):
        plugins.register(_XdistController(), _XDIST_CONTROLLER)
    if settings.html:
        from .html import SentPayloads

        run.sent = SentPayloads()
    if settings.spotlight:
        from .spotlight import SpotlightForwarder

        run.spotlight = SpotlightForwarder(settings.spotlight)
    if settings.baseline or settings.baseline_update:
        from .gate import ledger_of

        ledger_of(run)  # a bad baseline file is a usage error before any test runs
    detectors = [d for batch in config.hook.pytest_sentry_check_detectors(config=config) for d in batch]
    if detectors:
        from pytest_sentry_check._scan.detectors import set_plugin_detectors

        run.detectors_before = set_plugin_detectors(detectors)
    datascrubbing = _datascrubbing(config)
    if datascrubbing is not None:
        from pytest_sentry_check._scan.server_stage import set_project_datascrubbing

        run.datascrubbing_before = set_project_datascrubbing(datascrubbing)


def install(run: RunState) -> None:
    """Patch the SDK for ``run`` now, or when it is imported (then the running test's capture
    opens at once)."""
    run.on_installed = per_test.open_unopened
    run.install()


def _datascrubbing(config: pytest.Config) -> dict[str, Any] | None:
    name = config.getini("sentry_datascrubbing")
    if not name:
        return None
    from pytest_sentry_check._scan.server_stage import load_datascrubbing

    path = (config.inipath.parent if config.inipath else config.rootpath) / name
    try:
        return load_datascrubbing(path)
    except (OSError, ValueError, TypeError) as exc:
        raise pytest.UsageError(f"sentry_datascrubbing: {path}: {exc}") from None


def unconfigure(run: RunState) -> None:
    """Undo :func:`configure`: the SDK, the detectors and the data-scrubbing settings as before."""
    stop(run)
    run.stop_waiting()
    if run.datascrubbing_before is not UNSET:
        from pytest_sentry_check._scan.server_stage import set_project_datascrubbing

        set_project_datascrubbing(run.datascrubbing_before)
    if run.detectors_before is not UNSET:
        from pytest_sentry_check._scan.detectors import set_plugin_detectors

        set_plugin_detectors(run.detectors_before)
    if run.installation is not None:
        from pytest_sentry_check._capture.install import uninstall

        uninstall(run.installation)
        run.installation = None


class _XdistController:
    """The xdist controller's hook: registered only when pytest-xdist is loaded."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge what a worker captured and saw arrive late."""
        run = run_of(node.config)
        if run is not None:
            merge_worker(run, getattr(node, "workeroutput", {}))


def session_start(run: RunState) -> None:
    run.threads_before = set(threading.enumerate())


def report_header(run: RunState) -> list[str]:
    base = run.base
    settings = run.checked_settings()
    overrides = ", ".join(f"{k}={v!r}" for k, v in base["options"].items()) or "none"
    gate = f"sentry-check: gate={base['gate']}"
    if base["gate"] != "off":
        if base["gate"] == "fail" and base["fail_on"] != "high":  # the default is not shown
            gate += f", fail_on={base['fail_on']}"
        if settings.baseline:
            update = " (update)" if settings.baseline_update else ""
            gate += f", baseline={settings.baseline}{update}"
        if base["allow"]:
            gate += f", allow={len(base['allow'])} ini entries"
    gate += f"; validate={settings.validate}"
    if base["strict"]:
        gate += "; strict"
    lines = [
        f"sentry-check: capturing (sentry-sdk {_sdk_version()}), sdk_errors={base['sdk_errors']}, "
        f"option overrides: {overrides}",
        gate,
    ]
    installation = run.installation
    if installation is not None and installation.test_run_reporters:
        if installation.report_test_run:
            lines.append(
                "sentry-check: pytest-sentry's client keeps its own transport: it reports the test "
                "run to its DSN (ini sentry_pytest_sentry = report)"
            )
        else:
            lines.append(
                "sentry-check: pytest-sentry's client is silenced: it sends nothing (ini "
                "sentry_pytest_sentry = report lets it report the test run to its DSN)"
            )
    if settings.spotlight:
        lines.append(f"sentry-check: forwarding each test's envelopes to Spotlight at {settings.spotlight}")
    return lines


def _sdk_version() -> str:
    sdk = sys.modules.get("sentry_sdk")
    if sdk is not None:
        return str(sdk.VERSION)
    from importlib.metadata import version  # pytest has imported it: no sentry_sdk import

    return version("sentry-sdk")


def session_finish(run: RunState, session: pytest.Session) -> None:
    """Scan and list late arrivals; a worker hands its results to the controller, the controller
    (or the only process) writes the gate's reports and sets the exit status."""
    config = session.config
    installation = run.installation
    if run.spotlight is not None:
        problem = run.spotlight.close()
        if problem is not None:
            from pytest_sentry_check._warnings import SentryCheckWarning

            warnings.warn(SentryCheckWarning(problem), stacklevel=1)
    ledger = None
    if _needs_ledger(run, installation):
        from .gate import ledger_of

        ledger = ledger_of(run)
    if installation is not None:
        if ledger is not None:
            from .gate import scan_late

            scan_late(run, session, installation, ledger)
        lines = _late_arrivals(installation, run.threads_before)
        run.late.extend(line for line in lines if line not in run.late)  # xdist: workers' came first
        if is_outermost(run):  # pytester's runs end inside a test: their process goes on
            installation.router.after_session = {}
            atexit.register(_report_after_session, installation.router.after_session)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports
        tests_run = sorted(run.tests_run) if ledger is None else []
        workeroutput["sentry_check"] = json.dumps(
            {
                "captured": run.captured,
                "late": run.late,
                "gate": ledger.to_json() if ledger is not None else {},
                "tests_run": tests_run,  # the ledger's has them
                "sent": run.sent.to_json() if run.sent is not None else {},
            }
        )
        return
    if ledger is not None:
        from .gate import finish_run

        finish_run(run, session, ledger)


def _report_after_session(arrived: dict[str, int]) -> None:
    """At exit: what threads still sent once the session had ended (it was not scanned)."""
    if not arrived:
        return
    from .messages import after_session_lines

    for line in after_session_lines(arrived):
        print(line, file=sys.stderr)


def _late_arrivals(installation: Installation, threads_before: set[threading.Thread]) -> list[str]:
    """What arrived after its test ended, what was sent before any test, what may still come."""
    router = installation.router
    threads_left = sorted(
        thread.name
        for thread in threading.enumerate()
        if thread not in threads_before and not thread.daemon and not thread.name.startswith("sentry")
    )
    if not (router.late_captures or router.unattributed.envelopes or threads_left):
        return []
    from .messages import late_arrival_lines

    return late_arrival_lines(router, threads_left)


def _needs_ledger(run: RunState, installation: Installation | None) -> bool:
    """Whether the session's end needs the gate's ledger: most runs of a suite whose tests send
    nothing do not, and then the gate module is never imported."""
    if run.ledger is not None or run.declared or run.base["allow"]:
        return True  # unused allow entries are reported
    settings = run.checked_settings()
    if settings.report or settings.sarif or settings.html:
        return True
    router = installation.router if installation is not None else None
    return router is not None and bool(router.late_captures or router.unattributed.envelopes)


def merge_worker(run: RunState, workeroutput: dict[str, Any]) -> None:
    """On the xdist controller: merge what a worker captured, saw arrive late and scanned."""
    data = json.loads(workeroutput.get("sentry_check", "{}"))
    run.captured.extend((nodeid, lines) for nodeid, lines in data.get("captured", []))
    run.late.extend(
        line for line in data.get("late", []) if line not in run.late
    )  # conftest imports: every process
    if data.get("gate"):
        from .gate import ledger_of

        ledger_of(run).merge(data["gate"])
    else:  # the worker scanned nothing: it only ran tests
        run.tests_run.update(data.get("tests_run", []))
    if data.get("sent") and run.sent is not None:
        run.sent.merge(data["sent"])


def terminal_summary(run: RunState, terminalreporter: Any) -> None:
    """What each test sent (``--sentry-summary``), the gate's verdict, and late arrivals."""
    if getattr(run.config, "workeroutput", None) is not None:
        return  # an xdist worker: the controller reports
    recorded = run.captured
    captured = [(nodeid, lines) for nodeid, lines in recorded if lines]
    if run.checked_settings().summary:
        terminalreporter.write_sep("-", "sentry-check: what each test sent to Sentry")
        for nodeid, lines in sorted(captured):
            terminalreporter.write_line(f"{nodeid}: {lines[0]}")
            for line in lines[1:]:
                terminalreporter.write_line(line)
        silent = len(recorded) - len(captured)
        terminalreporter.write_line(f"{len(captured)} tests sent something to Sentry, {silent} sent nothing.")
    _gate_summary(run, terminalreporter)
    if run.late:
        terminalreporter.write_sep("-", "sentry-check: late arrivals")
        for line in run.late:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            "Join the threads that send them before the test ends, or wait for them with "
            f"sentry_events.wait_for(...) (see {doc_url('capture.md', 'late-arrivals')})."
        )


def _gate_summary(run: RunState, terminalreporter: Any) -> None:
    if run.ledger is not None:
        from .gate import write_summary

        write_summary(terminalreporter, run.config, run.ledger)
        return
    # nothing was scanned, nothing declared: no need for the gate module
    mode = run.base["gate"]
    if mode != "off":
        terminalreporter.write_sep("-", f"sentry-check: leak gate ({mode})")
        count = len(run.tests_run)
        tests = f"{count} test{'s' if count != 1 else ''}"  # inline: the gate is not loaded
        nothing = "no secret or personal data found"  # as GateLedger.summary_lines says it
        terminalreporter.write_line(f"0 envelopes from {tests} scanned: {nothing}.")
