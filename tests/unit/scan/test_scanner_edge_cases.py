"""The scanner's edge cases, each once found by review: misses, false positives, outputs, hostile input."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from pytest_sentry_check import Event, scan
from pytest_sentry_check._masking import forget_secrets, register_secret
from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
from pytest_sentry_check._scan import scanner as _scanner
from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

MUST_FIND = {
    "card under a card key higher up": (
        {"request": {"data": {"card": {"number": "4111111111111111"}}}},
        "credit-card",
    ),
    "card stored as an int": ({"extra": {"card_number": 4111111111111111}}, "credit-card"),
    "email after a single slash": ({"transaction": "GET /users/ana.lopez@shop.example"}, "email"),
    "compressed IPv6": ({"extra": {"ip": "fd00::1"}}, "ip-address"),
    "Bearer and a tab": ({"extra": {"h": "Bearer\tabc123defghi"}}, "auth-header"),
    "all-caps camel short term": ({"extra": {"userPIN": "4821"}}, "field"),
    "doubled separators": ({"extra": {"api__key": "k-12345678"}}, "field"),
    "non-ASCII before a short term": ({"extra": {"éauth": "x1y2z3"}}, "field"),
    "query-string key without a canary": (
        {"request": {"query_string": "api_key=f3a9c1d2e4&page=2"}},
        "field",
    ),
    "token in a URL's query": ({"request": {"url": "https://shop.example/x?token=abc123&page=1"}}, "field"),
    "password in a form body": ({"request": {"data": "user=ana&password=hunter22"}}, "field"),
    "pairs inside tuples": ({"h": (("authorization", "Bearer abc123defghijk"),)}, "auth-header"),
    "a key that is an email": ({"extra": {"ana@shop.example": 1}}, "email"),
    "a key that is an AWS key": ({"extra": {"AKIAIOSFODNN7EXAMPLE": "x"}}, "aws-access-key"),
    "American Express 4-6-5": ({"extra": {"n": "3782 822463 10005"}}, "credit-card"),
    "set-cookie in the response context": (
        {"contexts": {"response": {"headers": {"Set-Cookie": "sid=abc123"}}}},
        "field",
    ),
}
MUST_NOT_FIND = {
    "Chrome user agent": {
        "request": {"headers": {"User-Agent": "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36"}}
    },
    "rc release": {"attrs": {"release": "shop@2.0.0-rc.final"}, "tags": {"v": "api@2.0.0.rc"}},
    "git remote": {"extra": {"origin": "git@github.com:org/repo.git"}},
    "the word credentials": {"message": "missing bearer credentials"},
    "scrubbed log attribute": {
        "items": [{"attributes": {"api_token": {"value": "[Filtered]", "type": "string"}}}]
    },
    "baggage header pair": {"vars": {"headers": [["b'baggage'", "b'sentry-release=web%401.0.0-beta.rc'"]]}},
    "innocent query string": {"request": {"query_string": "page=2&sort=desc&q=token+bucket"}},
    "scrubbed query key": {"request": {"query_string": "api_key=[Filtered]&page=2"}},
    "source lines": {
        "exception": {"values": [{"stacktrace": {"frames": [{"post_context": ["x = 'ana@shop.example'"]}]}}]}
    },
}


@pytest.mark.parametrize("name", sorted(MUST_FIND))
def test_found(name: str) -> None:
    payload, rule = MUST_FIND[name]
    assert rule in {f.rule for f in scan(payload)}


@pytest.mark.parametrize("name", sorted(MUST_NOT_FIND))
def test_not_found(name: str) -> None:
    assert scan(MUST_NOT_FIND[name]) == []


def test_a_session_id_is_not_a_login_session() -> None:
    assert scan({"sid": "7c7b2a1e-0c6e-4c7e-9d0b-6b2f4f7a9d10", "status": "ok"}) != []  # as an event: a field
    from pytest_sentry_check._model.items import ScanItem

    scanner = _scanner.scanner_for((), tuple(DEFAULT_FIELDS), (), DEFAULT_DETECTORS)
    assert list(scanner.scan_item(ScanItem("session", {"sid": "7c7b2a1e-0c6e", "status": "ok"}))) == []


@pytest.mark.parametrize("payload", [case for case, _ in MUST_FIND.values()] + list(MUST_NOT_FIND.values()))
def test_the_prefilter_never_hides_what_a_full_walk_finds(
    payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-pass triggers may over-fire, never under-fire."""
    with_prefilter = scan(payload)
    _scanner.scanner_for.cache_clear()
    monkeypatch.setattr(
        _scanner.Scanner, "_fired", lambda self, item: {"field", "canary", *(r.id for r in self.patterns)}
    )
    assert scan(payload) == with_prefilter
    _scanner.scanner_for.cache_clear()


def test_no_output_shows_a_secret_in_another_spelling() -> None:
    """Summaries mask a registered secret upper-cased, URL-encoded or in base64; paths mask keys."""
    secret = "tok_5cae66fefd2a5a3fbadaa8c1"
    register_secret(secret)
    try:
        summary = Event({"message": f"auth {secret.upper()}", "level": "info"}).summary()
        assert secret.upper() not in summary
    finally:
        forget_secrets([secret])
    [finding] = scan({"extra": {"AKIAIOSFODNN7EXAMPLE": {"owner": "ana@shop.example"}}}, detectors=["email"])
    assert "AKIAIOSFODNN7EXAMPLE" not in finding.path
    [field] = scan({"h": [["Authorization: Bearer sekr1tT0kenValue99", "x"]]}, detectors=["field"])
    assert "sekr1t" not in str(field)


@pytest.mark.parametrize(
    "encode",
    [urllib.parse.quote, lambda s: urllib.parse.quote(s, safe="!~*'()"), lambda s: s.replace("/", "\\/")],
    ids=["urllib-default", "encodeURIComponent", "json-slash"],
)
def test_more_spellings_of_a_canary(encode: Any) -> None:
    secret = "Pw/Canary!x(1)"
    assert scan({"extra": {"v": encode(secret)}}, secrets=[secret], detectors=["canary"])


def test_hostile_payloads_do_not_crash() -> None:
    """A structure containing itself, a value whose __str__ raises, bytes that are no envelope."""
    looped: dict[str, Any] = {"a": 1}
    looped["self"] = looped

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert scan(looped) == []
    assert scan({"extra": {"x": Hostile()}}) == []
    assert scan(b"") == []
    assert [f.item_type for f in scan(b"{}\n{not json but ana@shop.example\n")] == ["envelope"]
