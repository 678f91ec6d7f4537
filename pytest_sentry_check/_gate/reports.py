"""Machine-readable renderers of the gate's report: the JSON report and SARIF 2.1.0.

Each renders a :class:`~.report.GateReport`, one entry per leak group. Every output holds
masked previews, never a value. The JSON report's schema ships in the package
(``report.schema.json``) and is documented in ``docs/gate.md#json-report``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._scan.finding import SEVERITIES

from .finding import fails_at
from .report import GateReport, LeakGroup

__all__ = ["REPORT_SCHEMA", "REPORT_VERSION", "json_report", "sarif_report", "write_json"]

REPORT_VERSION = 2
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


def json_report(report: GateReport) -> dict[str, Any]:
    """The ``--sentry-report`` document (schema version :data:`REPORT_VERSION`): one entry per
    leak group."""
    return {
        "schema": "pytest-sentry-check/report",
        "version": REPORT_VERSION,
        "tool": {"name": "pytest-sentry-check", "version": _version()},
        "gate": report.mode,
        "fail_on": report.fail_on,
        "baseline": report.baseline or None,
        "verdict": report.verdict,
        "summary": report.counts(),
        "groups": [group.to_json() for group in report.groups],
        "tests_run": list(report.tests_run),
        "allow_entries": [
            {"origin": origin, "entry": entry, "used": used} for origin, entry, used in report.allow_entries
        ],
        "unused_allow": [{"origin": origin, "entry": entry} for origin, entry in report.unused_allow],
        "unused_baseline": list(report.unused_baseline),
    }


def _level(severity: str, fail_on: str) -> str:
    return "error" if fails_at(severity, fail_on) else "warning"


def rule_text(rule_id: str) -> str:
    """What a rule's finding means, in one sentence (SARIF's rule description, the step summary)."""
    return _RULE_TEXT.get(rule_id, f"Finding of the {rule_id} detector")


def _sarif_rule(group: LeakGroup, fail_on: str) -> dict[str, Any]:
    text = rule_text(group.rule)
    fix = group.fix
    if fix is None:
        how = "Fix what the application sets there, or allow it."
        markdown = how
    else:
        how = (
            f"Stop it in the SDK: {fix['sdk']}. As a second line of defence, add an advanced "
            f"data-scrubbing rule to the Sentry project: {fix['relay_rule']}. If it is intended, "
            "allow it with @pytest.mark.sentry_check(allow=[...]) or accept it with --sentry-baseline."
        )
        markdown = (
            f"**Stop it in the SDK:** {fix['sdk']}.\n\n**Second line of defence** (Sentry project, "
            f"advanced data scrubbing):\n\n```json\n{fix['relay_rule']}\n```\n\nIf it is intended, "
            "allow it with `@pytest.mark.sentry_check(allow=[...])` or accept it with `--sentry-baseline`."
        )
    return {
        "id": group.rule,
        "name": "".join(part.capitalize() for part in group.rule.split("-")),
        "shortDescription": {"text": text},
        "fullDescription": {
            "text": f"{text} ({group.severity} severity): a test made the application send it to Sentry."
        },
        "help": {"text": f"{how} See {DOCS}.", "markdown": f"{markdown}\n\nSee [the rules]({DOCS})."},
        "helpUri": DOCS,
        "defaultConfiguration": {"level": _level(group.severity, fail_on)},
        "properties": {
            "tags": ["security", "privacy"],
            "security-severity": _SECURITY_SEVERITY.get(group.severity, "5.0"),
        },
    }


def _sarif_result(group: LeakGroup, rule_index: int, fail_on: str) -> dict[str, Any]:
    """One result per group; its level is the outcome: ``error`` fails the run, ``warning``
    warns (an allowed or baselined group, suppressed, has the level it would have without that)."""
    if group.open:
        level = "error" if group.blocking else "warning"
    else:
        level = _level(group.severity, group.fail_on or fail_on)
    places = f" ({group.places} places)" if group.places > 1 else ""
    record = f" in {group.records[0]}" if group.records else ""
    detail = f" ({group.detail})" if group.detail else ""
    result: dict[str, Any] = {
        "ruleId": group.rule,
        "ruleIndex": rule_index,
        "level": level,
        "message": {
            "text": f"{group.test} sent {group.rule} to Sentry at {group.where}{places}: "
            f"{group.preview}{detail}{record}"
        },
        "partialFingerprints": {"sentryCheck/v2": group.fingerprint},
        "properties": {
            "test": group.test,
            "itemType": group.item_type,
            "pathPattern": group.pattern,
            "places": group.places,
            "examplePaths": list(group.examples),
            "phase": group.phase,
            "severity": group.severity,
            "belowFailOnThreshold": group.below_threshold,
            "storedAfterRelayScrubbing": group.stored_after_relay,
            # this group's own fix (a rule's help text gives its most severe group's)
            "fix": group.fix,
        },
    }
    if not group.open:
        kind = "inSource" if group.state == "allowed" else "external"
        justification = group.allowed_by or group.state
        if group.allow_reason:
            justification += f": {group.allow_reason}"
        result["suppressions"] = [{"kind": kind, "justification": justification}]
    location: dict[str, Any] = {
        "logicalLocations": [
            {"fullyQualifiedName": f"{group.test}/{group.item_type}:{group.pattern}", "kind": "member"}
        ]
    }
    if group.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": group.file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(group.line, 1)},
        }
    result["locations"] = [location]
    return result


def sarif_report(report: GateReport, root: Path | None = None) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: one result per leak group, located at its test.

    ``root`` is the directory the groups' file paths are relative to (pytest's rootdir; ``scan``:
    the working directory), given as ``%SRCROOT%``.
    """
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    first: dict[str, LeakGroup] = {}
    for group in report.groups:  # a rule's metadata: its most severe group's
        known = first.get(group.rule)
        if known is None or order.get(group.severity, 9) < order.get(known.severity, 9):
            first[group.rule] = group
    rule_ids = sorted(first)
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
                        "informationUri": doc_url("gate.md"),
                        "rules": [_sarif_rule(first[rule], report.fail_on) for rule in rule_ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": (root or Path.cwd()).resolve().as_uri() + "/"}},
                "results": [_sarif_result(g, index[g.rule], report.fail_on) for g in report.groups],
            }
        ],
    }


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
