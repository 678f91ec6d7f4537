"""The pytest plugin: hooks, the ``sentry_check`` marker and the fixtures.

Installed means active: from the moment pytest loads its plugins, every Sentry client in
the process sends into pytest-sentry-check, and each test gets its own capture. Each hook
delegates to the run's state (``_run.state.RunState``) and the modules of ``_run``. Loading the
plugin imports neither sentry-sdk nor the capture core: the SDK is patched when the suite
imports it (the gate, the scanner, the query API and the reports are imported when a run first
needs them: most tests send nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._run import per_run, per_test
from pytest_sentry_check._run.settings import add_options
from pytest_sentry_check._run.state import Running, run_of, run_state, running_of

if TYPE_CHECKING:
    from sentry_sdk.envelope import Envelope

    from pytest_sentry_check._capture.store import Capture
    from pytest_sentry_check._query.events import SentryEvents
    from pytest_sentry_check._scan.secrets import SecretRegistry
    from pytest_sentry_check._server.app import SentryServer, ServerView

__all__ = ["TEST_DSN"]


def __getattr__(name: str) -> Any:
    if name == "SentryCheckWarning":  # re-exported for old imports; imported when asked
        from pytest_sentry_check._warnings import SentryCheckWarning

        return SentryCheckWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: A DSN for tests that want one (``sentry_init(dsn=TEST_DSN)``); ``.invalid`` never resolves.
TEST_DSN = "https://publickey@o0.ingest.sentry.invalid/0"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_sentry_check import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # Before conftest files are imported: an app that calls sentry_sdk.init at import time
    # must already get the capture transport (the SDK is patched when it is first imported).
    per_run.install(run_state(early_config))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sentry_check(*, capture=True, options={}, sdk_errors='fail', gate='fail', allow=[], "
        "fail_on='high', strict=False, passthrough=False): "
        "per-test settings of pytest-sentry-check (closest marker wins, key by key).",
    )
    per_run.configure(run_state(config))
    if getattr(config.option, "htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(_PytestHtmlExtras(), "sentry_check_pytest_html")


class _PytestHtmlExtras:
    """pytest-html's extras: each test's findings, masked, in its row of the report (registered
    only when pytest-html writes one)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        run = run_of(item.config)
        if call.when == "teardown" and run is not None and run.ledger is not None:
            from pytest_sentry_check._run.html import html_extras

            extras = html_extras(run.ledger.findings, item.nodeid)
            if extras:
                report.extras = [*getattr(report, "extras", []), *extras]
        return report


def pytest_unconfigure(config: pytest.Config) -> None:
    per_run.unconfigure(run_state(config))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return per_run.report_header(run_state(config))


# The per-test hooks are ``_run.per_test``'s generators themselves (a generator delegating to
# them would cost every test): wrappers, and the first ones, so what other plugins' and
# conftests' setup hooks send belongs to the test.
pytest_runtest_setup = pytest.hookimpl(wrapper=True, tryfirst=True)(per_test.setup)
pytest_runtest_call = pytest.hookimpl(wrapper=True, tryfirst=True)(per_test.call)
pytest_runtest_teardown = pytest.hookimpl(wrapper=True, tryfirst=True)(per_test.teardown)


def pytest_sessionstart(session: pytest.Session) -> None:
    per_run.session_start(run_state(session.config))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    per_run.session_finish(run_state(session.config), session)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    per_run.terminal_summary(run_state(config), terminalreporter)


# -- fixtures ---------------------------------------------------------------------------


def _running(request: pytest.FixtureRequest) -> Running:
    __tracebackhide__ = True
    item = request.node if isinstance(request.node, pytest.Item) else None
    running = running_of(item) if item is not None else None
    if running is None and item is not None:
        run = run_of(request.config)
        if run is not None and run.unopened is item:
            run.require_sdk()  # the SDK is patched when imported, and the test's capture opens
            running = running_of(item)
    if running is None or running.capture.discard:
        pytest.fail(
            f"{request.fixturename}: this test does not capture (it is marked "
            "@pytest.mark.sentry_check(capture=False), or the plugin is not active)",
            pytrace=False,
        )
    return running


@pytest.fixture
def sentry_events(request: pytest.FixtureRequest) -> SentryEvents:
    """What the application sent to Sentry during this test (errors and messages; the
    other item types in its attributes)."""
    return _running(request).events


@pytest.fixture
def sentry_secrets() -> Iterator[SecretRegistry]:
    """Canary secrets for this test: ``make(kind)`` creates a unique realistic value, ``add(value)``
    registers one the test has. ``assert_scrubbed`` looks for all of them; outputs mask them."""
    from pytest_sentry_check._scan.secrets import SecretRegistry

    registry = SecretRegistry().open()
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture
def sentry_init(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """Initialise the SDK for a test, for code that never calls ``sentry_sdk.init`` itself.

    ``sentry_init(**options)`` calls ``sentry_sdk.init`` with the options as given, no default,
    as sentry-python's own fixture (pass ``dsn=TEST_DSN`` for a DSN); an explicit ``transport=``
    is kept and gets every envelope the capture gets. The previous client is restored after.
    """
    running = _running(request)
    from pytest_sentry_check._run.fixtures import sentry_init as init_factory

    installation = running.run.installation
    assert installation is not None  # a running capture means the SDK is patched
    yield from init_factory(installation)


@pytest.fixture
def capture_events(request: pytest.FixtureRequest) -> Callable[[], list[dict[str, Any]]]:
    """sentry-python's ``capture_events``: ``capture_events()`` returns a list that receives the
    payload of every event and transaction sent after the call."""
    running = _running(request)
    from pytest_sentry_check._run.fixtures import capture_events as start_factory

    return start_factory(running.capture)


@pytest.fixture
def capture_envelopes(request: pytest.FixtureRequest) -> Callable[[], list[Envelope]]:
    """sentry-python's ``capture_envelopes``: ``capture_envelopes()`` returns a list that receives
    every envelope sent after the call."""
    running = _running(request)
    from pytest_sentry_check._run.fixtures import capture_envelopes as start_factory

    return start_factory(running.capture)


@pytest.fixture(scope="session")
def _sentry_check_server(pytestconfig: pytest.Config) -> Iterator[tuple[SentryServer, dict[str, Capture]]]:
    """The session's local ingest server (started on first use), and which test owns each key."""
    run = run_of(pytestconfig)
    installation = run.require_sdk() if run is not None else None
    if run is None or installation is None:
        pytest.fail("sentry_server: pytest-sentry-check is not active", pytrace=False)
    from pytest_sentry_check._run.fixtures import local_server

    yield from local_server(installation, run.checked_settings())


@pytest.fixture
def sentry_server(
    _sentry_check_server: tuple[SentryServer, dict[str, Capture]], request: pytest.FixtureRequest
) -> Iterator[ServerView]:
    """A local Sentry ingest server on loopback, for processes the test cannot patch.

    Hand ``sentry_server.dsn`` to a subprocess (``SENTRY_DSN``): what it sends arrives in this
    test's ``sentry_events`` and goes through the leak gate. The DSN's key is this test's, so
    what arrives after the test ended is its late arrival, never the next test's. Faults for the
    next requests: ``fail_next(status=429, retry_after=60)``, ``slow_next(seconds)``,
    ``reset_next()``. The server lives for the session; faults are cleared around each test.
    """
    from pytest_sentry_check._run.fixtures import server_view

    running = running_of(request.node) if isinstance(request.node, pytest.Item) else None
    yield from server_view(*_sentry_check_server, running.capture if running is not None else None)


@pytest.fixture
def sentry_page(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-playwright's ``page``, with the browser SDK's envelope requests
    (``*/api/*/envelope/``) routed into this test's capture: the page's errors, replays and
    feedback land in ``sentry_events`` and the leak gate, and nothing reaches Sentry. Needs
    pytest-playwright; ``sentry_events...wait_for(...)`` lets the page run while it waits."""
    running = _running(request)
    run = run_of(request.config)
    assert run is not None
    assert run.installation is not None
    from pytest_sentry_check._run.browser import sentry_page as page_factory

    yield from page_factory(
        request, run.installation.router, running.capture, run.checked_settings().server_limits
    )
