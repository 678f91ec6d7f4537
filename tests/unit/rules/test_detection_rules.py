"""Each detection rule on its own: samples, field semantics, canary encodings."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_sentry_check._rules.fields import FieldMatcher, is_scrubbed
from pytest_sentry_check._rules.patterns import PATTERN_RULES, find_patterns
from pytest_sentry_check._scan.api import assert_scrubbed, scan
from pytest_sentry_check._scan.finding import SEVERITIES, Finding
from pytest_sentry_check._scan.prefilter import PATTERN_TRIGGERS
from pytest_sentry_check._scan.secrets import SecretRegistry

TRUE_POSITIVES = [(rule, sample) for rule in PATTERN_RULES for sample in rule.true_positives]
FALSE_POSITIVES = [(rule, sample) for rule in PATTERN_RULES for sample in rule.false_positives]
#: The key a rule's true positives are tested under: rules that judge a bare digit run by its
#: key; every other rule's samples carry what they need in their text.
SAMPLE_KEYS = {"credit-card": "credit_card", "phone-number": "phone", "national-id": "national_id"}


@pytest.mark.parametrize(("rule", "sample"), TRUE_POSITIVES, ids=lambda v: getattr(v, "id", repr(v)[:30]))
def test_each_rule_finds_its_true_positives(rule: Any, sample: str) -> None:
    """Every true-positive sample kept next to a rule is found by it (under its sample key)."""
    if rule.id == "national-id":
        pytest.importorskip("stdnum", reason="the national-id rule needs the [pii] extra")
    path = f"extra.{SAMPLE_KEYS.get(rule.id, 'note')}"
    assert [r.id for r, _, _ in find_patterns(sample, path, (rule,))], sample


@pytest.mark.parametrize(("rule", "sample"), FALSE_POSITIVES, ids=lambda v: getattr(v, "id", repr(v)[:30]))
def test_each_rule_ignores_its_false_positives(rule: Any, sample: str) -> None:
    """No false-positive sample of a rule fires it."""
    assert list(find_patterns(sample, "extra.note", (rule,))) == []


def test_every_rule_has_samples_both_ways() -> None:
    """A rule without samples could not be shown to work or to stay quiet: three of each, at least."""
    for rule in PATTERN_RULES:
        assert len(rule.true_positives) >= 3, rule.id
        assert len(rule.false_positives) >= 3, rule.id


def test_every_rule_has_an_id_a_severity_and_a_trigger() -> None:
    """Ids are lower-case words joined by hyphens, unique; severities are the four known ones;
    the prefilter has a trigger for each rule (a rule without one would never run)."""
    ids = [rule.id for rule in PATTERN_RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule_id) for rule_id in ids)
    assert {rule.severity for rule in PATTERN_RULES} <= set(SEVERITIES)
    assert set(PATTERN_TRIGGERS) == set(ids)


def test_a_bare_digit_run_is_a_card_only_where_the_key_says_so() -> None:
    """16 Luhn-valid digits in a card field are found; the same digits as an id are not."""
    assert scan({"extra": {"card_number": "4111111111111111"}})[0].rule == "credit-card"
    assert scan({"extra": {"order_id": "4111111111111111"}}) == []


class TestFields:
    @pytest.mark.parametrize(
        "key",
        ["password", "X-Api-Key", "api_key", "Authorization", "set-cookie", "sessionid", "http_auth",
         "csrf", "PHPSESSID", "db_passwd", "privateKey", "b'authorization'", "refresh_token"],
    )  # fmt: skip
    def test_sensitive_names(self, key: str) -> None:
        """Long terms match inside names, short ones as whole words; case and separators ignored."""
        assert FieldMatcher().match(key) is not None

    @pytest.mark.parametrize(
        "key",
        ["author", "authority", "pinned", "spinner", "input_tokens", "gen_ai.usage.output_tokens",
         "keyboard", "description", "status", "tokenizer"],
    )  # fmt: skip
    def test_innocent_names(self, key: str) -> None:
        """author is not auth; token counts are not tokens."""
        assert FieldMatcher().match(key) is None

    @pytest.mark.parametrize(
        "value", [None, "", "[Filtered]", "[FILTERED]", "****", "[email]", "[Scrubbed]", "b''", {}]
    )
    def test_scrubbed_values_are_fine(self, value: Any) -> None:
        """Empty, null, [Filtered], all stars or a bracketed placeholder counts as scrubbed."""
        assert is_scrubbed(value)
        assert scan({"extra": {"password": value}}) == []

    def test_a_value_under_a_sensitive_key_is_found_with_its_path(self) -> None:
        """Nested values under a sensitive key, and [name, value] pairs, are found."""
        findings = scan(
            {
                "request": {"cookies": {"theme": "dark", "sid": "s3ss10n"}},
                "extra": {"headers": [["authorization", "Bearer abcdefghijkl"], ["accept", "*/*"]]},
            },
            detectors=["field"],
        )
        assert [(f.rule, f.path) for f in findings] == [
            ("field", "request.cookies.theme"),
            ("field", "request.cookies.sid"),
            ("field", "extra.headers.0.1"),
        ]

    def test_ip_fields_need_an_ip(self) -> None:
        """x_forwarded_for is personal only when it holds a real address."""
        assert scan({"request": {"env": {"REMOTE_ADDR": "testclient"}}}) == []
        assert scan({"request": {"env": {"REMOTE_ADDR": "81.2.69.160"}}}, detectors=["field"])[0].path == (
            "request.env.REMOTE_ADDR"
        )

    def test_fields_can_be_narrowed_and_extended(self) -> None:
        """fields= replaces the list; safe_fields= exempts names."""
        event = {"extra": {"password": "x1y2z3", "x-internal-key": "k-123456"}}
        assert [f.path for f in scan(event, fields=["x-internal-key"], detectors=["field"])] == [
            "extra.x-internal-key"
        ]
        assert scan(event, safe_fields=["password"], detectors=["field"]) == []


class TestCanaries:
    def test_every_encoding_is_found(self) -> None:
        """raw, JSON-escaped, URL-encoded (%20 and +), base64/base64url inside a blob, case, bytes repr."""
        secret = "Pw Canary/9+x!"
        forms = {
            "raw": f"user said {secret}",
            "url": urllib.parse.quote(secret, safe=""),
            "plus": urllib.parse.quote_plus(secret),
            "b64": base64.b64encode(b"basic " + secret.encode()).decode(),
            "b64url": base64.urlsafe_b64encode(b"xy" + secret.encode() + b"z").decode(),
            "upper": secret.upper(),
            "bytes": repr(secret.encode()),
            "json": json.dumps({"nested": secret}),
        }
        for name, text in forms.items():
            findings = scan({"extra": {name: text}}, secrets=[secret], detectors=["canary"])
            assert [f.path for f in findings] == [f"extra.{name}"], name

    def test_a_truncated_prefix_is_found(self) -> None:
        """The SDK cuts long strings and appends '...': 12+ characters and half the value still count."""
        secret = "tok_9f8e7d6c5b4a3210"
        findings = scan({"message": f"token={secret[:12]}..."}, secrets=[secret], detectors=["canary"])
        assert findings[0].detail == "registered secret, truncated to 12 characters"

    def test_a_shared_beginning_is_no_leak(self) -> None:
        """Two canaries starting "ak_live_": mentioning the prefix is no finding, either truncation is."""
        first, second = "ak_live_" + "A1b2C3d4E5f6G7h8", "ak_live_" + "Z9y8X7w6V5u4T3s2"
        secrets = [first, second]
        assert (
            scan({"message": "api keys look like ak_live_..."}, secrets=secrets, detectors=["canary"]) == []
        )
        text = f"old {first[:14]}, new {second[:14]}..."
        assert len(scan({"message": text}, secrets=secrets, detectors=["canary"])) == 1

    def test_canaries_are_found_in_keys_and_safe_paths(self) -> None:
        """Canaries are found everywhere, even where patterns are not looked for."""
        secret = "k3y-canary-77"
        findings = scan(
            {"contexts": {"trace": {"op": secret}}, "tags": {secret: "1"}},
            secrets=[secret],
            detectors=["canary"],
        )
        assert sorted(f.path for f in findings) == [
            "contexts.trace.op",
            "tags.k3y…[13 chars]",
        ]  # keys masked too

    def test_sentry_secrets_make_unique_realistic_values(self) -> None:
        """Each kind makes a value its own pattern rule recognises (where there is one)."""
        registry = SecretRegistry()
        made = {kind: registry.make(kind) for kind in ("card", "iban", "jwt", "aws_key", "email")}
        assert len(set(made.values())) == len(made)
        rules = {
            "card": "credit-card",
            "iban": "iban",
            "jwt": "jwt",
            "aws_key": "aws-access-key",
            "email": "email",
        }
        for kind, value in made.items():
            found = {f.rule for f in scan({"extra": {"credit_card_value": value}}, detectors=[rules[kind]])}
            assert found == {rules[kind]}, kind
        with pytest.raises(ValueError, match="unknown secret kind 'pasword'; choose one of: password, token"):
            registry.make("pasword")


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
ENCODINGS = {
    "raw": lambda s: s,
    "json": lambda s: json.dumps(s)[1:-1],
    "url-default": urllib.parse.quote,
    "url": lambda s: urllib.parse.quote(s, safe=""),
    "plus": urllib.parse.quote_plus,
    "b64": lambda s: base64.b64encode(s.encode()).decode(),
    "b64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "upper": str.upper,
    "lower": str.lower,
    "bytes": lambda s: repr(s.encode()),
}


def _plant(value: Any, text: str, choice: int) -> tuple[Any, bool]:
    """Put ``text`` into one string leaf (or key, or a new leaf) of ``value``."""
    if isinstance(value, dict):
        if value and choice % 3 == 0:
            key = list(value)[choice % len(value)]
            planted, done = _plant(value[key], text, choice // 3)
            return {**value, key: planted}, done
        return ({**value, text: 1} if choice % 2 else {**value, "k": text}), True
    if isinstance(value, list):
        if value and choice % 2:
            index = choice % len(value)
            planted, done = _plant(value[index], text, choice // 2)
            return [*value[:index], planted, *value[index + 1 :]], done
        return [*value, f"pre {text} post"], True
    return f"{value}{text}", True


@settings(max_examples=150, deadline=None)
@given(
    data=json_values,
    secret=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=8, max_size=24
    ).filter(lambda s: s.strip() == s and "  " not in s),
    encoding=st.sampled_from(sorted(ENCODINGS)),
    choice=st.integers(min_value=0, max_value=10_000),
)
def test_a_canary_anywhere_in_any_encoding_is_always_found(
    data: Any, secret: str, encoding: str, choice: int
) -> None:
    """Property: wherever a canary is placed in arbitrary nested JSON, in any supported encoding, it is found."""
    planted, _ = _plant({"extra": data}, ENCODINGS[encoding](secret), choice)
    if len(secret) > 12 and choice % 5 == 0:  # also as the SDK truncates a long string
        planted = {**planted, "cut": secret[: max(12, (len(secret) + 1) // 2) + 1] + "..."}
    findings = scan(planted, secrets=[secret], detectors=["canary"])
    assert findings, (encoding, planted)
    assert all(secret not in f.preview + f.path for f in findings)  # the parts that carry data


def test_assert_scrubbed_lists_findings_masked(sentry_secrets: SecretRegistry) -> None:
    """The message lists each finding with a masked preview and says how to fix or allow it."""
    token = sentry_secrets.add("tok_live_51Habcdef")
    event = {"extra": {"note": f"retry with {token}"}, "user": {"email": "ana@shop.example"}}
    with pytest.raises(AssertionError) as info:
        assert_scrubbed(event)
    message = str(info.value)
    assert message.splitlines() == [
        "assert_scrubbed: 2 findings in what the application sent to Sentry, 2 leak groups:",
        "  [critical] canary (registered secret, raw) at event:extra.note: tok…[18 chars]",
        "  [medium] email (email address) at event:user.email: ana…[16 chars]",
        "Scrub them in before_send or the SDK's event_scrubber; if one is intended, pass "
        'allow=["<rule id or path glob>"] (see https://pytest-sentry-check.readthedocs.io/en/latest/scrubbing/#allowing-findings).',
    ]
    assert token not in message
    assert_scrubbed(event, allow=["canary", "user.*"])


def test_findings_are_plain_data() -> None:
    """Finding is a frozen dataclass whose str is one masked line."""
    finding = scan({"extra": {"key": "AKIAIOSFODNN7EXAMPLE"}})[0]
    assert isinstance(finding, Finding)
    assert (finding.rule, finding.kind, finding.severity, finding.item_type, finding.path) == (
        "aws-access-key", "pattern", "critical", "event", "extra.key")  # fmt: skip
    assert "AKIAIOSFODNN7EXAMPLE" not in str(finding)


def test_user_paths_are_an_opt_in_low_severity_rule() -> None:
    """A user name in a frame's file path is found only when asked for, at low severity."""
    event = {"exception": {"values": [{"stacktrace": {"frames": [{"abs_path": "/home/ana/app/orders.py"}]}}]}}
    assert scan(event) == []
    [finding] = scan(event, detectors=["user-path"])
    assert (finding.rule, finding.severity, finding.path, finding.preview) == (
        "user-path", "low", "exception.values.0.stacktrace.frames.0.abs_path", "…[3 chars]")  # fmt: skip
