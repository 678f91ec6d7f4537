"""One test's life under the plugin: its capture opens at setup, the gate scans what the body
sent, and teardown closes the capture, scans the rest and reports what the SDK swallowed.

``plugin.py``'s per-test hooks are this module's ``setup``, ``call`` and ``teardown`` (hook
wrappers: generators).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Generator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from .options import CheckOptions
from .state import Running, RunState, run_of, running_of, runs

if TYPE_CHECKING:
    from pytest_sentry_check._capture.dropped import SdkError

__all__ = ["call", "open_unopened", "setup", "teardown"]

_LEAKS: pytest.StashKey[str] = pytest.StashKey()
_LEAK_REPORTS = "sentry_check_leak_reports"
# A canary registry (sentry_secrets) can only be open once this module is imported: most runs never.
_CANARIES = "pytest_sentry_check._scan.secrets"
#: ``pytest_sentry_check._capture.session``, imported when the first capture opens (the SDK
#: is patched then): an import statement in the per-test path would cost every test
_session: ModuleType | None = None


def setup(item: pytest.Item) -> Generator[None, Any, Any]:
    """Open the test's capture before every other setup hook: what they send is the test's."""
    __tracebackhide__ = True
    run = runs[-1] if runs and runs[-1].config is item.config else run_of(item.config)
    if run is None:
        return (yield)
    marked = "sentry_check" in item.keywords  # the markers of the item and its parents
    error: TypeError | None = None
    try:
        options = run.options_for(item, True) if marked else run.unmarked_options or run.unmarked()
    except TypeError as exc:
        error = exc
    if error is not None:
        # pytest's own setup must still run, or its teardown finds its state inconsistent; the
        # marker's error replaces whatever the fixtures then raise (sentry_events cannot run)
        try:
            yield
        finally:
            raise error from None
    watched = run.unmarked_watched if options is run.unmarked_options else run.watches(options)
    if run.installation is not None:
        _open(run, item, options, marked, watched)
    else:  # the SDK is not imported yet: the capture opens when it is (open_unopened)
        run.unopened, run.unopened_watched = item, watched
    return (yield)


def _open(run: RunState, item: pytest.Item, options: CheckOptions, marked: bool, watched: bool) -> Running:
    """Open the test's capture (the SDK is patched)."""
    installation = run.installation
    assert installation is not None
    # capture=False still isolates the test's scope data; it just keeps nothing.
    session = (_session or _import_session()).CaptureSession(
        installation, item.nodeid, options.options, record=options.capture, keep_pending=watched
    )
    installation.passthrough = options.passthrough  # clients made now keep their transport
    session.open(False)
    running = run.running = Running(run, item, session, watched, options)
    if run.spotlight is not None:
        run.spotlight.watch(session.capture, item.nodeid)
    if watched and marked:
        from .gate import allow_of

        allow_of(run, item)  # declared now, so unused entries are reported
    return running


def _import_session() -> ModuleType:
    global _session
    from pytest_sentry_check._capture import session

    _session = session
    return session


def open_unopened(run: RunState) -> None:
    """The SDK was just imported and patched during a test (its body imported the application,
    or it asked for a fixture of the plugin): that test's capture opens now."""
    item, run.unopened = run.unopened, None
    if item is None or run.running is not None:
        return
    marked = "sentry_check" in item.keywords
    running = _open(run, item, run.options_for(item, marked), marked, run.unopened_watched)
    if run.unopened_in_body:
        running.session.mark_threads()


def call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Run the body; then scan what it sent, so a leak fails the test itself."""
    __tracebackhide__ = True
    run = runs[-1] if runs and runs[-1].config is item.config else run_of(item.config)
    if run is None:
        return (yield)
    running = run.running  # running_of(item), as ``run`` is the item's
    if running is not None and running.item is not item:
        running = None
    if running is None:  # the SDK is not imported (yet): its capture opens when it is
        run.unopened_in_body = True
        try:
            result = yield
        finally:
            run.unopened_in_body = False
            running = run.running  # running_of(item), as ``run`` is the item's
            if running is not None and running.item is not item:
                running = None
            if running is not None and running.watched:
                _end_of_body(item, running)
            elif running is None and run.unopened is item and run.unopened_watched:
                run.tests_run.add(item.nodeid)  # the body ran; it sent nothing
        _strict(running)
        return result
    # The body starts now: threads started from here on belong to this test; threads that
    # fixtures started (a session-wide worker, say) are not tied to it.
    running.session.mark_threads()
    try:
        result = yield
    finally:
        if running.watched:
            _end_of_body(item, running)
    if running.options.strict:
        _strict(running)
    return result


def _strict(running: Running | None) -> None:
    """Strict mode, once the body passed: fail it if an event went unmatched by its queries."""
    __tracebackhide__ = True
    if running is None or not running.options.strict or running.session.capture.discard:
        return
    from pytest_sentry_check._masking import also_masking
    from pytest_sentry_check._query.strict import strict_failure

    if _CANARIES in sys.modules:
        _remember_canaries(running)
    with also_masking(running.secrets):
        message = strict_failure(running.capture)
    if message is not None:
        pytest.fail(message, pytrace=False)


def _remember_canaries(running: Running) -> None:
    """Keep the running test's canaries for the gate's last scan and the reports rendered at
    teardown: the sentry_secrets fixture forgets them at its own teardown, which comes first."""
    running.secrets.update(sys.modules[_CANARIES].active_secrets())


def _end_of_body(item: pytest.Item, running: Running) -> None:
    """Scan what the body sent; a leak that blocks fails the body's report (see _LeakReports)."""
    running.run.tests_run.add(running.capture.name)  # the body ran (not skipped, set up)
    if _CANARIES in sys.modules:
        _remember_canaries(running)
    (_session or _import_session()).flush_in_use()  # logs, metrics and sessions wait in its buffers
    if not running.capture.pending:
        return
    from .gate import scan_body

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


def teardown(item: pytest.Item) -> Generator[None, Any, Any]:
    """Close the test's capture after its fixtures' teardown; scan and report what is left."""
    __tracebackhide__ = True
    run = runs[-1] if runs and runs[-1].config is item.config else run_of(item.config)
    running = run.running if run is not None else None  # running_of(item), as ``run`` is the item's
    if running is not None and running.item is not item:
        running = None
    if running is not None and _CANARIES in sys.modules:
        _remember_canaries(running)
    failures: list[str] = []
    try:
        result = yield
    finally:
        if running is None:  # the SDK not imported before: maybe it was during the teardown
            if run is not None and run.unopened is item:
                run.unopened = None
            running = running_of(item)
        # also when a fixture's teardown raised: what it sent before is still scanned
        if running is not None:
            failures += _finish(item, running)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    return result


def _finish(item: pytest.Item, running: Running) -> list[str]:
    # Keep nothing per test past its teardown: a large suite would hold every capture.
    failures: list[str] = []
    run = running.run
    if run.running is running:
        run.running = None
    session = running.session
    session.close()
    settings = run.settings or run.checked_settings()
    if run.installation is not None:
        run.installation.passthrough = settings.base["passthrough"]
    if running.watched and (running.capture.pending or running.found or running.secrets):
        from .gate import finish_test

        failures += finish_test(item, running)
    summary = settings.summary and not session.capture.discard
    if summary or session.capture.sdk_errors:
        from pytest_sentry_check._masking import also_masking  # not at start-up: most tests need none

        with also_masking(running.secrets):
            if summary:
                from .messages import describe_capture

                run.captured.append((item.nodeid, describe_capture(running.events)))
            if session.capture.sdk_errors:
                failures += _report_sdk_errors(run, item, session.capture.sdk_errors)
    if session.capture.foreign_clients:
        from pytest_sentry_check._warnings import SentryCheckWarning

        from .messages import foreign_client_warning

        warnings.warn(
            SentryCheckWarning(foreign_client_warning(session.capture.foreign_clients)), stacklevel=1
        )
    return failures


def _report_sdk_errors(run: RunState, item: pytest.Item, errors: list[SdkError]) -> list[str]:
    """Warn about swallowed exceptions, or return the failure message."""
    mode = run.options_for(item).sdk_errors
    if not errors or mode == "ignore":
        return []
    from .messages import render_sdk_errors

    message = render_sdk_errors(errors)
    if mode == "warn":
        from pytest_sentry_check._warnings import SentryCheckWarning

        warnings.warn(SentryCheckWarning(message), stacklevel=1)
        return []
    return [message]
