"""`pytest-sentry-check scan --fail-on`: findings below the threshold (default high) are warnings
in its output, JSON report and SARIF, and never change its exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_sentry_check._gate.reports import REPORT_SCHEMA

CLI = [sys.executable, "-m", "pytest_sentry_check._cli", "scan"]
SYNC_ID = "5e1f0a2b3c4d5e6f708192a3b4c5d6e7"
MAIL_ID = "9a8b7c6d5e4f30211a2b3c4d5e6f7081"


def _envelope(event: dict[str, object]) -> bytes:
    header = json.dumps({"event_id": event["event_id"]})
    return f'{header}\n{{"type":"event"}}\n{json.dumps(event)}\n'.encode()


# a critical, a medium and a low finding
SYNC = _envelope(
    {
        "event_id": SYNC_ID,
        "message": "sync failed",
        "level": "error",
        "user": {"id": "u-1", "email": "ana.lopez@shop.example"},
        "extra": {"aws": "AKIASEJSGHJAZVBKURW5", "device": "HWaddr 3c:22:fb:97:41:d2 up"},
    }
)
# a medium finding only
MAIL = _envelope(
    {"event_id": MAIL_ID, "message": "welcome mail to kim@example.org bounced", "level": "warning"}
)

AWS_LINE = f"  [critical] aws-access-key (AWS access key id) at event:extra.aws: AKI…[20 chars] in event {SYNC_ID[:8]}"
EMAIL_LINE = f"  [medium] email (email address) at event:user.email: ana…[22 chars] in event {SYNC_ID[:8]}"
MAC_LINE = (
    "  [low] mac-address (MAC address (universally administered)) at event:extra.device: 3c:…[17 chars]"
    f" in event {SYNC_ID[:8]}"
)
MAIL_LINE = f"  [medium] email (email address) at event:message: kim…[15 chars] in event {MAIL_ID[:8]}"
HINT = "Scope or request data carries them: remove or mask them in before_send."


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "envelopes"
    folder.mkdir()
    (folder / "000001-sync.envelope").write_bytes(SYNC)
    (folder / "000002-mail.envelope").write_bytes(MAIL)
    return folder


def _scan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_by_default_findings_below_high_warn(store: Path, tmp_path: Path) -> None:
    """The critical key fails; the email and the MAC address warn, in every output."""
    result = _scan(str(store), "--report", "r.json", "--sarif", "r.sarif", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    sync, mail = store / "000001-sync.envelope", store / "000002-mail.envelope"
    assert result.stdout.splitlines() == [
        f"{sync}: 1 finding, 1 leak group",
        AWS_LINE,
        f"{sync}: 2 warnings, 2 leak groups (below the fail-on threshold, high)",
        EMAIL_LINE,
        MAC_LINE,
        f"{mail}: 1 warning, 1 leak group (below the fail-on threshold, high)",
        MAIL_LINE,
        "pytest-sentry-check scan: 2 envelopes scanned: 4 findings, 4 leak groups (1 failed, 3 warned)",
        "3 findings below the fail-on threshold (high) warned instead of failing: email 2, mac-address 1;"
        " --fail-on=low makes them fail",
        HINT,
    ]
    report = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert report["fail_on"] == "high"
    assert (
        report["summary"]["failed"],
        report["summary"]["warned"],
        report["summary"]["below_threshold"],
    ) == (1, 3, 3)
    outcomes = sorted((g["rule"], g["state"], g["fails"], g["below_threshold"]) for g in report["groups"])
    assert outcomes == [
        ("aws-access-key", "failed", True, False),
        ("email", "warned", False, True),
        ("email", "warned", False, True),
        ("mac-address", "warned", False, True),
    ]
    [run] = json.loads((tmp_path / "r.sarif").read_text())["runs"]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in run["tool"]["driver"]["rules"]}
    assert levels == {"aws-access-key": "error", "email": "warning", "mac-address": "warning"}
    assert sorted((r["ruleId"], r["level"]) for r in run["results"]) == [
        ("aws-access-key", "error"),
        ("email", "warning"),
        ("email", "warning"),
        ("mac-address", "warning"),
    ]


def test_warnings_alone_exit_0(store: Path, tmp_path: Path) -> None:
    """An envelope with only a medium finding passes at the default threshold."""
    mail = store / "000002-mail.envelope"
    result = _scan(str(mail), "--report", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{mail}: 1 warning, 1 leak group (below the fail-on threshold, high)",
        MAIL_LINE,
        "pytest-sentry-check scan: 1 envelope scanned: 1 finding, 1 leak group (1 warned)",
        "1 finding below the fail-on threshold (high) warned instead of failing: email 1;"
        " --fail-on=medium makes it fail",
    ]
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["fail_on"], report["summary"]["failed"], report["summary"]["below_threshold"]) == (
        "high",
        0,
        1,
    )


def test_fail_on_medium_fails_on_the_email(store: Path, tmp_path: Path) -> None:
    mail = store / "000002-mail.envelope"
    result = _scan(str(mail), "--fail-on=medium", "--report", "r.json", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{mail}: 1 finding, 1 leak group",
        MAIL_LINE,
        "pytest-sentry-check scan: 1 envelope scanned: 1 finding, 1 leak group (1 failed)",
    ]
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["fail_on"], report["summary"]["failed"], report["summary"]["below_threshold"]) == (
        "medium",
        1,
        0,
    )


def test_fail_on_low_fails_on_every_finding(store: Path, tmp_path: Path) -> None:
    """What the command did before it had a threshold."""
    result = _scan(str(store), "--fail-on", "low", cwd=tmp_path)
    assert result.returncode == 1
    sync, mail = store / "000001-sync.envelope", store / "000002-mail.envelope"
    assert result.stdout.splitlines() == [
        f"{sync}: 3 findings, 3 leak groups",
        AWS_LINE,
        EMAIL_LINE,
        MAC_LINE,
        f"{mail}: 1 finding, 1 leak group",
        MAIL_LINE,
        "pytest-sentry-check scan: 2 envelopes scanned: 4 findings, 4 leak groups (4 failed)",
        HINT,
    ]


def test_an_allowed_finding_stays_allowed_below_the_threshold(store: Path, tmp_path: Path) -> None:
    """Allow entries come first: an allowed email is neither a finding nor a warning."""
    result = _scan(str(store), "--allow", "email", "--allow", "aws-access-key", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{store / '000001-sync.envelope'}: 1 warning, 1 leak group (below the fail-on threshold, high)",
        MAC_LINE,
        "pytest-sentry-check scan: 2 envelopes scanned: 4 findings, 4 leak groups (1 warned, 3 allowed)",
        "1 finding below the fail-on threshold (high) warned instead of failing: mac-address 1;"
        " --fail-on=low makes it fail",
        HINT,
    ]


def test_warnings_do_not_hide_an_input_that_is_not_an_envelope(store: Path, tmp_path: Path) -> None:
    (store / "000003-junk.envelope").write_bytes(b"\x00junk")
    mail, junk = store / "000002-mail.envelope", store / "000003-junk.envelope"
    result = _scan(str(mail), str(junk), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{mail}: 1 warning, 1 leak group (below the fail-on threshold, high)",
        MAIL_LINE,
        f"{junk}: not scanned: not an envelope: Expecting value: line 1 column 1 (char 0)",
        "pytest-sentry-check scan: 1 envelope scanned: 1 finding, 1 leak group (1 warned); 1 not an envelope",
        "1 finding below the fail-on threshold (high) warned instead of failing: email 1;"
        " --fail-on=medium makes it fail",
    ]


def test_an_unknown_threshold_is_a_usage_error(store: Path, tmp_path: Path) -> None:
    result = _scan(str(store), "--fail-on=urgent", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "pytest-sentry-check scan: error: argument --fail-on: 'urgent' is not a severity:"
        " use critical, high, medium, low"
    )
