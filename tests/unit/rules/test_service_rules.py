"""The service-credential rules (``_rules/services.py``) and the triggers of every pattern rule:
key context, connection-string forms, masked findings, and triggers that fire on each sample
wherever the SDK puts it (raw, JSON-escaped, URL-encoded)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import orjson
import pytest

from pytest_sentry_check._rules.patterns import PATTERN_RULES, find_patterns
from pytest_sentry_check._rules.services import CONNECTION_STRING_RULE, SERVICE_TOKEN_RULES
from pytest_sentry_check._scan import scanner as _scanner
from pytest_sentry_check._scan.api import scan
from pytest_sentry_check._scan.prefilter import PATTERN_TRIGGERS, TriggerSet

RULES = {rule.id: rule for rule in PATTERN_RULES}
SAMPLE_KEYS = {"credit-card": "credit_card", "phone-number": "phone", "national-id": "national_id"}
EVERY_TRUE_POSITIVE = [(rule.id, sample) for rule in PATTERN_RULES for sample in rule.true_positives]
AWS_SECRET = "2K6O0GRjz5/fkheUv9AyVjPMr6wywaPsAVXxn6UX"


def _found(rule_id: str, text: str, path: str = "extra.note") -> list[str]:
    return [description for _, _, description in find_patterns(text, path, (RULES[rule_id],))]


def _ids(rule: Any) -> str:
    return str(rule)[:40]


class TestTriggers:
    @pytest.mark.parametrize(("rule_id", "sample"), EVERY_TRUE_POSITIVE, ids=_ids)
    def test_each_trigger_fires_on_its_rules_samples_in_every_spelling(
        self, rule_id: str, sample: str
    ) -> None:
        """Raw, as orjson and json (ASCII-escaped) write it, inside a JSON string inside JSON
        (a logged request body), and URL-encoded once the scanner decoded it."""
        triggers = TriggerSet({rule_id: PATTERN_TRIGGERS[rule_id]})
        key = SAMPLE_KEYS.get(rule_id, "note")
        spellings = {
            "raw": sample,
            "orjson": orjson.dumps({"extra": {key: sample}}).decode(),
            "json": json.dumps({"extra": {key: sample}}),
            "quoted repr": json.dumps({"extra": {"vars": {key: repr(sample)}}}),
            "decoded": orjson.dumps(
                {key: urllib.parse.unquote_plus(urllib.parse.quote_plus(sample))}
            ).decode(),
        }
        if rule_id not in ("phone-number", "national-id", "credit-card"):  # these need their key
            spellings["JSON in JSON"] = json.dumps({"extra": {"body": json.dumps({key: sample})}})
        else:
            spellings.pop("raw")
        for name, text in spellings.items():
            assert triggers.match(text) == {rule_id}, name

    @pytest.mark.parametrize(("rule_id", "sample"), EVERY_TRUE_POSITIVE, ids=_ids)
    def test_the_prefilter_never_hides_what_a_full_walk_finds(
        self, rule_id: str, sample: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each sample in an event, under its key and under nested keys: the same findings with the
        triggers as with every rule walked, and at least one of the sample's rule."""
        if rule_id == "national-id":
            pytest.importorskip("stdnum")
        key = SAMPLE_KEYS.get(rule_id, "note")
        event = {
            "extra": {key: sample, "nested": {key: [sample]}},
            "contexts": {"checkout": {key: {"value": sample}}},
        }
        with_prefilter = scan(event)
        _scanner.scanner_for.cache_clear()
        monkeypatch.setattr(
            _scanner.Scanner, "_fired", lambda self, item: {"field", "canary", *(r.id for r in self.patterns)}
        )
        try:
            assert scan(event) == with_prefilter
        finally:
            _scanner.scanner_for.cache_clear()
        assert rule_id in {finding.rule for finding in with_prefilter}

    def test_a_trigger_stays_quiet_on_names_alone(self) -> None:
        """The SDK's module list names "phonenumbers" with its version: no phone rule runs."""
        triggers = TriggerSet(PATTERN_TRIGGERS)
        text = orjson.dumps(
            {"modules": {"phonenumbers": "9.0.43", "python-stdnum": "2.2"}, "tags": {"feature": "orders"}}
        ).decode()
        assert triggers.match(text) == set()


class TestAwsSecretKey:
    @pytest.mark.parametrize(
        "path", ["extra.aws_secret_access_key", "vars.credentials.SecretAccessKey", "extra.AWS_SECRET"]
    )
    def test_a_bare_key_is_found_under_its_name(self, path: str) -> None:
        assert _found("aws-secret-key", AWS_SECRET, path) == ["AWS secret access key (named by its key)"]

    def test_a_bare_key_is_found_next_to_its_key_id(self) -> None:
        text = f"credentials AKIASEJSGHJAZVBKURW5 / {AWS_SECRET} rotated"
        assert _found("aws-secret-key", text) == ["AWS secret access key (next to its key id)"]

    @pytest.mark.parametrize(
        "path", ["extra.note", "extra.aws.secret_key", "extra.signature", "release", "extra.commit_sha"]
    )
    def test_forty_base64_characters_alone_are_nothing(self, path: str) -> None:
        """Not under an unrelated key, nor with its words in two path segments (the prefilter
        could not see them together)."""
        assert _found("aws-secret-key", AWS_SECRET, path) == []

    def test_in_an_event(self) -> None:
        [finding] = scan({"extra": {"aws_secret_access_key": AWS_SECRET}}, detectors=["aws-secret-key"])
        assert (finding.rule, finding.severity, finding.preview) == (
            "aws-secret-key",
            "critical",
            "2K6…[40 chars]",
        )


class TestConnectionStrings:
    @pytest.mark.parametrize(
        ("text", "description"),
        [
            ("Server=db;Database=shop;User Id=sa;Password=Hunter2!", "connection string with a password"),
            ('Data Source=db;Password="p;w0rd";Pooling=true', "connection string with a password"),
            ("Host=db;Username=app;Password = s3cr3t ;", "connection string with a password"),
            (
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=BfZ/CCgDZisqopUQWEsjAlW0YLD68aEJ/y+2MDJ1KDg=",
                "connection string with an account key",
            ),
            (
                "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=Zm9v%3D",
                "connection string with a shared access signature",
            ),
            ("mysql://db.internal/shop?user=app&password=My-p4ss", "connection URL with a password"),
            ("rediss://:Rz8kQ2vLm4@cache.internal:6380", "password in a URL with an empty user name"),
        ],
    )
    def test_forms(self, text: str, description: str) -> None:
        assert _found("connection-string", text) == [description]

    @pytest.mark.parametrize(
        "text",
        [
            "Server=db;Password=;Database=shop",
            "Server=db;Password=<password>;",
            "Server=db;Pwd=%(password)s;",
            "Server=db;Password=****;",
            "Server=db;AccountKey=short;",
            "BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02;",
            "user=ana&password=hunter22",  # a form body: the field rule's
            "the password=is required",
        ],
    )
    def test_scrubbed_placeholders_and_other_shapes_are_nothing(self, text: str) -> None:
        assert _found("connection-string", text) == []

    def test_no_finding_shows_the_password(self) -> None:
        password = "Hunter2-Prod!"
        findings = scan({"extra": {"dsn": f"Server=db;User ID=app;Password={password};"}})
        assert [f.rule for f in findings] == ["connection-string"]
        assert password not in str(findings[0])
        assert password not in findings[0].detail


class TestContextRules:
    def test_heroku_uuid_keys_need_their_name(self) -> None:
        uuid = "832d2129-a846-4e27-99f4-7004b6ad53ef"
        assert _found("heroku-api-key", uuid, "extra.heroku.api_key") == ["Heroku API key (named by its key)"]
        assert _found("heroku-api-key", uuid, "extra.heroku.app_id") == []
        assert _found("heroku-api-key", uuid, "extra.request_id") == []

    def test_mailgun_keys_need_mailgun(self) -> None:
        key = "key-0fb4aa5c856b10f18d24288ab01b30ee"
        assert _found("mailgun-api-key", key, "extra.mailgun.api_key") == ["Mailgun API key"]
        assert _found("mailgun-api-key", key, "extra.cache_key") == []

    def test_slack_tokens_of_every_kind(self) -> None:
        """Bot, user and app tokens; not placeholders, not a bare number."""
        assert _found(
            "slack-token", "xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef"
        )
        assert _found("slack-token", "xoxe.xoxp-1-" + "Mi0yLTM0MTQwNDE0MDE3Ni0zNjU5" * 6)
        assert _found("slack-token", "xoxp-XXXXXXXXXX-XXXXXXXXXX-XXXXXXXXXXX-XXXXXXXXXXXX") == []


@pytest.mark.parametrize("rule", [*SERVICE_TOKEN_RULES, CONNECTION_STRING_RULE], ids=lambda rule: rule.id)
def test_no_description_repeats_the_value(rule: Any) -> None:
    """Descriptions name the kind of credential, never any part of it."""
    for sample in rule.true_positives:
        for _, match, description in find_patterns(sample, "extra.note", (rule,)):
            assert match not in description
            assert not any(len(part) >= 6 and part in description for part in match.split("-"))
