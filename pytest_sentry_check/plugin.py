"""The pytest plugin: hooks, ini keys, the ``sentry_check`` marker and the fixtures.

Installed means active: from the moment pytest loads its plugins, every Sentry client in
the process sends into pytest-sentry-check, and each test gets its own capture.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import warnings
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import sentry_sdk

from ._capture import Installation, flush_pending
from ._options import (
    GATE_MODES,
    SDK_ERROR_MODES,
    CheckOptions,
    merge_markers,
    parse_option_lines,
    validate_allow,
)
from ._scopes import client_in_use
from ._session import CaptureSession, _installations, install, uninstall
from ._store import Capture

# Only the capture core is imported when pytest loads the plugin: the gate, the scanner, the
# query API and the reports are imported when a run first needs them (most tests send nothing).
if TYPE_CHECKING:
    from sentry_sdk.envelope import Envelope

    from ._dropped import SdkError
    from ._gate import GateFinding, GateLedger
    from ._query import SentryEvents
    from .scan import Detector, SecretRegistry

__all__ = ["TEST_DSN"]


def __getattr__(name: str) -> Any:
    if name == "SentryCheckWarning":  # re-exported for old imports; imported when asked
        from ._warnings import SentryCheckWarning

        return SentryCheckWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The DSN ``sentry_init`` uses when none is given; ``.invalid`` never resolves.
TEST_DSN = "https://publickey@o0.ingest.sentry.invalid/0"

_LEAKS: pytest.StashKey[str] = pytest.StashKey()
_LEAK_REPORTS = "sentry_check_leak_reports"
_XDIST_CONTROLLER = "sentry_check_xdist_controller"
_OPTIONS: pytest.StashKey[CheckOptions] = pytest.StashKey()
_UNMARKED: pytest.StashKey[CheckOptions] = pytest.StashKey()
_INSTALLATION: pytest.StashKey[Installation] = pytest.StashKey()
_BASE: pytest.StashKey[dict[str, Any]] = pytest.StashKey()
_CAPTURED: pytest.StashKey[list[tuple[str, list[str]]]] = pytest.StashKey()
_LATE: pytest.StashKey[list[str]] = pytest.StashKey()
_DETECTORS_BEFORE: pytest.StashKey[list[Detector]] = pytest.StashKey()
_THREADS: pytest.StashKey[set[threading.Thread]] = pytest.StashKey()
_LEDGER: pytest.StashKey[GateLedger] = pytest.StashKey()
_TESTS_RUN: pytest.StashKey[set[str]] = pytest.StashKey()
_DECLARED: pytest.StashKey[set[tuple[str, str]]] = pytest.StashKey()
# A canary registry (sentry_secrets) can only be open once this module is imported: most runs never.
_CANARIES = "pytest_sentry_check.scan._canaries"
_VALIDATE: pytest.StashKey[str] = pytest.StashKey()
_DATASCRUBBING_BEFORE: pytest.StashKey[Any] = pytest.StashKey()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sentry-check", "capture what the application sends to Sentry")
    group.addoption(
        "--sentry-sdk-errors",
        dest="sentry_sdk_errors",
        choices=SDK_ERROR_MODES,
        default=None,
        help="when the SDK swallows an exception from the app's callbacks: fail the test "
        "(default), warn, or ignore. Ini: sentry_sdk_errors.",
    )
    group.addoption(
        "--sentry-summary",
        dest="sentry_summary",
        action="store_true",
        default=False,
        help="list what each test sent to Sentry in the terminal summary.",
    )
    group.addoption(
        "--sentry-gate",
        dest="sentry_gate",
        choices=GATE_MODES,
        default=None,
        help="scan everything each test made the app send to Sentry for secrets and personal data: "
        "fail the test and the run (default), warn, or off. Ini: sentry_gate.",
    )
    group.addoption(
        "--sentry-validate",
        dest="sentry_validate",
        choices=GATE_MODES,
        default=None,
        help="check every event with Relay's normalizer and Sentry's limits (needs the relay "
        "extra): fail, warn (default when sentry-relay is installed) or off. Ini: sentry_validate.",
    )
    group.addoption(
        "--sentry-baseline",
        dest="sentry_baseline",
        metavar="PATH",
        default=None,
        help="a baseline file of accepted findings: only findings not in it fail the gate.",
    )
    group.addoption(
        "--sentry-baseline-update",
        dest="sentry_baseline_update",
        action="store_true",
        default=False,
        help="write the findings of the tests that ran to the --sentry-baseline file "
        "(and do not fail on them).",
    )
    group.addoption(
        "--sentry-report",
        dest="sentry_report",
        metavar="PATH",
        default=None,
        help="write the gate's findings as JSON (schema: docs/gate.md#json-report).",
    )
    group.addoption(
        "--sentry-sarif",
        dest="sentry_sarif",
        metavar="PATH",
        default=None,
        help="write the gate's findings as SARIF 2.1.0 (GitHub code scanning).",
    )
    parser.addini(
        "sentry_gate",
        default="fail",
        help="fail, warn or off: the leak gate over everything the tests made the app send to Sentry.",
    )
    parser.addini(
        "sentry_validate",
        default="",
        help="fail, warn or off: check every event with Relay's normalizer and Sentry's limits "
        "(default: warn when sentry-relay is installed, else off).",
    )
    parser.addini(
        "sentry_datascrubbing",
        default="",
        help="a JSON file of the Sentry project's data-scrubbing settings (relative to the ini "
        "file): the default of scan(stage='server') and of the gate's stored_after_relay.",
    )
    parser.addini(
        "sentry_allow",
        type="linelist",
        default=[],
        help="findings the gate allows everywhere: rule ids or path globs, one per line.",
    )
    parser.addini(
        "sentry_options",
        type="linelist",
        default=[],
        help="sentry_sdk.init options applied on top of the application's, one "
        "'name = value' per line (e.g. traces_sample_rate = 1.0).",
    )
    parser.addini(
        "sentry_sdk_errors",
        default="fail",
        help="fail, warn or ignore: what to do when the SDK swallowed an exception from "
        "the app's callbacks (before_send, traces_sampler, ...) or from serialization.",
    )


def _ini_overrides(config: pytest.Config) -> dict[str, Any]:
    try:
        return parse_option_lines(config.getini("sentry_options"), "ini sentry_options")
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None


def _base_options(config: pytest.Config) -> dict[str, Any]:
    """The ini and command-line settings, under the marker's keys (read after option parsing)."""
    if _BASE not in config.stash:
        mode = config.getoption("sentry_sdk_errors", None) or config.getini("sentry_sdk_errors")
        if mode not in SDK_ERROR_MODES:
            raise pytest.UsageError(
                f"sentry_sdk_errors must be one of {', '.join(SDK_ERROR_MODES)}, not {mode!r}"
            )
        gate = config.getoption("sentry_gate", None) or config.getini("sentry_gate")
        if gate not in GATE_MODES:
            raise pytest.UsageError(f"sentry_gate must be one of {', '.join(GATE_MODES)}, not {gate!r}")
        try:
            allow = validate_allow(config.getini("sentry_allow"), "ini sentry_allow")
        except TypeError as exc:
            raise pytest.UsageError(str(exc)) from None
        validate = config.getoption("sentry_validate", None) or config.getini("sentry_validate")
        relay = importlib.util.find_spec("sentry_relay") is not None
        if validate and validate not in GATE_MODES:
            raise pytest.UsageError(
                f"sentry_validate must be one of {', '.join(GATE_MODES)}, not {validate!r}"
            )
        if validate in ("fail", "warn") and not relay:
            raise pytest.UsageError(
                f"sentry_validate={validate} needs Relay's normalizer: "
                "pip install 'pytest-sentry-check[relay]'"
            )
        config.stash[_VALIDATE] = validate or ("warn" if relay else "off")
        config.stash[_BASE] = {
            "sdk_errors": mode,
            "options": _ini_overrides(config),
            "gate": gate,
            "allow": allow,
        }
    return config.stash[_BASE]


def _install(config: pytest.Config) -> None:
    if _INSTALLATION not in config.stash:
        config.stash[_INSTALLATION] = install(_ini_overrides(config))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Before conftest files are imported: an app that calls sentry_sdk.init at import time
    # must already get the capture transport.
    _install(early_config)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sentry_check(*, capture=True, options={}, sdk_errors='fail'): per-test settings of "
        "pytest-sentry-check (closest marker wins, key by key).",
    )
    _install(config)
    _base_options(config)
    config.stash[_TESTS_RUN] = set()
    config.stash[_DECLARED] = set()
    _runs.append(_Run(config))
    plugins = config.pluginmanager
    if plugins.hasplugin("xdist") and not plugins.has_plugin(_XDIST_CONTROLLER):
        plugins.register(_XdistController(), _XDIST_CONTROLLER)
    if config.getoption("sentry_baseline", None) or config.getoption("sentry_baseline_update", False):
        from ._run_gate import ledger_of

        ledger_of(config)  # a bad baseline file is a usage error before any test runs
    detectors = [d for batch in config.hook.pytest_sentry_check_detectors(config=config) for d in batch]
    if detectors:
        from .scan import set_plugin_detectors

        config.stash[_DETECTORS_BEFORE] = set_plugin_detectors(detectors)
    datascrubbing = _datascrubbing(config)
    if datascrubbing is not None:
        from .scan._server_stage import set_project_datascrubbing

        config.stash[_DATASCRUBBING_BEFORE] = set_project_datascrubbing(datascrubbing)


def _datascrubbing(config: pytest.Config) -> dict[str, Any] | None:
    name = config.getini("sentry_datascrubbing")
    if not name:
        return None
    from .scan._server_stage import load_datascrubbing

    path = (config.inipath.parent if config.inipath else config.rootpath) / name
    try:
        return load_datascrubbing(path)
    except (OSError, ValueError, TypeError) as exc:
        raise pytest.UsageError(f"sentry_datascrubbing: {path}: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    _runs[:] = [run for run in _runs if run.config is not config]
    if _DATASCRUBBING_BEFORE in config.stash:
        from .scan._server_stage import set_project_datascrubbing

        set_project_datascrubbing(config.stash[_DATASCRUBBING_BEFORE])
    if _DETECTORS_BEFORE in config.stash:
        from .scan import set_plugin_detectors

        previous: list[Detector] = config.stash[_DETECTORS_BEFORE]
        set_plugin_detectors(previous)
    installation = config.stash.get(_INSTALLATION, None)
    if installation is not None:
        uninstall(installation)
        del config.stash[_INSTALLATION]


def pytest_report_header(config: pytest.Config) -> list[str]:
    base = _base_options(config)
    overrides = ", ".join(f"{k}={v!r}" for k, v in base["options"].items()) or "none"
    gate = f"sentry-check: gate={base['gate']}"
    if base["gate"] != "off":
        baseline = config.getoption("sentry_baseline", None)
        if baseline:
            update = " (update)" if config.getoption("sentry_baseline_update", False) else ""
            gate += f", baseline={baseline}{update}"
        if base["allow"]:
            gate += f", allow={len(base['allow'])} ini entries"
    gate += f"; validate={config.stash[_VALIDATE]}"
    return [
        f"sentry-check: capturing (sentry-sdk {sentry_sdk.VERSION}), sdk_errors={base['sdk_errors']}, "
        f"option overrides: {overrides}",
        gate,
    ]


def _options_for(item: pytest.Item, marked: bool | None = None) -> CheckOptions:
    """The test's options; ``marked``: whether a ``sentry_check`` marker applies, if known."""
    __tracebackhide__ = True
    if marked is None:
        marked = "sentry_check" in item.keywords
    if not marked:  # most tests: the same options, computed once
        return _unmarked(item.config)
    if _OPTIONS not in item.stash:
        marks = list(item.iter_markers("sentry_check"))
        if not marks:
            return _unmarked(item.config)
        if any(mark.args for mark in marks):
            raise TypeError("@pytest.mark.sentry_check takes keyword arguments only")
        item.stash[_OPTIONS] = merge_markers([m.kwargs for m in marks], _base_options(item.config))
    return item.stash[_OPTIONS]


def _unmarked(config: pytest.Config) -> CheckOptions:
    """The options of a test without a sentry_check marker: the ini's and command line's."""
    if _UNMARKED not in config.stash:
        config.stash[_UNMARKED] = merge_markers([], _base_options(config))
    return config.stash[_UNMARKED]


class _Run:
    """What the per-test hooks need of a pytest run, found without a stash lookup (they run for
    every test, and most tests send nothing): the options of unmarked tests, and the test now
    running."""

    __slots__ = ("config", "running", "summary", "tests_run", "unmarked", "validate")

    def __init__(self, config: pytest.Config):
        self.config = config
        self.validate = config.stash[_VALIDATE]
        self.summary = bool(config.getoption("sentry_summary", False))
        self.tests_run = config.stash[_TESTS_RUN]
        self.unmarked: CheckOptions | None = None  # on first use: a bad ini fails that test
        self.running: _Running | None = None


#: One per pytest run, the innermost last (pytester runs pytest inside a test).
_runs: list[_Run] = []


def _run_of(config: pytest.Config) -> _Run | None:
    """The run ``config`` belongs to: the innermost, except for an outer run's hooks (pytester)."""
    if _runs and _runs[-1].config is config:
        return _runs[-1]
    return next((run for run in _runs if run.config is config), None)


def _running_of(item: pytest.Item) -> _Running | None:
    """The capture record of ``item`` while it runs (from its setup to the end of its teardown)."""
    running = _runs[-1].running if _runs else None
    if running is not None and running.item is item:  # the innermost run's test: nearly always
        return running
    run = _run_of(item.config)
    running = run.running if run is not None else None
    return running if running is not None and running.item is item else None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    # A wrapper, and the first one: what other plugins' and conftests' setup hooks send
    # belongs to this test.
    __tracebackhide__ = True
    run = _run_of(item.config)
    if run is None:
        return (yield)
    marked = "sentry_check" in item.keywords  # the markers of the item and its parents
    try:
        options = _options_for(item, marked) if marked or run.unmarked is None else run.unmarked
    except TypeError as exc:
        # pytest's own setup must still run, or its teardown finds its state inconsistent
        yield
        raise exc from None
    if not marked:
        run.unmarked = options
    installation = _installations[-1] if _installations else None
    if installation is not None:
        # capture=False still isolates the test's scope data; it just keeps nothing.
        watched = options.capture and (options.gate != "off" or run.validate != "off")
        session = CaptureSession(
            installation, item.nodeid, options.options, record=options.capture, keep_pending=watched
        )
        session.open(False)
        run.running = _Running(run, item, session, watched)
        if watched and marked:
            from ._run_gate import allow_of

            allow_of(item)  # declared now, so unused entries are reported
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    running = _running_of(item)
    if running is None:
        return (yield)
    # The body starts now: threads started from here on belong to this test; threads that
    # fixtures started (a session-wide worker, say) are not tied to it.
    running.session.mark_threads()
    try:
        return (yield)
    finally:
        if running.watched:
            _end_of_body(item, running)


class _Running:
    """A running test's capture and, when the gate or validation watches it (``watched``), the
    canaries it registered and the findings so far (what is not scanned yet is the capture's
    ``pending``)."""

    __slots__ = ("capture", "found", "item", "run", "secrets", "session", "watched")

    def __init__(self, run: _Run, item: pytest.Item, session: CaptureSession, watched: bool):
        self.run = run
        self.item = item
        self.session = session
        self.capture = session.capture
        self.watched = watched
        self.secrets: set[str] = set()
        self.found: list[GateFinding] = []


def _remember_canaries(running: _Running) -> None:
    """Keep the running test's canaries for the gate's last scan: the sentry_secrets fixture
    forgets them at teardown."""
    if running.watched:
        running.secrets.update(sys.modules[_CANARIES].active_secrets())


def _end_of_body(item: pytest.Item, running: _Running) -> None:
    """Scan what the body sent; a leak that blocks fails the body's report (see _LeakReports)."""
    running.run.tests_run.add(running.capture.name)  # the body ran (not skipped, set up)
    if _CANARIES in sys.modules:
        _remember_canaries(running)
    flush_pending(client_in_use())  # logs, metrics and sessions wait in its buffers
    if not running.capture.pending:
        return
    from ._run_gate import scan_body

    message = scan_body(item, running)
    if message is not None:
        item.stash[_LEAKS] = message
        plugins = item.config.pluginmanager
        if not plugins.has_plugin(_LEAK_REPORTS):
            plugins.register(_LeakReports(), _LEAK_REPORTS)


class _LeakReports:
    """Fails the report of a test body that leaked, whatever its own outcome (xfail included).

    Registered when a test first leaks: a hook on every report would cost every test. Not
    ``tryfirst``: registered late, a tryfirst wrapper would wrap conftests' tryfirst wrappers,
    which would then see a leaking test's report before it fails. As it is, it wraps the
    wrappers registered before it, pytest's xfail handling included.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        message = item.stash.get(_LEAKS, None) if call.when == "call" else None
        if message is not None:
            del item.stash[_LEAKS]
            if report.failed:
                report.sections.append(("sentry-check: leaks", message))
            else:
                if hasattr(report, "wasxfail"):
                    del report.wasxfail
                report.outcome = "failed"
                report.longrepr = message
        return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    running = _running_of(item)
    if running is not None and _CANARIES in sys.modules:
        _remember_canaries(running)
    failures: list[str] = []
    try:
        result = yield
    finally:
        # also when a fixture's teardown raised: what it sent before is still scanned
        if running is not None:
            # Keep nothing per test past its teardown: a large suite would hold every capture.
            run = running.run
            if run.running is running:
                run.running = None
            session = running.session
            session.close()
            if running.watched and (running.capture.pending or running.found or running.secrets):
                from ._run_gate import finish_test

                failures += finish_test(item, running)
            if run.summary and not session.capture.discard:
                from ._messages import describe_capture

                item.config.stash.setdefault(_CAPTURED, []).append(
                    (item.nodeid, describe_capture(session.events))
                )
            if session.capture.sdk_errors:
                failures += _report_sdk_errors(item, session.capture.sdk_errors)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    return result


def _report_sdk_errors(item: pytest.Item, errors: list[SdkError]) -> list[str]:
    """Warn about swallowed exceptions, or return the failure message."""
    mode = _options_for(item).sdk_errors
    if not errors or mode == "ignore":
        return []
    from ._messages import render_sdk_errors

    message = render_sdk_errors(errors)
    if mode == "warn":
        from ._warnings import SentryCheckWarning

        warnings.warn(SentryCheckWarning(message), stacklevel=1)
        return []
    return [message]


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_THREADS] = set(threading.enumerate())


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    installation = config.stash.get(_INSTALLATION, None)
    ledger = None
    if _needs_ledger(config, installation):
        from ._run_gate import ledger_of

        ledger = ledger_of(config)
    if installation is not None:
        if ledger is not None:
            from ._run_gate import scan_late

            scan_late(session, installation, ledger)
        lines = _late_arrivals(installation, config.stash.get(_THREADS, set()))
        late = config.stash.setdefault(_LATE, [])
        late.extend(line for line in lines if line not in late)  # xdist: workers' came first
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports
        ran = config.stash[_TESTS_RUN]
        tests_run = sorted(ran) if ledger is None else []
        workeroutput["sentry_check"] = json.dumps(
            {
                "captured": config.stash.get(_CAPTURED, []),
                "late": config.stash.get(_LATE, []),
                "gate": ledger.to_json() if ledger is not None else {},
                "tests_run": tests_run,  # the ledger's has them
            }
        )
        return
    if ledger is not None:
        from ._run_gate import finish_run

        finish_run(session, ledger)


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
    from ._messages import late_arrival_lines

    return late_arrival_lines(router, threads_left)


def _needs_ledger(config: pytest.Config, installation: Installation | None) -> bool:
    """Whether the session's end needs the gate's ledger: most runs of a suite whose tests send
    nothing do not, and then the gate module is never imported."""
    if _LEDGER in config.stash or config.stash[_DECLARED] or _base_options(config)["allow"]:
        return True  # unused allow entries are reported
    if config.getoption("sentry_report", None) or config.getoption("sentry_sarif", None):
        return True
    router = installation.router if installation is not None else None
    return router is not None and bool(router.late_captures or router.unattributed.envelopes)


class _XdistController:
    """The xdist controller's hook: registered only when pytest-xdist is loaded."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge what a worker captured and saw arrive late."""
        data = json.loads(getattr(node, "workeroutput", {}).get("sentry_check", "{}"))
        config = node.config
        config.stash.setdefault(_CAPTURED, []).extend(
            (nodeid, lines) for nodeid, lines in data.get("captured", [])
        )
        late = config.stash.setdefault(_LATE, [])
        late.extend(
            line for line in data.get("late", []) if line not in late
        )  # conftest imports: every process
        if data.get("gate"):
            from ._run_gate import ledger_of

            ledger_of(config).merge(data["gate"])
        else:  # the worker scanned nothing: it only ran tests
            config.stash[_TESTS_RUN].update(data.get("tests_run", []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    recorded = config.stash.get(_CAPTURED, [])
    captured = [(nodeid, lines) for nodeid, lines in recorded if lines]
    if config.getoption("sentry_summary", False):
        terminalreporter.write_sep("-", "sentry-check: what each test sent to Sentry")
        for nodeid, lines in sorted(captured):
            terminalreporter.write_line(f"{nodeid}: {lines[0]}")
            for line in lines[1:]:
                terminalreporter.write_line(line)
        silent = len(recorded) - len(captured)
        terminalreporter.write_line(f"{len(captured)} tests sent something to Sentry, {silent} sent nothing.")
    _gate_summary(terminalreporter, config)
    late = config.stash.get(_LATE, [])
    if late:
        terminalreporter.write_sep("-", "sentry-check: late arrivals")
        for line in late:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            "Join the threads that send them before the test ends, or wait for them with "
            "sentry_events.wait_for(...) (see docs/capture.md#late-arrivals)."
        )


def _gate_summary(terminalreporter: Any, config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is not None:
        from ._run_gate import write_summary

        write_summary(terminalreporter, config, ledger)
        return
    # nothing was scanned, nothing declared: no need for the gate module
    mode = _base_options(config)["gate"]
    if mode != "off":
        terminalreporter.write_sep("-", f"sentry-check: leak gate ({mode})")
        count = len(config.stash[_TESTS_RUN])
        tests = f"{count} test{'s' if count != 1 else ''}"  # inline: _messages is not loaded at start-up
        nothing = "no secret or personal data found"  # as GateLedger.summary_lines says it
        terminalreporter.write_line(f"0 envelopes from {tests} scanned: {nothing}.")


# -- fixtures ---------------------------------------------------------------------------


def _session_of(request: pytest.FixtureRequest) -> CaptureSession:
    __tracebackhide__ = True
    running = _running_of(request.node) if isinstance(request.node, pytest.Item) else None
    session = running.session if running is not None else None
    if session is None or session.capture.discard:
        pytest.fail(
            f"{request.fixturename}: this test does not capture (it is marked "
            "@pytest.mark.sentry_check(capture=False), or the plugin is not active)",
            pytrace=False,
        )
    return session


@pytest.fixture
def sentry_events(request: pytest.FixtureRequest) -> SentryEvents:
    """What the application sent to Sentry during this test (errors and messages; the
    other item types in its attributes)."""
    return _session_of(request).events


@pytest.fixture
def sentry_secrets() -> Iterator[SecretRegistry]:
    """Canary secrets for this test: ``make(kind)`` creates a unique realistic value, ``add(value)``
    registers one the test has. ``assert_scrubbed`` looks for all of them; outputs mask them."""
    from .scan import SecretRegistry

    registry = SecretRegistry().open()
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture
def sentry_init(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """Initialise the SDK for a test, for code that never calls ``sentry_sdk.init`` itself.

    ``sentry_init(**options)`` calls ``sentry_sdk.init`` with ``dsn`` defaulting to
    :data:`TEST_DSN` (so trace headers and envelopes look as in production) and no other
    default, as sentry-python's own fixture; the previous client is restored after.
    """
    _session_of(request)
    from ._fixtures import sentry_init as init_factory

    yield from init_factory(TEST_DSN)


@pytest.fixture
def capture_events(request: pytest.FixtureRequest) -> Callable[[], list[dict[str, Any]]]:
    """sentry-python's ``capture_events``: ``capture_events()`` returns a list that receives the
    payload of every event and transaction sent after the call."""
    session = _session_of(request)
    from ._fixtures import capture_events as start_factory

    return start_factory(session.capture)


@pytest.fixture
def capture_envelopes(request: pytest.FixtureRequest) -> Callable[[], list[Envelope]]:
    """sentry-python's ``capture_envelopes``: ``capture_envelopes()`` returns a list that receives
    every envelope sent after the call."""
    session = _session_of(request)
    from ._fixtures import capture_envelopes as start_factory

    return start_factory(session.capture)


@pytest.fixture(scope="session")
def _sentry_check_server(pytestconfig: pytest.Config) -> Iterator[tuple[Any, dict[str, Capture]]]:
    """The session's local ingest server (started on first use), and which test owns each key."""
    installation = pytestconfig.stash.get(_INSTALLATION, None)
    if installation is None:
        pytest.fail("sentry_server: pytest-sentry-check is not active", pytrace=False)
    from ._fixtures import local_server

    yield from local_server(installation)


@pytest.fixture
def sentry_server(
    _sentry_check_server: tuple[Any, dict[str, Capture]], request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A local Sentry ingest server on loopback, for processes the test cannot patch.

    Hand ``sentry_server.dsn`` to a subprocess (``SENTRY_DSN``): what it sends arrives in this
    test's ``sentry_events`` and goes through the leak gate. The DSN's key is this test's, so
    what arrives after the test ended is its late arrival, never the next test's. Faults for the
    next requests: ``fail_next(status=429, retry_after=60)``, ``slow_next(seconds)``,
    ``reset_next()``. The server lives for the session; faults are cleared around each test.
    """
    from ._fixtures import server_view

    running = _running_of(request.node) if isinstance(request.node, pytest.Item) else None
    yield from server_view(*_sentry_check_server, running.capture if running is not None else None)
