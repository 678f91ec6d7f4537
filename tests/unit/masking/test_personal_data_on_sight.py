"""Personal data is masked on sight in every shown value: phone numbers with their country code,
IMEIs named as such, MAC addresses (and, being high, national identifiers of a shape of their own),
as email addresses are; what the rules reject stays readable."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import sentry_sdk

from pytest_sentry_check import _masking, capture
from pytest_sentry_check._masking import mask_secrets
from pytest_sentry_check._rules.patterns import PATTERN_RULES


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("SMS to +44 20 7946 0958 failed", "SMS to +44…[16 chars] failed"),
        ("whatsapp:+919876543210", "whatsapp:+91…[13 chars]"),
        ("user={'phone': '+1 (202) 555-0143'}", "user={'phone': '+1 …[17 chars]'}"),
        ("device imei: 35-209900-176148-1", "device imei: 35-…[18 chars]"),
        ("IMEI 490154203237518", "IMEI 490…[15 chars]"),
        ("HWaddr 3c:22:fb:97:41:d2 up", "HWaddr 3c:…[17 chars] up"),
        ("CPF 120.311.693-43", "CPF 120…[14 chars]"),
    ],
)
def test_personal_data_is_masked_on_sight(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "support: +1 800 555 0199",  # toll free: a business line
        "call 020 7946 0958",  # a national number needs a phone key, which a message has not
        "order 490154203237518",  # 15 Luhn-valid digits, not named an IMEI
        "ff:ff:ff:ff:ff:ff",
        "took 1733212800123 ms",
        "2026-12-03 10:15:00+01:00",
        "shop@4.2.0+20261203",
        "retry +3 in 60s",
        "fe80::1ff:fe23:4567:890a",
    ],
)
def test_what_the_rules_reject_stays_readable(text: str) -> None:
    assert mask_secrets(text) == text


_GUARDED = [rule for rule in PATTERN_RULES if rule.id in _masking._ON_SIGHT_NEEDS]


@pytest.mark.parametrize(
    "text",
    [
        text
        for rule in _GUARDED
        for text in (
            *rule.true_positives,
            *rule.false_positives,
            *(f"x {s!r} y" for s in rule.true_positives),
        )
    ]
    + ["phone 020 7946 0958", "'(415) 555-2671'", "imei=356938035643809", "IMEI: 35 209900 176148 1"],
)
def test_the_cheap_checks_before_a_rule_never_change_what_it_masks(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_ON_SIGHT_NEEDS`` only skips texts in which the rule, given no key, validates nothing."""
    guarded = mask_secrets(text)
    monkeypatch.setattr(_masking, "_ON_SIGHT_NEEDS", {})
    assert mask_secrets(text) == guarded


@pytest.mark.sentry_check(gate="off")
def test_a_query_miss_message_masks_a_captured_phone_number() -> None:
    """The values a failing query shows (its candidates' summaries and what each one had), and
    the expected values it repeats: a phone number shows its first characters and its length."""
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        sentry_sdk.capture_message("SMS to +44 20 7946 0958 failed")
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": "u-1", "phone": "+1 (202) 555-0143"})
            sentry_sdk.capture_message("device imei: 35-209900-176148-1 on 3c:22:fb:97:41:d2")
        with pytest.raises(AssertionError) as info:
            events.one(message="delivered", user={"phone": "+1 (202) 555-0100"})
    lines = str(info.value).splitlines()
    assert lines[:7] == [
        "sentry_events.one(message='delivered', user={'phone': '+1 …[17 chars]'}): no event matches,"
        " amongst 2 events captured:",
        "  1. message 'SMS to +44…[16 chars] failed' (level=info)",
        "     - message: expected to contain 'delivered', got 'SMS to +44…[16 chars] failed'",
        '     - user["phone"]: missing (present: none)',
        "  2. message 'device imei: 35-…[18 chars] on 3c:…[17 chars]' (level=info)",
        "     - message: expected to contain 'delivered', got 'device imei: 35-…[18 chars] on 3c:…[17 chars]'",
        "     - user[\"phone\"]: expected '+1 …[17 chars]', got '+1 …[17 chars]'",
    ]
    for whole in ("7946 0958", "555-0143", "555-0100", "176148", "fb:97:41"):
        assert whole not in str(info.value)


def test_masking_imports_phonenumbers_only_for_a_number_with_its_country_code() -> None:
    """mask_secrets runs on every shown value: texts without ``+`` and a digit never load the
    library (pytest's start-up imports none of it either, tests/unit/rules/test_personal_rules.py)."""
    code = textwrap.dedent(
        """
        import sys
        from pytest_sentry_check._masking import mask_secrets
        for text in ("order 4471234567890", "phone 020 7946 0958", "IMEI 490154203237518", "a+b"):
            mask_secrets(text)
        print("phonenumbers" in sys.modules)
        mask_secrets("SMS to +44 20 7946 0958 failed")
        print("phonenumbers" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["False", "True"]
