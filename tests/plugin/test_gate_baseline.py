"""The gate's baseline (--sentry-baseline, --sentry-baseline-update): accepted, new and stale entries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _gate_suites import NOTIFY, SUITE


def test_a_baseline_accepts_todays_leaks_and_fails_new_ones(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    baseline = gated.path / "sentry-baseline.json"
    written = gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    written.assert_outcomes(passed=2)
    assert written.ret == pytest.ExitCode.OK
    written.stdout.fnmatch_lines(
        [
            f"sentry-check: gate=fail, baseline={baseline} (update); validate=*",
            f"baseline written to {baseline}: 17 entries (was 0)",
        ]
    )
    text = baseline.read_text()
    assert "eyJ" not in text
    assert "Bearer" not in text
    data = json.loads(text)
    assert data["version"] == 2
    # one entry per leak group: a path pattern with list indexes as *, never an exact path
    assert data["findings"][0] == {
        "test": "test_app.py::test_orders_need_a_valid_account",
        "item_type": "event",
        "pattern": data["findings"][0]["pattern"],
        "rule": data["findings"][0]["rule"],
    }
    assert not any(re.search(r"\.\d+(\.|$)", entry["pattern"]) for entry in data["findings"])

    accepted = gated.runpytest(f"--sentry-baseline={baseline}")
    accepted.assert_outcomes(passed=2)
    accepted.stdout.fnmatch_lines(
        ["2 envelopes from 2 tests scanned: 92 findings in 1 test, 17 leak groups (17 baselined)"]
    )

    gated.makepyfile(test_notify=NOTIFY)
    new = gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-fail-on=medium")  # the email fails
    new.assert_outcomes(passed=2, failed=1)
    new.stdout.fnmatch_lines(["FAILED test_notify.py::test_notify*"])


# The same app with one more frame between the server and the handler, as a new middleware adds
# (a decorator or a Starlette upgrade does the same): every frame from there on moves by one.
PASSTHROUGH = """


class Passthrough:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


app.add_middleware(Passthrough)
"""


def _frame_paths(report: Path) -> set[str]:
    return {path for group in json.loads(report.read_text())["groups"] for path in group["examples"]}


def test_a_frame_shift_keeps_every_baseline_entry_matched(gated: pytest.Pytester) -> None:
    """Issue #16: entries of exact paths broke on any refactor ('49 baseline entries no longer
    found (fixed?)'); entries are leak groups now, whose patterns have no frame index."""
    gated.makepyfile(test_app=SUITE)
    written = gated.runpytest(
        "--sentry-baseline=b.json", "--sentry-baseline-update", "--sentry-report=before.json"
    )
    written.stdout.fnmatch_lines(["baseline written to b.json: 17 entries (was 0)"])
    app = (gated.path / "gate_app.py").read_text()
    shifted = app.replace(
        "app = FastAPI(on_startup=[init_sentry])\n", "app = FastAPI(on_startup=[init_sentry])\n" + PASSTHROUGH
    )
    assert shifted != app
    (gated.path / "gate_app.py").write_text(shifted)
    result = gated.runpytest("--sentry-baseline=b.json", "--sentry-report=after.json")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [  # the middleware's frame holds the scope too: one more place, in a group already accepted
            "2 envelopes from 2 tests scanned: 95 findings in 1 test, 17 leak groups (17 baselined)"
        ]
    )
    result.stdout.no_fnmatch_line("*no longer found*")
    # the frames did move: the same places are at other indexes
    before, after = _frame_paths(gated.path / "before.json"), _frame_paths(gated.path / "after.json")
    assert before != after
    assert {re.sub(r"\d+", "*", p) for p in before} == {re.sub(r"\d+", "*", p) for p in after}


def test_a_version_1_baseline_of_exact_paths_still_loads_and_migrates_on_update(
    gated: pytest.Pytester,
) -> None:
    """A baseline written before groups (version 1, exact paths) still accepts its leaks; the
    next update writes version 2."""
    gated.makepyfile(test_app=SUITE)
    gated.runpytest("--sentry-report=r.json")
    report = json.loads((gated.path / "r.json").read_text())
    # what version 1 stored: one entry per exact place
    old = [
        {"test": g["test"], "item_type": g["item_type"], "rule": g["rule"], "path": path}
        for g in report["groups"]
        for path in g["examples"]
    ]
    (gated.path / "b.json").write_text(
        json.dumps({"version": 1, "tool": "pytest-sentry-check", "findings": old})
    )
    accepted = gated.runpytest("--sentry-baseline=b.json")
    accepted.assert_outcomes(passed=2)
    accepted.stdout.fnmatch_lines(["*, 17 leak groups (17 baselined)"])
    updated = gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update")
    updated.stdout.fnmatch_lines(
        ["baseline written to b.json: 17 entries (was 17) (migrated from version 1)"]
    )
    data = json.loads((gated.path / "b.json").read_text())
    assert data["version"] == 2
    assert all(set(entry) == {"test", "item_type", "rule", "pattern"} for entry in data["findings"])


def test_stale_baseline_entries_are_reported_and_dropped_on_update(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    baseline = gated.path / "baseline.json"
    gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    gated.makeconftest("import gate_app\ngate_app.FIXES.update(include_local_variables=False)\n")
    fixed = gated.runpytest(f"--sentry-baseline={baseline}")
    fixed.assert_outcomes(passed=2)
    fixed.stdout.fnmatch_lines(
        ["17 baseline entries no longer found (fixed?): run with --sentry-baseline-update to drop them"]
    )
    gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    assert json.loads(baseline.read_text())["findings"] == []


def test_updating_with_a_selection_keeps_the_other_tests_entries(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE, test_notify=NOTIFY)
    baseline = gated.path / "baseline.json"
    gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    tests = {entry["test"] for entry in json.loads(baseline.read_text())["findings"]}
    assert tests == {"test_app.py::test_orders_need_a_valid_account", "test_notify.py::test_notify"}
    gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update", "-k", "notify")
    tests = {entry["test"] for entry in json.loads(baseline.read_text())["findings"]}
    assert tests == {"test_app.py::test_orders_need_a_valid_account", "test_notify.py::test_notify"}


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--sentry-baseline-update"], None, "ERROR: --sentry-baseline-update needs --sentry-baseline=PATH*"),
        (
            ["--sentry-baseline=b.json"],
            "[1, 2]",
            "ERROR: --sentry-baseline: b.json: not a pytest-sentry-check baseline*",
        ),
        (
            ["--sentry-baseline=b.json"],
            '{"version": 7}',
            "ERROR: --sentry-baseline: b.json: unsupported version 7*",
        ),
    ],
)
def test_bad_baseline_use_is_a_usage_error(
    gated: pytest.Pytester, args: list[str], content: str | None, message: str
) -> None:
    if content is not None:
        (gated.path / "b.json").write_text(content)
    result = gated.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_skipped_test_keeps_its_baseline_entries(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify",
            "@pytest.mark.skipif(bool(__import__('os').environ.get('SKIPIT')), reason='x')\ndef test_notify",
        )
    )
    gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update")
    assert len(json.loads((gated.path / "b.json").read_text())["findings"]) == 2
    monkeypatch.setenv("SKIPIT", "1")
    skipped = gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update")
    skipped.stdout.no_fnmatch_line("*no longer found*")
    assert len(json.loads((gated.path / "b.json").read_text())["findings"]) == 2


def test_an_import_time_leak_can_be_baselined_and_goes_stale_when_fixed(gated: pytest.Pytester) -> None:
    gated.makeconftest(
        """
        import sentry_sdk, gate_app
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("booted for " + gate_app.CUSTOMER_EMAIL)
        """
    )
    gated.makepyfile("def test_nothing():\n    pass\n")
    leaking = gated.runpytest("--sentry-fail-on=medium")  # the email fails
    assert leaking.ret == pytest.ExitCode.TESTS_FAILED
    leaking.stdout.fnmatch_lines(["by test:  <before the first test> 1"])
    gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update")
    assert gated.runpytest("--sentry-baseline=b.json", "--sentry-fail-on=medium").ret == pytest.ExitCode.OK
    gated.makeconftest("import sentry_sdk\nsentry_sdk.init(dsn='https://k@o1.ingest.sentry.io/2')\n")
    fixed = gated.runpytest("--sentry-baseline=b.json")
    fixed.stdout.fnmatch_lines(["1 baseline entry no longer found (fixed?)*"])
