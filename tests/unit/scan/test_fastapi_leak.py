"""The leak measured on sentry-sdk + FastAPI with send_default_pii=False, found precisely."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator

import pytest
import sentry_sdk
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from pytest_sentry_check import Finding, capture, scan
from pytest_sentry_check._scan.secrets import SecretRegistry

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

app = FastAPI()


@app.post("/login")
async def login(request: Request) -> None:
    body = await request.json()
    token = request.headers["authorization"].removeprefix("Bearer ")
    raise RuntimeError(f"upstream rejected token {token} for {body['email']}")


@pytest.fixture(scope="module")
def leak() -> Iterator[tuple[dict[str, str], list[Finding], list[Finding]]]:
    """One failing POST /login?api_key=... with a Bearer header, a cookie and a JSON body."""
    registry = SecretRegistry().open()
    secrets = {kind: registry.make(kind) for kind in ("token", "api_key", "password", "card", "email")}
    secrets["cookie"] = registry.add("sess-" + secrets["token"][4:20])
    try:
        with capture() as events:
            sentry_sdk.init(
                dsn="https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789",
                send_default_pii=False,
                integrations=[StarletteIntegration(), FastApiIntegration()],
            )
            with TestClient(app, raise_server_exceptions=False) as client:
                client.post(
                    f"/login?api_key={secrets['api_key']}",
                    headers={
                        "Authorization": f"Bearer {secrets['token']}",
                        "Cookie": f"session={secrets['cookie']}",
                    },
                    json={
                        "email": secrets["email"],
                        "password": secrets["password"],
                        "card": secrets["card"],
                    },
                )
            # the one failing request (the worker may run other tests' leftovers beside it)
            event = events.one(exception_type=RuntimeError, exception_value=re.compile("^upstream rejected"))
            with_canaries = scan(event)
            registry.close()
            rules_only = scan(event)
        yield secrets, with_canaries, rules_only
    finally:
        registry.close()


def _canary_paths(findings: list[Finding], value: str) -> list[str]:
    return [f.path for f in findings if f.rule == "canary" and f.preview.startswith(value[:3])]


FRAME_HEADER = re.compile(r"^exception\.values\.0\.stacktrace\.frames\.\d+\.vars\.[\w.]*headers\.\d+\.1$")


def test_the_bearer_token_in_frame_locals(leak: tuple[dict[str, str], list[Finding], list[Finding]]) -> None:
    """The token is in ~30 places: Starlette's scope headers in every frame, and the message."""
    secrets, findings, _ = leak
    paths = _canary_paths(findings, secrets["token"])
    assert len(paths) >= 20
    assert "exception.values.0.value" in paths
    assert all(FRAME_HEADER.match(path) for path in paths if path != "exception.values.0.value")
    assert "exception.values.0.stacktrace.frames.0.vars.scope.headers.5.1" in paths


def test_the_query_string_api_key(leak: tuple[dict[str, str], list[Finding], list[Finding]]) -> None:
    """The api_key query parameter reaches request.query_string and the frames' scope."""
    secrets, findings, _ = leak
    paths = _canary_paths(findings, secrets["api_key"])
    assert "request.query_string" in paths
    assert len(paths) >= 20


def test_cookie_password_card_and_email(leak: tuple[dict[str, str], list[Finding], list[Finding]]) -> None:
    """The cookie in every frame, the body's password and card, the user's email."""
    secrets, findings, _ = leak
    assert len(_canary_paths(findings, secrets["cookie"])) >= 20
    assert _canary_paths(findings, secrets["password"])
    assert _canary_paths(findings, secrets["card"])
    email_paths = _canary_paths(findings, secrets["email"])
    assert "exception.values.0.value" in email_paths


def test_the_default_rules_find_it_without_canaries(
    leak: tuple[dict[str, str], list[Finding], list[Finding]],
) -> None:
    """Without any registered secret, field and pattern rules still point at the leak."""
    _, _, findings = leak
    by_rule = collections.Counter(f.rule for f in findings)
    assert by_rule["field"] >= 40  # authorization and cookie header pairs, the password
    assert by_rule["auth-header"] >= 20
    assert by_rule["credit-card"] >= 1
    assert by_rule["email"] >= 2
    assert "canary" not in by_rule
    authorization = [
        f for f in findings if f.rule == "field" and f.detail == "sensitive field 'authorization'"
    ]
    assert authorization[0].path.endswith(".vars.scope.headers.5.1")
    assert all(f.severity in ("critical", "high", "medium", "low") for f in findings)
