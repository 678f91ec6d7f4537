"""Beside other Sentry test kits: clients made before the plugin patched the SDK, and
pytest-sentry (which creates its reporting client when pytest imports it).

pytest-sentry is not in the project's venv: installed there, pytest would load it into every run
of the suite (pytester's too). CI installs it into ``.venv-coexist`` (``pip install --no-deps
--target .venv-coexist "pytest-sentry>=0.3.3,<0.4" "wrapt>=1.14"``); these runs put that folder
on ``PYTHONPATH``. Without it they skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COEXIST = Path(os.environ.get("SENTRY_CHECK_COEXIST_PATH", ROOT / ".venv-coexist"))

#: A conftest that makes every connection or name lookup to a host other than loopback fail
#: loudly, and counts them; the count is printed at exit.
SOCKET_GUARD = """
import atexit, socket, sys

ATTEMPTS = []
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _check(what, host):
    if host not in LOOPBACK:
        ATTEMPTS.append((what, host))
        raise OSError(f"socket guard: {what} to {host!r} attempted")

def connect(self, address):
    if isinstance(address, tuple):
        _check("connect", address[0])
    return _connect(self, address)

def connect_ex(self, address):
    if isinstance(address, tuple):
        _check("connect", address[0])
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    if host is not None:
        _check("getaddrinfo", host.decode() if isinstance(host, bytes) else host)
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
atexit.register(lambda: print("OUTBOUND CONNECTION ATTEMPTS:", len(ATTEMPTS), sorted(set(ATTEMPTS))))
"""

SUITE = """
import sentry_sdk

def test_the_app_reports(request):
    sentry_sdk.init(dsn="https://appkey@o1.ingest.sentry.io/2", traces_sample_rate=1.0)
    with sentry_sdk.start_transaction(name="job"):
        sentry_sdk.capture_message("from the app")
    sentry_sdk.flush()
    if request.config.pluginmanager.has_plugin("sentry_check"):
        assert request.getfixturevalue("sentry_events").one().message == "from the app"

def test_fails_so_pytest_sentry_reports_it():
    raise AssertionError("expected failure")
"""


@pytest.fixture
def beside_pytest_sentry(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A suite run with pytest-sentry installed and configured to report to a (remote) DSN."""
    if not (COEXIST / "pytest_sentry.py").exists():
        if os.environ.get("CI"):
            pytest.fail(f"pytest-sentry is not installed in {COEXIST} (see this module's docstring)")
        pytest.skip(f"pytest-sentry is not installed in {COEXIST} (see this module's docstring)")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(COEXIST), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PYTEST_SENTRY_DSN", "https://runkey@o2.ingest.sentry.io/3")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")
    pytester.makeconftest(SOCKET_GUARD)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_pytest_sentry_alongside_makes_no_outbound_connection(beside_pytest_sentry: pytest.Pytester) -> None:
    """pytest-sentry's client, made when pytest imports it (before the plugin could patch the
    SDK), is found and silenced: 0 connection attempts, said in the header; the app's event is
    still the test's. The same suite without the plugin tries to reach both DSNs (the guard
    works)."""
    result = beside_pytest_sentry.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: pytest-sentry's client is silenced: it sends nothing (ini "
            "sentry_pytest_sentry = report lets it report the test run to its DSN)",
            "plugins: *sentry-0.3.3*",
        ]
    )
    result.stdout.fnmatch_lines(["OUTBOUND CONNECTION ATTEMPTS: 0 []"])

    without = beside_pytest_sentry.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:sentry_check")
    without.stdout.fnmatch_lines(["OUTBOUND CONNECTION ATTEMPTS: *o1.ingest.sentry.io*o2.ingest.sentry.io*"])


def test_pytest_sentry_reports_when_the_user_opts_in(beside_pytest_sentry: pytest.Pytester) -> None:
    """ini sentry_pytest_sentry = report: pytest-sentry's client keeps its transport (it tries
    its DSN), the application's client still sends nothing out."""
    beside_pytest_sentry.makeini("[pytest]\nsentry_pytest_sentry = report\n")
    result = beside_pytest_sentry.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: pytest-sentry's client keeps its own transport: it reports the test "
            "run to its DSN (ini sentry_pytest_sentry = report)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["OUTBOUND CONNECTION ATTEMPTS: * [[]('getaddrinfo', 'o2.ingest.sentry.io')[]]"]
    )


def test_a_bad_pytest_sentry_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsentry_pytest_sentry = loud\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(["ERROR: sentry_pytest_sentry must be one of silence, report, not 'loud'"])


def test_a_client_made_before_the_plugin_patched_the_sdk_is_captured(pytester: pytest.Pytester) -> None:
    """A plugin loaded before this one (``-p``) makes a client of its own at import, on a scope
    of its own: the plugin finds it (it is not the global client) and captures what it sends."""
    pytester.makeconftest(SOCKET_GUARD)
    pytester.makepyfile(
        early_client="""
        import sentry_sdk
        CLIENT = sentry_sdk.Client(dsn="https://earlykey@o3.ingest.sentry.io/4")
        SCOPE = sentry_sdk.Scope(client=CLIENT)
        """,
        test_early="""
        import sentry_sdk
        from sentry_sdk.scope import use_scope
        import early_client

        def test_sent_through_the_early_client(sentry_events):
            with use_scope(early_client.SCOPE):
                sentry_sdk.capture_message("early")
            assert sentry_events.one().message == "early"
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "early_client")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["OUTBOUND CONNECTION ATTEMPTS: 0 []"])
