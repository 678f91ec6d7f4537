"""The state of one pytest run, and of the test it is running.

One :class:`RunState` per pytest config (pytester runs pytest inside a test, so runs nest),
kept on a stack as well as in ``config.stash``: the per-test hooks run for every test, and most
tests send nothing, so they find their run without a stash lookup.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._sdk_import import SDK, when_sdk_imported

from .options import CheckOptions, merge_markers
from .settings import Settings, ini_overrides, report_test_run

if TYPE_CHECKING:
    from pytest_sentry_check._capture.install import Installation
    from pytest_sentry_check._capture.session import CaptureSession
    from pytest_sentry_check._gate.finding import GateFinding
    from pytest_sentry_check._gate.ledger import GateLedger
    from pytest_sentry_check._query.events import SentryEvents
    from pytest_sentry_check._scan.detectors import Detector

    from .html import SentPayloads
    from .spotlight import SpotlightForwarder

__all__ = [
    "UNSET",
    "RunState",
    "Running",
    "is_outermost",
    "run_of",
    "run_state",
    "running_of",
    "runs",
    "start",
    "stop",
]

_OPTIONS: pytest.StashKey[CheckOptions] = pytest.StashKey()
#: what ``detectors_before`` and ``datascrubbing_before`` hold while nothing was set
UNSET: Any = object()


class Running:
    """A running test's capture and, when the gate or validation watches it (``watched``), the
    canaries it registered and the findings so far (what is not scanned yet is the capture's
    ``pending``)."""

    __slots__ = ("_events", "capture", "found", "item", "options", "run", "secrets", "session", "watched")

    def __init__(
        self,
        run: RunState,
        item: pytest.Item,
        session: CaptureSession,
        watched: bool,
        options: CheckOptions,
    ):
        self.run = run
        self.item = item
        self.options = options
        self.session = session
        self.capture = session.capture
        self.watched = watched
        self.secrets: set[str] = set()
        self.found: list[GateFinding] = []
        self._events: SentryEvents | None = None

    @property
    def events(self) -> SentryEvents:
        """The query object over this test's capture (made on first use: most tests never ask)."""
        if self._events is None:
            from pytest_sentry_check._query.events import SentryEvents

            self._events = SentryEvents(self.capture)
        return self._events


class RunState:
    """What the plugin knows of one pytest run: its settings, the SDK installation, the test
    now running, what the tests sent (for the summary) and the gate's ledger once needed."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.installation: Installation | None = None
        self.settings: Settings | None = None
        #: node ids of the tests whose body ran (and ``BEFORE_FIRST_TEST`` once scanned)
        self.tests_run: set[str] = set()
        #: ``(origin, entry)`` of every allow entry declared (markers and ini)
        self.declared: set[tuple[str, str]] = set()
        #: ``(node id, lines)`` per test, for ``--sentry-summary``
        self.captured: list[tuple[str, list[str]]] = []
        self.late: list[str] = []
        self.ledger: GateLedger | None = None
        #: what each test sent, for ``--sentry-html`` (None without it)
        self.sent: SentPayloads | None = None
        self.running: Running | None = None
        #: ``--sentry-spotlight``'s forwarder (None without it)
        self.spotlight: SpotlightForwarder | None = None
        self.threads_before: set[threading.Thread] = set()
        self.detectors_before: list[Detector] | Any = UNSET
        self.datascrubbing_before: Any = UNSET
        #: the options of a test without a marker, made by :meth:`unmarked` on first use (a bad ini
        #: fails that test); the per-test hooks read it first, as a call costs every test
        self.unmarked_options: CheckOptions | None = None
        #: whether the gate or validation watches an unmarked test (set with ``unmarked_options``)
        self.unmarked_watched = False
        #: the test being set up, run or torn down while the SDK is not imported yet (no capture)
        self.unopened: pytest.Item | None = None
        #: whether the gate or validation would watch ``unopened`` (its body ran: it counts)
        self.unopened_watched = False
        self.unopened_in_body = False
        #: what opens ``unopened``'s capture once the SDK is patched (set by ``per_run``)
        self.on_installed: Callable[[RunState], None] | None = None
        self._stop_waiting: Callable[[], None] | None = None

    def install(self) -> None:
        """Patch the SDK for this run: now if ``sentry_sdk`` is imported, else as soon as
        something imports it (the plugin never imports it at start-up)."""
        if self.installation is not None or self._stop_waiting is not None:
            return
        # a bad ini is a usage error now
        overrides, report = ini_overrides(self.config), report_test_run(self.config)
        if SDK in sys.modules:  # imported before (by pytest-sentry, say): clients may exist
            self._install(overrides, report, find_existing=True)
        else:
            self._stop_waiting = when_sdk_imported(lambda: self._install(overrides, report))

    def _install(self, overrides: dict[str, Any], report: bool, find_existing: bool = False) -> None:
        from pytest_sentry_check._capture.install import install

        self._stop_waiting = None
        if self.installation is None:
            self.installation = install(overrides, report_test_run=report, find_existing=find_existing)
            # the ini's pass-through holds outside tests too (an app's init at import)
            self.installation.passthrough = bool(self.config.getini("sentry_passthrough"))
            if self.on_installed is not None:
                self.on_installed(self)

    def require_sdk(self) -> Installation | None:
        """Import (and so patch) the SDK now: a fixture of the plugin needs it."""
        if self.installation is None and self._stop_waiting is not None:
            import sentry_sdk  # noqa: F401  (the import hook installs)
        return self.installation

    def stop_waiting(self) -> None:
        """Stop waiting for the SDK's import (the run ends)."""
        if self._stop_waiting is not None:
            stop, self._stop_waiting = self._stop_waiting, None
            stop()

    @property
    def base(self) -> dict[str, Any]:
        """The ini and command-line settings under the marker's keys."""
        return self.checked_settings().base

    def checked_settings(self) -> Settings:
        if self.settings is None:
            self.settings = Settings(self.config)
        return self.settings

    @property
    def validate(self) -> str:
        return self.checked_settings().validate

    def unmarked(self) -> CheckOptions:
        """The options of a test without a ``sentry_check`` marker: the ini's and command line's."""
        if self.unmarked_options is None:
            self.unmarked_options = merge_markers([], self.base)
            self.unmarked_watched = self.watches(self.unmarked_options)
        return self.unmarked_options

    def watches(self, options: CheckOptions) -> bool:
        """Whether the gate or validation looks at what a test with ``options`` sends."""
        return options.capture and (options.gate != "off" or self.checked_settings().validate != "off")

    def is_unmarked(self, options: CheckOptions) -> bool:
        return options is self.unmarked_options

    def options_for(self, item: pytest.Item, marked: bool | None = None) -> CheckOptions:
        """The test's options; ``marked``: whether a ``sentry_check`` marker applies, if known."""
        __tracebackhide__ = True
        if marked is None:
            marked = "sentry_check" in item.keywords
        if not marked:  # most tests: the same options, computed once
            return self.unmarked_options or self.unmarked()
        if _OPTIONS not in item.stash:
            marks = list(item.iter_markers("sentry_check"))
            if not marks:
                return self.unmarked()
            if any(mark.args for mark in marks):
                raise TypeError("@pytest.mark.sentry_check takes keyword arguments only")
            item.stash[_OPTIONS] = merge_markers([m.kwargs for m in marks], self.base)
        return item.stash[_OPTIONS]


#: One per pytest run, the innermost last (pytester runs pytest inside a test). The per-test
#: hooks read it inline: ``run_of`` is a call, and they run three times per test.
runs: list[RunState] = []
_RUN: pytest.StashKey[RunState] = pytest.StashKey()


def run_state(config: pytest.Config) -> RunState:
    """The run of ``config``, made on first use."""
    run = config.stash.get(_RUN, None)
    if run is None:
        run = config.stash[_RUN] = RunState(config)
    return run


def start(run: RunState) -> None:
    """Make ``run`` the innermost run (its hooks' fast path)."""
    runs.append(run)


def is_outermost(run: RunState) -> bool:
    """Whether no other run encloses ``run`` (pytester runs pytest inside a test)."""
    return bool(runs) and runs[0] is run


def stop(run: RunState) -> None:
    runs[:] = [other for other in runs if other is not run]
    del run.config.stash[_RUN]


def run_of(config: pytest.Config) -> RunState | None:
    """The run ``config`` belongs to: the innermost, except for an outer run's hooks (pytester)."""
    if runs and runs[-1].config is config:
        return runs[-1]
    return next((run for run in runs if run.config is config), None)


def running_of(item: pytest.Item) -> Running | None:
    """The capture record of ``item`` while it runs (from its setup to the end of its teardown)."""
    running = runs[-1].running if runs else None
    if running is not None and running.item is item:  # the innermost run's test: nearly always
        return running
    run = run_of(item.config)
    running = run.running if run is not None else None
    return running if running is not None and running.item is item else None
