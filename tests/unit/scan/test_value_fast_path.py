"""The walk asks one combined regex whether any pattern rule may match a value; it must say yes
exactly where one of the rules' own regexes matches, or a leak goes unseen."""

from __future__ import annotations

import pytest

from pytest_sentry_check._rules.patterns import PATTERN_RULES
from pytest_sentry_check._scan.prefilter import any_pattern as _any_pattern

SAMPLES = sorted({text for rule in PATTERN_RULES for text in (*rule.true_positives, *rule.false_positives)})


@pytest.mark.parametrize("text", SAMPLES)
def test_the_combined_regex_matches_where_a_rule_does(text: str) -> None:
    combined = _any_pattern(PATTERN_RULES)
    assert bool(combined.search(text)) == any(rule.regex.search(text) for rule in PATTERN_RULES)


def test_back_references_keep_meaning_their_own_group() -> None:
    """A MAC address must use one separator throughout; shifted groups would break that."""
    mac = next(rule for rule in PATTERN_RULES if rule.id == "mac-address")
    combined = _any_pattern((*PATTERN_RULES[:3], mac))
    assert combined.search("device aa:bb:cc:dd:ee:f1 seen")
    assert not combined.search("device aa:bb-cc:dd:ee:f1 seen")


def test_only_the_encoded_strings_of_an_item_are_decoded_for_the_triggers() -> None:
    from pytest_sentry_check._scan.prefilter import decoded_strings

    text = (
        '{"url":"/x?note=Bearer+tok_live_1%21","at":"2026-12-03T10:00:00+01:00","q":"a\\"b%20c","n":"plain"}'
    )
    assert decoded_strings(text) == '\n/x?note=Bearer tok_live_1!\n"note":"Bearer tok_live_1!"\na\\"b c'
    assert decoded_strings('{"at":"10:00+01:00","n":"plain"}') == ""


def test_a_span_id_of_digits_is_no_card_number_under_a_pan_key() -> None:
    """Regression: "span_id" holds "pan", and one span id in 2,000 is 16 decimal digits: the card
    trigger fired on large transactions, which were then walked value by value."""
    from pytest_sentry_check import ScanItem
    from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
    from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
    from pytest_sentry_check._scan.scanner import scanner_for

    scanner = scanner_for((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    spans = ScanItem(
        "transaction", {"spans": [{"span_id": "8612583329445046", "op": "db"}]}, json_native=True
    )
    assert scanner._fired(spans) == set()
    card = ScanItem("event", {"extra": {"pan": "4111111111111111"}}, json_native=True)
    assert "credit-card" in (scanner._fired(card) or set())


def test_sql_placeholders_and_spaced_equals_are_no_query_strings() -> None:
    """A batch job's 500 span descriptions ("WHERE id = %s") each made the prefilter look for a
    query string around every '%' and '='."""
    from pytest_sentry_check._scan.prefilter import decoded_strings

    assert decoded_strings('{"description":"SELECT * FROM t WHERE id = %s","op":"a == b"}') == ""


def test_a_loopback_dsn_or_url_fires_no_trigger() -> None:
    """Regression: a test's DSN (``key@127.0.0.1``) in the source context, or a uvicorn test's
    request URL, fired the IP address trigger in every event, which was then walked value by
    value for an address the rule never reports. Addresses it reports still fire it."""
    from pytest_sentry_check import ScanItem, scan
    from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
    from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
    from pytest_sentry_check._scan.scanner import scanner_for

    scanner = scanner_for((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    quiet = {
        "pre_context": ['sentry_sdk.init(dsn="http://publickey@10.0.0.7:9/1")'],
        "request": {"url": "http://127.0.0.1:8000/orders/o-1", "env": {"SERVER_NAME": "127.0.0.1"}},
        "extra": {"group": "239.255.255.250", "broadcast": "255.255.255.255"},
    }
    assert scanner._fired(ScanItem("event", quiet, json_native=True)) == set()
    assert scan(quiet) == []
    for address in ("10.0.0.7", "192.168.1.20", "203.0.113.9", "0.1.2.3", "126.1.2.3", "223.1.2.3"):
        event = {"extra": {"note": f"client {address} retried"}}
        assert scanner._fired(ScanItem("event", event, json_native=True)) == {"ip-address"}, address
        assert [f.rule for f in scan(event)] == ["ip-address"], address
