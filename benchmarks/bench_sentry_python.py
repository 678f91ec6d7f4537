"""sentry-python's own tests as the peer: how many of those that pass without the plugin still
pass with it, their ``sentry_init`` / ``capture_events`` / ``capture_envelopes`` replaced by the
plugin's.

The tests come from the sentry-sdk source distribution on the package index at the installed
version (``pip download --no-binary :all: --no-deps sentry-sdk==VERSION``; never vendored), run
twice on the same subset in the same Python:

1. without the plugin (``-p no:sentry_check``), their conftest as shipped;
2. with the plugin, ``--sentry-gate=off --sentry-sdk-errors=ignore``, after deleting the three
   fixtures from their conftest (so the plugin's serve them).

Prints the ratio of the first run's passing tests that pass in the second, and every test that
does not, with its first error line; exits 1 when one is not in ``KNOWN`` (each listed with its
reason in docs/migration.md). The Python needs pytest-asyncio, pytest-forked, pytest-timeout,
pytest-localserver, werkzeug, executing, jinja2 and python-multipart beside the plugin and FastAPI
(their suite's test dependencies for this subset): ``.ci/run`` makes such a venv.

Usage: python benchmarks/bench_sentry_python.py [--keep DIR] [--python PATH] [TEST_PATH ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

#: The subset: the SDK's basics, client, scope, API, crons, logs, metrics, sessions, scrubber,
#: tracing and its integrations for asyncio, threading, logging, FastAPI and Starlette.
SUBSET = [
    "tests/test_basics.py",
    "tests/test_client.py",
    "tests/test_scope.py",
    "tests/test_api.py",
    "tests/test_crons.py",
    "tests/test_logs.py",
    "tests/test_metrics.py",
    "tests/test_sessions.py",
    "tests/test_scrubber.py",
    "tests/test_dsc.py",
    "tests/test_spotlight.py",
    "tests/tracing",
    "tests/integrations/asyncio",
    "tests/integrations/threading",
    "tests/integrations/logging",
    "tests/integrations/fastapi",
    "tests/integrations/starlette",
]

#: Tests that pass without the plugin and not with it, by design; why, in docs/migration.md
#: ("What remains different"). Node ids without parameters match every parametrization.
KNOWN: dict[str, str] = {}

_TRANSPORTS = "it builds a Client to test the SDK's own transports (HTTP pool, proxies, keep-alive, async)"
#: Tests that check the SDK's own transports: run with the documented per-test pass-through
#: (``@pytest.mark.sentry_check(passthrough=True)``), as such a suite would. Node id prefixes.
PASSTHROUGH: dict[str, str] = {
    "tests/test_client.py::test_proxy": _TRANSPORTS,
    "tests/test_client.py::test_socks_proxy": _TRANSPORTS,
    "tests/test_client.py::test_async_proxy": _TRANSPORTS,
    "tests/test_client.py::test_async_socks_proxy": _TRANSPORTS,
    "tests/test_client.py::test_keep_alive": _TRANSPORTS,
    "tests/test_client.py::test_client_async_context_manager": _TRANSPORTS,
    "tests/test_client.py::test_close_async_with_async_transport": _TRANSPORTS,
    "tests/test_client.py::test_close_with_async_transport_warns": _TRANSPORTS,
    "tests/test_client.py::test_flush_async_uses_shutdown_timeout_default": _TRANSPORTS,
    "tests/test_client.py::test_flush_async_with_async_transport": _TRANSPORTS,
    "tests/test_client.py::test_flush_with_async_transport_warns": _TRANSPORTS,
}

#: A plugin (``-p sentry_check_peer``) that marks the PASSTHROUGH tests.
PEER_PLUGIN = """
import pytest

PASSTHROUGH = {prefixes!r}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(PASSTHROUGH):
            item.add_marker(pytest.mark.sentry_check(passthrough=True))
"""

REPLACE_FIXTURES = """

# pytest-sentry-check's benchmark: the plugin's sentry_init, capture_events, capture_envelopes
del sentry_init, capture_events, capture_envelopes
"""


def _sdist(cache: Path) -> Path:
    """The extracted sentry-sdk source distribution at the installed version."""
    sdk = version("sentry-sdk")
    root = cache / f"sentry_sdk-{sdk}"
    if (root / "tests" / "conftest.py").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps"]
    subprocess.run([*download, f"sentry-sdk=={sdk}", "-d", str(cache)], check=True)
    archive = next(cache.glob(f"sentry[-_]sdk-{sdk}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return root


def _tree(sdist: Path, where: Path, *, replace: bool) -> Path:
    """A copy of the tests (the installed sentry_sdk is imported, not the sdist's source)."""
    shutil.copytree(sdist / "tests", where / "tests")
    shutil.copy(sdist / "pyproject.toml", where / "pyproject.toml")
    if replace:
        with (where / "tests" / "conftest.py").open("a") as conftest:
            conftest.write(REPLACE_FIXTURES)
        (where / "sentry_check_peer.py").write_text(PEER_PLUGIN.format(prefixes=tuple(PASSTHROUGH)))
    return where


def _outcomes(python: str, where: Path, paths: list[str], plugin: str) -> dict[str, str]:
    """Each test's outcome ('passed', 'skipped', or its first error line)."""
    report = where / "report.xml"
    args = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    args += ["-o", "addopts=", "--continue-on-collection-errors"]
    args += ["--junitxml", str(report), "-o", "junit_family=xunit2"]
    # pytest-timeout: a test that hangs (once in CI: test_span_streaming's profiler thread start,
    # order-dependent) fails alone instead of stalling the run
    args += ["--timeout=120"]
    # Their continuous-profiler tests can hang the process on CPython 3.11 (python/cpython#106883):
    # the profiler's thread calls sys._current_frames(), a GC starts inside it and waits, holding
    # the GIL, for the interpreter's thread-list lock that call holds; the main thread waits in
    # Thread.start for that thread, and pytest-timeout's alarm cannot run without the GIL. Seen
    # with and without the plugin (test_segment_span_has_profiler_id under it,
    # test_profile_stops_when_segment_ends without it): left out of both runs
    if sys.version_info < (3, 12):
        args += ["-k", "not test_span_streaming or not profil"]
    if not plugin:
        args += ["-p", "no:sentry_check"]
    else:
        args += ["--sentry-gate=off", "--sentry-sdk-errors=ignore"]
        args += ["-p", "sentry_check_peer"] if plugin == "passthrough" else []
    # a hang not foreseen fails the CI step within 30 minutes instead of stalling it
    subprocess.run(
        [*args, *paths],
        check=False,
        cwd=where,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=1800,
    )
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = _node_id(where, case.get("classname", ""), case.get("name", ""))
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        if problem is None:
            outcomes[name] = "passed"
        elif problem.tag == "skipped":
            outcomes[name] = "skipped"
        else:
            outcomes[name] = (problem.get("message") or problem.tag).splitlines()[0][:160]
    return outcomes


def _node_id(where: Path, classname: str, name: str) -> str:
    """pytest's node id from JUnit's dotted class name (module path, then classes)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        if (where / Path(*parts[:cut])).with_suffix(".py").exists():
            return "::".join(["/".join(parts[:cut]) + ".py", *parts[cut:], name])
    return f"{classname.replace('.', '/')}.py::{name}"


def _known(name: str) -> str | None:
    return KNOWN.get(name) or KNOWN.get(name.partition("[")[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=SUBSET)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--keep", type=Path, help="keep the sdist and the runs' trees here")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="sentry-python-peer-"))
    sdist = _sdist(work / "sdist")
    without = _outcomes(options.python, _tree(sdist, work / "without", replace=False), options.paths, "")
    baseline = sorted(name for name, outcome in without.items() if outcome == "passed")
    print(f"sentry-python {version('sentry-sdk')}: {len(without)} tests in {len(options.paths)} paths")
    unexplained: list[str] = []
    for run, label in (
        ("plugin", "every client captured"),
        ("passthrough", "pass-through for the tests below"),
    ):
        tree = _tree(sdist, work / run, replace=True)
        with_plugin = _outcomes(options.python, tree, options.paths, run)
        lost = [name for name in baseline if with_plugin.get(name) != "passed"]
        if lost and run == "passthrough":  # timing-dependent tests: a loss must happen twice
            again = _outcomes(options.python, tree, lost, run)
            lost = [name for name in lost if again.get(name) != "passed"]
        kept = len(baseline) - len(lost)
        ratio = 100.0 * kept / len(baseline) if baseline else 0.0
        print(
            f"with pytest-sentry-check (gate off, sdk errors ignored; {label}): {kept} of the "
            f"{len(baseline)} tests that pass without it still pass ({ratio:.1f}%)"
        )
        if run == "plugin":
            passthrough = [name for name in lost if name.startswith(tuple(PASSTHROUGH))]
            print(f"  {len(passthrough)} of them test the SDK's own transports: {_TRANSPORTS}")
            lost = [name for name in lost if name not in passthrough]
        else:
            unexplained = [name for name in lost if _known(name) is None]
        for name in lost:
            reason = _known(name) or "NOT EXPLAINED"
            print(f"  {name}: {with_plugin.get(name, 'not run')} [{reason}]")
    if options.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
