"""Machine-readable outputs of the gate: the JSON report, SARIF 2.1.0 and GitHub annotations.

Every output holds masked previews, never a value. The JSON report's schema ships in the
package (``report.schema.json``) and is documented in ``docs/gate.md#json-report``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._scan.finding import SEVERITIES

from .finding import GateFinding, fails_at
from .ledger import GateLedger

__all__ = ["REPORT_SCHEMA", "REPORT_VERSION", "github_annotations", "json_report", "sarif_report"]

REPORT_VERSION = 1
REPORT_SCHEMA = Path(__file__).with_name("report.schema.json")
DOCS = doc_url("gate.md", "rules")
_SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}
_RULE_TEXT = {
    "canary": "A registered canary secret reached Sentry",
    "field": "A sensitive field (password, token, cookie, ...) was sent with a value",
    "user-path": "A home directory with a user name was sent",
    "private-key": "A PEM private key was sent",
    "aws-access-key": "An AWS access key id was sent",
    "github-token": "A GitHub token was sent",
    "gitlab-token": "A GitLab token was sent",
    "slack-token": "A Slack token was sent",
    "stripe-secret-key": "A Stripe secret key was sent",
    "google-api-key": "A Google API key was sent",
    "anthropic-api-key": "An Anthropic API key was sent",
    "openai-api-key": "An OpenAI API key was sent",
    "sentry-auth-token": "A Sentry auth token was sent",
    "slack-webhook": "A Slack incoming-webhook URL was sent",
    "aws-secret-key": "An AWS secret access key was sent",
    "twilio-api-key": "A Twilio API key was sent",
    "sendgrid-api-key": "A SendGrid API key was sent",
    "npm-token": "An npm access token was sent",
    "pypi-token": "A PyPI API token was sent",
    "huggingface-token": "A Hugging Face access token was sent",
    "mailgun-api-key": "A Mailgun API key was sent",
    "databricks-token": "A Databricks access token was sent",
    "heroku-api-key": "A Heroku API key was sent",
    "jwt": "A JSON Web Token was sent",
    "auth-header": "An Authorization header value (Bearer, Basic, token) was sent",
    "url-password": "A URL with a password in it was sent",
    "connection-string": "A connection string with a password or account key was sent",
    "credit-card": "A Luhn-valid payment card number was sent",
    "iban": "A checksum-valid IBAN was sent",
    "us-ssn": "A US social security number was sent",
    "national-id": "A national identity number with valid check digits was sent",
    "email": "An email address was sent",
    "phone-number": "A phone number valid for its country was sent",
    "ip-address": "A client IP address was sent",
    "mac-address": "A MAC address (a device identifier) was sent",
    "imei": "A Luhn-valid IMEI (a device identifier) was sent",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-sentry-check")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def json_report(ledger: GateLedger) -> dict[str, Any]:
    """The ``--sentry-report`` document (schema version :data:`REPORT_VERSION`)."""
    return {
        "schema": "pytest-sentry-check/report",
        "version": REPORT_VERSION,
        "tool": {"name": "pytest-sentry-check", "version": _version()},
        "gate": ledger.mode,
        "fail_on": ledger.fail_on,
        "baseline": ledger.baseline.path or None,
        "summary": ledger.counts(),
        "findings": [f.to_json() for f in ledger.findings],
        "unused_allow": [{"origin": origin, "entry": entry} for origin, entry in ledger.unused_allow()],
        "unused_baseline": ledger.unused_baseline(),
    }


def _level(severity: str, fail_on: str) -> str:
    return "error" if fails_at(severity, fail_on) else "warning"


def _sarif_rule(rule_id: str, severity: str, fail_on: str) -> dict[str, Any]:
    text = _RULE_TEXT.get(rule_id, f"Finding of the {rule_id} detector")
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": text},
        "help": {"text": f"Scrub it in before_send or allow it; see {DOCS}."},
        "defaultConfiguration": {"level": _level(severity, fail_on)},
        "properties": {
            "tags": ["security", "privacy"],
            "security-severity": _SECURITY_SEVERITY.get(severity, "5.0"),
        },
    }


def _sarif_result(finding: GateFinding, rule_index: int, fail_on: str) -> dict[str, Any]:
    """One result; its level is the outcome: ``error`` fails the run, ``warning`` warns (an
    allowed or baselined finding, suppressed, has the level it would have without that)."""
    f = finding.finding
    if finding.status in ("failed", "warned"):
        level = "error" if finding.blocking else "warning"
    else:
        level = _level(f.severity, finding.fail_on or fail_on)
    where = f"{f.item_type}:{f.path or '<root>'}"
    record = f" ({finding.record})" if finding.record else ""
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level,
        "message": {
            "text": f"{finding.test} sent {f.rule} to Sentry at {where}{record}: {f.preview}"
            + (f" ({f.detail})" if f.detail else "")
        },
        "partialFingerprints": {"sentryCheck/v1": finding.fingerprint},
        "properties": {
            "test": finding.test,
            "itemType": f.item_type,
            "payloadPath": f.path,
            "phase": finding.phase,
            "severity": f.severity,
            "belowFailOnThreshold": finding.below_threshold,
            "storedAfterRelayScrubbing": finding.stored,
        },
    }
    if finding.status in ("allowed", "baselined"):
        kind = "inSource" if finding.status == "allowed" else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.allowed_by or finding.status}]
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": f"{finding.test}/{where}", "kind": "member"}]
    }
    if finding.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": finding.file.replace(os.sep, "/"), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(finding.line, 1)},
        }
    result["locations"] = [location]
    return result


def sarif_report(ledger: GateLedger, root: Path | None = None) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: one result per finding, located at its test.

    ``root`` is the directory the findings' file paths are relative to (pytest's rootdir).
    """
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    severities: dict[str, str] = {}
    for finding in ledger.findings:
        rule, severity = finding.finding.rule, finding.finding.severity
        if order.get(severity, 9) < order.get(severities.get(rule, "low"), 9) or rule not in severities:
            severities[rule] = severity
    rule_ids = sorted(severities)
    index = {rule: i for i, rule in enumerate(rule_ids)}
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pytest-sentry-check",
                        "version": _version(),
                        "rules": [_sarif_rule(rule, severities[rule], ledger.fail_on) for rule in rule_ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": (root or Path.cwd()).resolve().as_uri() + "/"}},
                "results": [_sarif_result(f, index[f.finding.rule], ledger.fail_on) for f in ledger.findings],
            }
        ],
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(findings: Iterable[GateFinding]) -> list[str]:
    """``::error``/``::warning`` workflow commands for the findings that fail or warn."""
    lines = []
    for finding in findings:
        if finding.status not in ("failed", "warned"):
            continue
        command = "error" if finding.status == "failed" else "warning"
        properties = [f"title={_escape_property('sentry-check: ' + finding.finding.rule)}"]
        if finding.file:
            properties[:0] = [f"file={_escape_property(finding.file)}", f"line={max(finding.line, 1)}"]
        lines.append(f"::{command} {','.join(properties)}::{_escape_data(f'{finding.test}: {finding}')}")
    return lines


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
