"""Items the one-pass prefilter cannot take whole, and text built to make a rule backtrack."""

from __future__ import annotations

from pytest_sentry_check import ScanItem, scan
from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
from pytest_sentry_check._scan.scanner import scanner_for

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)


def _big_item() -> dict[str, dict[str, str]]:
    filler = ("clean words and numbers 12345 " * 40)[:1000]
    extra = {f"k{i}": filler for i in range(5000)}  # 5 MB: over the one-pass limit
    extra["retry"] = "retry with Bearer tok_5cae66fefd2a5a3fbadaa8c1"
    extra["password"] = "hunter2-but-longer"
    extra["card_number"] = "4111111111111111"
    return {"extra": extra}


def test_an_item_over_the_one_pass_limit_is_prefiltered_value_by_value() -> None:
    scanner = scanner_for((), tuple(DEFAULT_FIELDS), (), DEFAULT_DETECTORS)
    assert scanner._fired(ScanItem("event", _big_item())) is None
    found = {(f.rule, f.path) for f in scan(_big_item())}
    assert found == {
        ("auth-header", "extra.retry"),
        ("field", "extra.password"),
        ("credit-card", "extra.card_number"),
    }


def test_a_jwt_is_found_after_a_space_a_quote_or_an_equals_sign() -> None:
    found = scan({"extra": {"a": f"Bearer {JWT}", "b": f"token={JWT}", "c": JWT, "d": f'"{JWT}"'}})
    assert {(f.rule, f.path) for f in found if f.rule == "jwt"} == {
        ("jwt", "extra.a"),
        ("jwt", "extra.b"),
        ("jwt", "extra.c"),
        ("jwt", "extra.d"),
    }


def test_a_run_of_eyj_is_no_jwt() -> None:
    assert scan({"extra": {"x": "-eyJ" * 2000 + ".eyJ"}}) == []
