"""An auth service: password login with MFA, OAuth token and introspection endpoints, sessions.
Its events are full of words that name secrets (``auth_method``, ``token_type``, ``session_ttl``,
``password_policy``, ``jwt_algorithm``) whose values are settings, not credentials, and of the
placeholders its scrubbing leaves (``[Filtered]``, ``SecretStr('**********')``).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from _sentry_helpers import (
    add_breadcrumb,
    capture_exception,
    capture_message,
    init_sentry,
    job_scope,
    set_user_context,
)
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr

NAME = "auth"
#: the configurations its clean traffic runs under: send_default_pii off, and on where it has no credentials to send
CLEAN_PII = (False,)
PLANT_ROUTE = "/v1/oauth/callback/{}"

#: the service's auth settings, reported in every event's ``auth`` context
AUTH_SETTINGS: dict[str, Any] = {
    "auth_method": "password",
    "mfa": "totp",
    "token_type": "bearer",
    "token_endpoint": "https://auth.internal.example/oauth/token",
    "jwt_algorithm": "RS256",
    "access_token_ttl": 900,
    "refresh_token_rotation": "enabled",
    "session_ttl": "PT12H",
    "session_store": "redis",
    "password_policy": "strict",
    "password_min_length": 12,
    "password_hash": "argon2id",
    "secret_store": "vault",
    "csrf_protection": True,
    "otp_length": 6,
    "api_key_header": "X-Api-Key",
}
USERS = {f"user{n}": f"usr_{2000 + n}" for n in range(12)}


class LoginIn(BaseModel):
    username: str
    password: SecretStr


class MfaIn(BaseModel):
    user_id: str
    otp: SecretStr


class AccountLocked(Exception):
    pass


TITLE = "auth-service"


def _token_shape(user_id: str) -> dict[str, Any]:
    """What the service logs about a token it issued: never the token, only its facts."""
    return {
        "token_type": "bearer",
        "expires_in": 900,
        "scope": "openid profile",
        "sub": user_id,
        "alg": "RS256",
    }


def login(body: LoginIn) -> dict[str, Any]:
    sentry_sdk.set_context("auth", AUTH_SETTINGS)
    user_id = USERS.get(body.username)
    add_breadcrumb("login attempt", category="auth", auth_method="password", user_known=user_id is not None)
    if user_id is None:
        capture_message("login for an unknown user", level="warning", auth_method="password")
        raise HTTPException(status_code=401, detail="invalid credentials")
    set_user_context(user_id=user_id, username=body.username)
    attempts = int(user_id[-2:]) % 6
    sentry_sdk.logger.warning(
        "failed login {attempts} of 5 for {user_id}",
        attempts=attempts,
        user_id=user_id,
        attributes={"auth.method": "password", "password_policy": "strict", "lockout_ttl": "PT15M"},
    )
    if attempts >= 5:
        raise AccountLocked(f"account {user_id} locked after {attempts} failed password attempts")
    return {"mfa_required": True, "mfa_method": "totp"}


def verify_mfa(body: MfaIn) -> dict[str, Any]:
    set_user_context(user_id=body.user_id)
    sentry_sdk.set_context("auth", AUTH_SETTINGS)
    token = _token_shape(body.user_id)
    with sentry_sdk.start_span(op="auth.totp", name="verify TOTP code") as span:
        span.set_data("otp_length", 6)
        span.set_data("otp_window", 1)
        span.set_data("token_type", token["token_type"])
    add_breadcrumb("mfa verified", category="auth", mfa="totp", token_expires_in=token["expires_in"])
    if body.user_id.endswith("7"):
        raise RuntimeError(
            f"session store unavailable while issuing a bearer token (session_ttl {AUTH_SETTINGS['session_ttl']})"
        )
    return {"token_type": "bearer", "expires_in": 900}


async def token(request: Request) -> dict[str, Any]:
    form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
    grant_type = form.get("grant_type", "")
    sentry_sdk.set_tag("grant_type", grant_type)
    sentry_sdk.set_context(
        "oauth", {"grant_type": grant_type, "client_id": form.get("client_id"), "token_type": "bearer"}
    )
    if grant_type not in ("client_credentials", "refresh_token", "authorization_code"):
        error = ValueError(f"unsupported grant_type {grant_type!r}")
        capture_exception(error, context={"grant_type": grant_type, "auth_method": "client_secret_basic"})
        raise HTTPException(status_code=400, detail="unsupported_grant_type")
    return _token_shape(form.get("client_id", "anonymous"))


def me(request: Request) -> dict[str, Any]:
    authorization = request.headers.get("authorization", "")
    scheme = authorization.split(" ", 1)[0].lower()
    sentry_sdk.set_tag("auth_scheme", scheme or "none")
    if scheme != "bearer":
        raise RuntimeError(f"unexpected auth scheme {scheme!r} (expected bearer)")
    claims = json.loads(base64.urlsafe_b64decode(authorization.split(".")[1] + "=="))
    set_user_context(user_id=claims["sub"])
    return {"id": claims["sub"]}


async def oauth_callback(provider: str, request: Request) -> dict[str, Any]:
    raw = await request.body()
    state = await request.json() if raw else {}
    add_breadcrumb("oauth callback", category="auth", provider_known=False, state_keys=len(state))
    raise LookupError(f"no identity provider configured ({len(state)} state values)")


def _jwt(sub: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'sub': sub, 'exp': 1767225600})}.c2lnbmF0dXJl"


#: (method, path, handler): the app is built from them after ``init()`` (``_corpus._clients``)
ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("POST", "/v1/login", login),
    ("POST", "/v1/mfa/verify", verify_mfa),
    ("POST", "/v1/oauth/token", token),
    ("GET", "/v1/me", me),
    ("POST", "/v1/oauth/callback/{provider:path}", oauth_callback),
]


def init(*, planted: bool = False, pii: bool = False) -> None:
    # Credentials pass through every request here, and FastAPI's own frames hold the raw body
    # (``body_bytes``) and the ASGI scope's headers, which no key-based before_send reaches: the
    # service sends no frame variables (the corpus found both leaks before this line was added).
    init_sentry(NAME, "5.2.3", planted=planted, pii=pii, include_local_variables=planted)


def traffic(client: TestClient) -> None:
    """Logins (known, unknown, locked), MFA, token grants, and bearer-authenticated calls."""
    for n in range(20):
        name = f"user{n % 14}"
        client.post("/v1/login", json={"username": name, "password": f"correct horse battery {n}"})
        client.post(
            "/v1/mfa/verify", json={"user_id": f"usr_{2000 + n}", "otp": f"{(n * 7919) % 1_000_000:06d}"}
        )
        grant = ("client_credentials", "refresh_token", "password")[n % 3]
        form = {
            "grant_type": grant,
            "client_id": f"svc-billing-{n % 4}",
            "client_secret": f"cs-{n:04d}-example",
        }
        client.post(
            "/v1/oauth/token",
            content=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        scheme = "Bearer" if n % 5 else "Basic"
        client.get("/v1/me", headers={"Authorization": f"{scheme} {_jwt(f'usr_{2000 + n}')}"})


@contextmanager
def scene() -> Iterator[None]:
    """A login's scope: the auth settings, the user being signed in, a breadcrumb."""
    with job_scope("login", auth_method="password", mfa="totp"):
        set_user_context(user_id="usr_2042", username="user42")
        sentry_sdk.set_context("auth", AUTH_SETTINGS)
        add_breadcrumb("login attempt", category="auth", auth_method="password")
        yield
