"""scan(..., stage="server"): what Sentry would store after Relay's normalization and scrubbing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sentry_sdk
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from pytest_sentry_check import SentryEvents, assert_scrubbed, scan
from pytest_sentry_check._scan.secrets import SecretRegistry

pytest.importorskip("sentry_relay", reason="the relay extra (Linux and macOS wheels)")

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off", options={"send_default_pii": False})


@pytest.fixture
def leaked(sentry_init: object, sentry_events: SentryEvents, sentry_secrets: SecretRegistry) -> str:
    """A failing FastAPI request with the token in a header, a cookie and the message."""
    sentry_init()  # type: ignore[operator]
    app = FastAPI()
    token = sentry_secrets.make("token")

    @app.get("/orders")
    def orders(request: Request) -> None:
        sentry_sdk.set_user({"id": "u-1", "email": "ana.lopez@shop.example", "ip_address": "203.0.113.7"})
        raise LookupError(f"token {token} rejected")

    headers = {"Authorization": f"Bearer {token}", "Cookie": f"session={token}"}
    TestClient(app, raise_server_exceptions=False).get("/orders", headers=headers)
    return token


def test_relays_default_scrubbing_leaves_the_message_the_email_and_the_cookie_pairs(
    leaked: str, sentry_events: SentryEvents
) -> None:
    client = scan(sentry_events)
    stored = scan(sentry_events, stage="server")
    assert "auth-header" in {f.rule for f in client}
    assert "auth-header" not in {f.rule for f in stored}  # Relay scrubs Authorization values
    where = {(f.rule, f.path) for f in stored}
    assert ("canary", "exception.values.0.value") in where  # interpolated into the message
    assert ("email", "user.email") in where
    cookie_pairs = {f.path for f in stored if f.rule == "canary" and ".vars." in f.path}
    assert cookie_pairs  # the session cookie, in frame-local header lists
    assert len(stored) < len(client)


def test_project_settings_change_what_is_stored(
    leaked: str, sentry_events: SentryEvents, tmp_path: Path
) -> None:
    default = {(f.rule, f.path) for f in scan(sentry_events, stage="server")}
    off = {(f.rule, f.path) for f in scan(sentry_events, stage="server", datascrubbing={"scrubData": False})}
    assert default < off  # without the Data Scrubber, Sentry stores more
    settings = {"sensitiveFields": ["email"]}
    stricter = {(f.rule, f.path) for f in scan(sentry_events, stage="server", datascrubbing=settings)}
    assert ("email", "user.email") in default
    assert ("email", "user.email") not in stricter
    exported = tmp_path / "security-and-privacy.json"
    exported.write_text(json.dumps(settings))
    assert {(f.rule, f.path) for f in scan(sentry_events, stage="server", datascrubbing=exported)} == stricter


def test_advanced_rules_in_relays_format(leaked: str, sentry_events: SentryEvents) -> None:
    rules = {"piiConfig": {"applications": {"$error.value": ["@anything:remove"]}}}
    stored = {(f.rule, f.path) for f in scan(sentry_events, stage="server", datascrubbing=rules)}
    assert ("canary", "exception.values.0.value") not in stored
    with pytest.raises(ValueError, match="piiConfig is not a valid Relay PII config: "):
        scan(
            sentry_events,
            stage="server",
            datascrubbing={"piiConfig": {"applications": {"$error.value": 5}}},
        )


def test_assert_scrubbed_says_which_stage(leaked: str, sentry_events: SentryEvents) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_scrubbed(sentry_events.one(), stage="server")
    first = str(failure.value).splitlines()[0]
    assert re.fullmatch(r"assert_scrubbed: \d+ findings in what Sentry would store, \d+ leak groups:", first)
    assert leaked not in str(failure.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stage": "edge"}, "stage is 'client' or 'server', not 'edge'"),
        ({"datascrubbing": {"scrubData": False}}, "datascrubbing settings apply to stage='server' only"),
        (
            {"stage": "server", "datascrubbing": {"scrub": True}},
            "unknown datascrubbing settings ['scrub'] (known: scrubData, scrubDefaults, scrubIpAddresses, "
            "sensitiveFields, excludeFields, piiConfig)",
        ),
    ],
)
def test_wrong_settings_are_clear_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as failure:
        scan({"message": "hi"}, **kwargs)  # type: ignore[arg-type]
    assert str(failure.value) == message


def test_the_suggested_relay_rule_scrubs_what_it_was_suggested_for(
    leaked: str, sentry_events: SentryEvents
) -> None:
    """Each gate finding suggests a Relay rule; applied as the project's advanced scrubbing, it
    removes the finding from what Sentry stores."""
    from pytest_sentry_check._gate.fixes import suggested_fix

    stored = scan(sentry_events, stage="server")
    email = next(f for f in stored if f.path == "user.email")
    fix = suggested_fix(email)
    assert fix["relay_selector"] == "user.email"
    assert fix["sdk"] == "remove or mask user data in before_send (or never set it)"
    rule = json.loads(fix["relay_rule"])
    after = scan(sentry_events, stage="server", datascrubbing={"piiConfig": rule})
    assert "user.email" not in {f.path for f in after}
    cookie = next(f for f in stored if ".vars." in f.path)
    cookie_fix = suggested_fix(cookie)
    assert cookie_fix["relay_selector"].endswith(".headers.**")
    assert cookie_fix["sdk"].startswith("sentry_sdk.init(include_local_variables=False)")
    after = scan(
        sentry_events, stage="server", datascrubbing={"piiConfig": json.loads(cookie_fix["relay_rule"])}
    )
    assert {f.path for f in after if f.rule == cookie.rule and ".vars." in f.path} < {
        f.path for f in stored if f.rule == cookie.rule and ".vars." in f.path
    }
