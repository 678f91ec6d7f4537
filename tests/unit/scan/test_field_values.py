"""The field rule reads the value too: a sensitive name over a counter, a switch, a duration or
an auth method's name is a setting, not a leak (issue #20, "value-aware field rule")."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sentry_sdk

from pytest_sentry_check import SentryEvents, capture, scan
from pytest_sentry_check._rules.fields import harmless_value

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"

# What an LLM / agent service sets around a model call: counters, budgets, model and auth settings.
LLM_SETTINGS: dict[str, Any] = {
    "max_tokens": 1024,
    "max_completion_tokens": "2048",
    "token_budget": 4000,
    "token_limit_per_minute": 90_000,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "auth_method": "oauth2",
    "auth_required": True,
    "token_type": "Bearer",
    "api_key_header": "X-Api-Key",
    "api_key_source": "env",
    "session_timeout": "30m",
    "session_ttl_seconds": 1800,
    "secret_rotation_period": "P90D",
    "secret_store": "vault",
    "password_min_length": 12,
    "password_policy": "strict",
    "token_url": "https://auth.example.com/oauth/token",
    "credentials_expire_at": "2026-12-31T23:59:59Z",
}


def _send(settings: dict[str, Any], **options: Any) -> SentryEvents:
    with capture() as events:
        sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0, **options)
        sentry_sdk.set_context("llm", settings)
        sentry_sdk.set_tag("auth_method", str(settings.get("auth_method", "none")))
        for key, value in settings.items():
            sentry_sdk.set_extra(key, value)
        with sentry_sdk.start_transaction(name="chat"), sentry_sdk.start_span(op="gen_ai.chat") as span:
            span.set_data("gen_ai.usage.input_tokens", 512)
            span.set_data("gen_ai.request.max_tokens", 1024)
            _call_model(settings)
        sentry_sdk.flush()
    return events


def _call_model(settings: dict[str, Any]) -> None:
    max_tokens = settings.get("max_tokens")  # noqa: F841 (frame variables are the point)
    auth_method = settings.get("auth_method")  # noqa: F841
    try:
        raise TimeoutError("model call timed out")
    except TimeoutError:
        sentry_sdk.capture_exception()


def test_a_clean_llm_event_with_token_counters_and_auth_settings_gives_no_finding() -> None:
    events = _send(LLM_SETTINGS)
    sent = b"".join(events.raw_envelopes)
    assert b'"token_budget":4000' in sent  # the settings were sent
    assert b'"auth_method":"oauth2"' in sent
    assert b'"secret_rotation_period":"P90D"' in sent
    assert scan(events) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("password", "hunter2-Blue"),
        ("api_token", "v4lue-Zx81"),
        ("auth_secret", "correct horse battery staple"),
        ("session_token", "0f9c2d7e4b1a8c3f6e5d2a9b"),
        ("pin", 4921),
        ("secret_key_name", "Zq8mR3vT9wK2pL7xN4cB6hJ1"),  # a setting's name, a random value
    ],
)
def test_a_secret_under_the_same_names_is_still_found(key: str, value: Any) -> None:
    findings = scan(_send({key: value}))
    # (the SDK's default scrubber filters some top-level extra keys: the context keeps them all)
    assert ("field", f"contexts.llm.{key}") in {(f.rule, f.path) for f in findings}


def _strings_under(node: Any, key: str) -> list[str]:
    """Every string under ``key`` anywhere in ``node``."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == key and isinstance(v, str)]
        return found + [s for v in node.values() for s in _strings_under(v, key)]
    if isinstance(node, list):
        return [s for v in node for s in _strings_under(v, key)]
    return []


def test_pytests_own_session_in_pluggy_frame_variables_is_no_secret() -> None:
    """Regression: with attach_stacktrace, pytest's ``Session`` in pluggy's frames (key ``session``
    in ``caller_kwargs``, below what the SDK's scrubber filters) was a high-severity 'sensitive
    field' in every event."""
    with capture() as events:
        sentry_sdk.init(dsn=DSN, attach_stacktrace=True)
        sentry_sdk.capture_message("checkout slow")
    frames = events.one()["threads"]["values"][0]["stacktrace"]["frames"]
    sessions = [s for s in _strings_under(frames, "session") if s.startswith("<Session ")]
    assert sessions  # it was sent
    assert [f for f in scan(events) if f.rule == "field"] == []


def test_the_sdks_quoted_filtered_placeholder_is_no_password() -> None:
    """Regression: ``'[Filtered]'``, as the SDK writes an already filtered string held in a frame
    variable, was reported as a leaked password."""
    already_scrubbed = {"password": "[Filtered]"}

    with capture() as events:
        sentry_sdk.init(dsn=DSN)
        try:
            raise ValueError(f"login failed ({len(already_scrubbed)})")
        except ValueError:
            sentry_sdk.capture_exception()
    frame = events.one()["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["vars"]["already_scrubbed"] == {"password": "'[Filtered]'"}  # quoted, as sent
    assert scan(events) == []


def test_a_sensitive_name_in_json_text_inside_a_string_is_found() -> None:
    """A request body or a log line holding JSON text: its pairs are read like keys."""
    body = json.dumps({"user": "ana", "api_token": "v4lue-Zx81", "max_tokens": 100}).encode()
    findings = scan({"extra": {"body": repr(body)}})
    assert [(f.rule, f.path, f.preview, f.detail) for f in findings] == [
        ("field", "extra.body", "v4…[10 chars]", "sensitive field 'token' (in JSON text inside the value)")
    ]


@pytest.mark.parametrize(
    ("term", "name", "value"),
    [
        ("token", "max_tokens_per_call", 1024),
        ("token", "token_count", "1024"),
        ("token", "token_budget", 4.5),
        ("auth", "auth_enabled", "true"),
        ("auth", "auth_method", "OAuth2"),
        ("auth", "auth", "'basic'"),  # a frame variable, as the SDK quotes it
        ("secret", "secret_rotation", "P90D"),
        ("secret", "secret_ttl", "15m"),
        ("password", "password_changed_at", "2026-11-30T10:00:00+01:00"),
        (
            "session",
            "session",
            "<Session my-suite exitstatus=<ExitCode.OK: 0> testsfailed=0 testscollected=3>",
        ),
        ("auth", "auth", "<httpx.BasicAuth object at 0x7f3a2b1c0d90>"),
        ("token", "token_url", "https://auth.example.com/oauth/token"),
        ("password", "password_policy", "min-12-chars"),
        ("pin", "pin", 12),
    ],
)
def test_harmless_values(term: str, name: str, value: Any) -> None:
    assert harmless_value(term, name, value)


@pytest.mark.parametrize(
    ("term", "name", "value"),
    [
        ("password", "password", "hunter2"),
        ("password", "password", "letmein"),  # a plain word is no setting under "password"
        ("token", "token", "tok_live_51Habc123"),
        ("pin", "pin", 4921),
        ("pin", "user_pin", "0042"),
        ("cvv", "cvv", 123),
        ("secret", "client_secret", "Zq8mR3vT9wK2pL7xN4cB6hJ1"),
        ("token", "token_type", "Zq8mR3vT9wK2pL7xN4cB6hJ1"),  # random under a setting's name
        ("auth", "auth", ["oauth"]),  # containers are judged value by value, never whole
    ],
)
def test_values_that_may_be_secrets(term: str, name: str, value: Any) -> None:
    assert not harmless_value(term, name, value)
