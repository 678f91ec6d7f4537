"""The service-credential and personal-data rules on what the real SDK sends: messages, exception
values, frame locals, tags, contexts, user and breadcrumbs, each found with its rule id and
shown masked."""

from __future__ import annotations

import pytest
import sentry_sdk

from pytest_sentry_check import capture, scan

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"
WEBHOOK = "https://hooks.slack.com/services/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"
AWS_SECRET = "2K6O0GRjz5/fkheUv9AyVjPMr6wywaPsAVXxn6UX"
CONNECTION = "Server=tcp:sql-prod.example.net,1433;Database=shop;User ID=app;Password=Hunter2-Prod!;"
SENDGRID = "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"
HF_TOKEN = "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"
PHONE = "020 7946 0958"


def _notify(customer: dict[str, str]) -> None:
    slack_webhook = WEBHOOK  # noqa: F841 (the frame variables are the point)
    aws_secret_access_key = AWS_SECRET  # noqa: F841
    raise ConnectionError(f"could not reach the database ({CONNECTION})")


def test_real_sdk_events_carrying_new_kinds_are_found_and_masked() -> None:
    """One exception with frame locals and one message: each planted value is found by its
    rule, at its place, and no finding shows it whole."""
    with capture() as events:
        sentry_sdk.init(dsn=DSN, include_local_variables=True, send_default_pii=True)
        sentry_sdk.set_user({"id": "u-42", "phone": PHONE})
        sentry_sdk.set_tag("mail.provider", "sendgrid")
        sentry_sdk.set_context("llm", {"hub_token": HF_TOKEN, "max_tokens": 4096})
        sentry_sdk.add_breadcrumb(message=f"mail via {SENDGRID}", category="mail")
        try:
            _notify({"name": "Ana", "mobile": "+44 7700 900461"})
        except ConnectionError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("SMS to +1 (202) 555-0143 failed")
        sentry_sdk.flush()
    findings = scan(events, detectors=[
        "slack-webhook", "aws-secret-key", "connection-string", "sendgrid-api-key",
        "huggingface-token", "phone-number",
    ])  # fmt: skip
    found = {(f.rule, f.path.split(".")[0]) for f in findings}
    assert found >= {
        ("slack-webhook", "exception"),
        ("aws-secret-key", "exception"),
        ("connection-string", "exception"),
        ("sendgrid-api-key", "breadcrumbs"),
        ("huggingface-token", "contexts"),
        ("phone-number", "user"),
        ("phone-number", "message"),
    }, sorted(found)
    [webhook] = [f for f in findings if f.rule == "slack-webhook"]
    assert webhook.path.endswith(".vars.slack_webhook")
    assert (webhook.severity, webhook.detail) == ("critical", "Slack incoming webhook URL")
    assert webhook.preview == "hoo…[69 chars]"  # from the host on, masked
    shown = "\n".join(str(f) for f in findings)
    for value in (WEBHOOK, AWS_SECRET, "Hunter2-Prod!", SENDGRID, HF_TOKEN, PHONE, "7946 0958"):
        assert value not in shown
