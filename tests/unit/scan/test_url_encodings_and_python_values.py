"""Values the scanner must decode or descend into before the rules can see them."""

from __future__ import annotations

import pytest

from pytest_sentry_check import scan

BEARER = "Bearer tok_5cae66fefd2a5a3fbadaa8c1"


@pytest.mark.parametrize(
    "query",
    ["note=Bearer+tok_5cae66fefd2a5a3fbadaa8c1", "note=Bearer%20tok_5cae66fefd2a5a3fbadaa8c1"],
    ids=["plus for a space", "percent escape"],
)
def test_a_bearer_token_in_a_form_encoded_query_string_is_found(query: str) -> None:
    [finding] = scan({"request": {"query_string": query}})
    assert str(finding) == (
        "[high] auth-header (Bearer credential) at event:request.query_string: Bea…[35 chars]"
    )


def test_a_plus_in_plain_text_is_not_decoded_into_a_finding() -> None:
    assert scan({"extra": {"note": "C++ and 1+1=2 are fine"}}) == []


def test_a_set_in_a_plain_dict_is_scanned_in_a_stable_order() -> None:
    findings = scan({"extra": {"tokens": {BEARER, "ok"}}})
    assert [(f.rule, f.path) for f in findings] == [("auth-header", "extra.tokens.0")]


def test_bytes_in_a_plain_dict_are_scanned_as_text() -> None:
    [finding] = scan({"extra": {"raw": BEARER.encode()}})
    assert (finding.rule, finding.path, finding.preview) == ("auth-header", "extra.raw", "Bea…[35 chars]")
