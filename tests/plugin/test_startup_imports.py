"""What the plugin imports at start-up (an allow list, by name), and that the SDK is patched when
the suite imports it: in a conftest, a test module, a test body, or for a fixture of the plugin.

Each run is a subprocess: this process imported sentry-sdk long ago.
"""

from __future__ import annotations

import json

import pytest

#: Every module that loading the plugin and running ``pytest_configure`` (and one test that
#: makes no Sentry call) may import beyond what pytest itself imports. No sentry_sdk, no
#: scanner, no Relay, no FastAPI, no gate.
STARTUP_ALLOWED = frozenset(
    {
        "pytest_sentry_check",
        "pytest_sentry_check.plugin",
        "pytest_sentry_check.hookspecs",
        "pytest_sentry_check._docs",
        "pytest_sentry_check._sdk_import",
        "pytest_sentry_check._run",
        "pytest_sentry_check._run.options",
        "pytest_sentry_check._run.per_run",
        "pytest_sentry_check._run.per_test",
        "pytest_sentry_check._run.settings",
        "pytest_sentry_check._run.state",
    }
)

RECORD_MODULES = """
import json, sys

def pytest_sessionstart(session):
    session.config._modules_at_start = sorted(sys.modules)

def pytest_sessionfinish(session):
    with open("modules.json", "w") as f:
        json.dump({"start": session.config._modules_at_start, "end": sorted(sys.modules)}, f)
"""


def _modules(pytester: pytest.Pytester, *args: str) -> tuple[set[str], set[str]]:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)
    result.assert_outcomes(passed=1)
    recorded = json.loads((pytester.path / "modules.json").read_text())
    return set(recorded["start"]), set(recorded["end"])


def test_the_plugin_imports_only_its_allow_list_at_start_up(pytester: pytest.Pytester) -> None:
    """Loading the plugin, pytest_configure and a test with no Sentry call import nothing but
    the allow list: sentry_sdk is imported (and patched) when the application imports it."""
    pytester.makeconftest(RECORD_MODULES)
    pytester.makepyfile("def test_nothing_sentry():\n    pass\n")
    start, end = _modules(pytester)
    base_start, base_end = _modules(pytester, "-p", "no:sentry_check")

    assert sorted(start - base_start - STARTUP_ALLOWED) == []
    assert sorted(end - base_end - STARTUP_ALLOWED) == []
    assert "pytest_sentry_check.plugin" in start  # the plugin was loaded


def test_sentry_sdk_is_not_imported_before_the_suites_own_modules(pytester: pytest.Pytester) -> None:
    """sentry-python's own tests/__init__.py asserts this; the suite's conftest then imports and
    initialises the SDK, and the test's events are captured (nothing sent out)."""
    pytester.makeconftest(
        """
        import sys
        assert "sentry_sdk" not in sys.modules, "the plugin imported sentry_sdk"
        import sentry_sdk
        sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/2")
        """
    )
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_captured(sentry_events):
            sentry_sdk.capture_message("from the app")
            assert sentry_events.one().message == "from the app"
            assert type(sentry_sdk.get_client().transport).__name__ == "CaptureTransport"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_sdk_imported_in_a_test_body_is_patched_and_captured(pytester: pytest.Pytester) -> None:
    """An application imported inside the body: the test's capture opens then, its events are
    the test's (queried after, and scanned by the gate), and the next test starts clean."""
    pytester.makepyfile(
        app="""
        import sentry_sdk
        sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/2")

        def fail():
            sentry_sdk.capture_message("token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
        """,
        test_app="""
        import sys
        import pytest

        def test_imports_the_app(request):
            assert "sentry_sdk" not in sys.modules
            import app
            app.fail()
            assert request.getfixturevalue("sentry_events").one().message.startswith("token")

        def test_next(sentry_events):
            import app
            assert len(sentry_events) == 0
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_imports_the_app*", "*GitHub*token*"])


def test_a_fixture_of_the_plugin_imports_the_sdk(pytester: pytest.Pytester) -> None:
    """sentry_init on a suite that never imported sentry_sdk: the SDK is imported and patched
    for it, and the test's capture is open."""
    pytester.makepyfile(
        """
        def test_init(sentry_init, sentry_events):
            import sentry_sdk
            sentry_init()
            sentry_sdk.capture_message("hello")
            assert sentry_events.one().message == "hello"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_import_hook_patches_before_the_importer_gets_the_sdk(pytester: pytest.Pytester) -> None:
    """Importing a submodule first (sentry_sdk.integrations.logging) patches the package before
    the submodule runs; the package keeps its own loader and the finder leaves sys.meta_path."""
    script = pytester.makepyfile(
        check="""
        import sys
        from pytest_sentry_check._sdk_import import _FINDER, when_sdk_imported

        calls = []
        cancelled = []
        when_sdk_imported(lambda: calls.append("sentry_sdk.integrations.logging" in sys.modules))
        stop = when_sdk_imported(lambda: cancelled.append(1))
        stop()
        assert _FINDER in sys.meta_path
        import sentry_sdk.integrations.logging
        assert calls == [False], calls
        assert cancelled == []
        assert _FINDER not in sys.meta_path
        assert type(sentry_sdk.__loader__).__name__ != "_PatchingLoader"
        assert sentry_sdk.__spec__.loader is sentry_sdk.__loader__
        later = []
        when_sdk_imported(lambda: later.append(1))  # imported already: at once
        assert later == [1]
        print("OK")
        """
    )
    pytester.runpython(script).stdout.fnmatch_lines(["OK"])


def test_the_plugins_modules_load_with_the_standard_loader(pytester: pytest.Pytester) -> None:
    """pytest would load every module of a plugin's distribution through its assertion-rewriting
    hook (its own pyc cache, read in Python: about 2 M instructions a module); the package's
    modules come from the standard loader instead, so the installed bytecode is used."""
    pytester.makeconftest(
        """
        import sys

        def pytest_sessionfinish(session):
            loaders = {
                name: type(module.__loader__).__name__
                for name, module in sys.modules.items()
                if name.startswith("pytest_sentry_check.")
            }
            with open("loaders.txt", "w") as f:
                f.write("\\n".join(f"{name} {loader}" for name, loader in sorted(loaders.items())))
        """
    )
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_sends(sentry_init, sentry_events):
            sentry_init()
            sentry_sdk.capture_message("hello")
            assert sentry_events.one().message == "hello"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    loaders = dict(line.split() for line in (pytester.path / "loaders.txt").read_text().splitlines())
    assert "pytest_sentry_check.plugin" in loaders
    assert "pytest_sentry_check._capture.store" in loaders
    assert {name: loader for name, loader in loaders.items() if loader != "SourceFileLoader"} == {}
