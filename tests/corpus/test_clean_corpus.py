"""The clean corpus: what five realistic apps send through the real SDK gives no finding.

The corpus is generated once per module (about 700 envelopes; see ``_corpus.py``); each test
reads it. It cannot pass for want of data: ``test_the_clean_corpus_holds_the_look_alikes`` proves
that the values that look like secrets and are not (token counters, auth settings, payment ids,
digests, placeholders) are in it.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _corpus import APPS, CANARY, Corpus, clean_corpus
from _once import once_per_run

from pytest_sentry_check import scan
from pytest_sentry_check._model.items import ScanItem, items_of
from pytest_sentry_check._scan.groups import finding_groups, group_lines

# The module's corpus capture takes what the apps send; the test's own capture keeps nothing
# (capture=False: the gate would scan and validate the same 700 envelopes again).
pytestmark = pytest.mark.sentry_check(gate="off", capture=False)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Generated once per run (under xdist, by the first worker to need it: see ``_once.py``)."""
    return once_per_run("clean-corpus", tmp_path_factory, clean_corpus)


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, f"{path}.{index}")
    else:
        yield path, node


def _items(corpus: Corpus, app: str) -> list[ScanItem]:
    return list(items_of(corpus.envelopes[app]))


@pytest.mark.parametrize("app", [app.NAME for app in APPS])
def test_the_clean_corpus_gives_no_finding(clean: Corpus, app: str) -> None:
    """Zero false positives: every rule, every item type, each app's traffic in each of its
    configurations (the canary registered, as a suite's sentry_secrets would)."""
    findings = scan(clean.envelopes[app], secrets=(CANARY,))
    assert findings == [], "\n".join(
        [f"{app}: {len(findings)} findings", *group_lines(finding_groups(findings), 40)]
    )


def test_the_clean_corpus_is_real_sdk_output_of_every_kind(clean: Corpus) -> None:
    """Each app sent events and transactions; logs, check-ins and sessions came too."""
    kinds = {app: Counter(item.item_type for item in _items(clean, app)) for app in clean.envelopes}
    for app in ("llm-agents", "payments", "auth", "billing-worker", "shop"):
        assert kinds[app]["event"] >= 10, (app, kinds[app])
        assert kinds[app]["transaction"] >= 10, (app, kinds[app])
        assert kinds[app]["log"] >= 1, (app, kinds[app])
    assert kinds["billing-worker"]["check_in"] >= 20
    assert sum(len(envelopes) for envelopes in clean.envelopes.values()) >= 600


# (what, app, path glob, the value's test): values that look like secrets and are not
LOOK_ALIKES: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("input token counter", "llm-agents", "items.*.attributes.gen_ai.usage.input_tokens.value", lambda v: isinstance(v, int)),
    ("total token counter", "llm-agents", "items.*.attributes.gen_ai.usage.total_tokens.value", lambda v: v > 0),
    ("max_tokens setting", "llm-agents", "contexts.llm.max_tokens", lambda v: v == 1024),
    ("token budget", "llm-agents", "contexts.llm.token_budget", lambda v: v == 200_000),
    ("auth method", "llm-agents", "contexts.llm.auth_method", lambda v: v == "api_key"),
    ("token type", "llm-agents", "contexts.llm.token_type", lambda v: v == "bearer"),
    ("session ttl", "llm-agents", "contexts.llm.session_ttl", lambda v: v == "PT30M"),
    ("secret rotation", "llm-agents", "contexts.llm.secret_rotation", lambda v: v == "P90D"),
    ("response id", "llm-agents", "items.*.attributes.gen_ai.response.id.value", lambda v: v.startswith("msg_01")),
    ("token counts in a log", "llm-agents", "items.*.attributes.sentry.message.parameter.total_tokens.value",
     lambda v: isinstance(v, int)),
    ("publishable key", "payments", "contexts.payment.publishable_key", lambda v: v.startswith("pk_live_")),
    ("card's last four digits", "payments", "contexts.payment.card_last4", lambda v: len(v) == 4),
    ("payment intent id", "payments", "contexts.payment.payment_intent", lambda v: v.startswith("pi_3N")),
    ("idempotency key (a UUID)", "payments", "contexts.payment.idempotency_key", lambda v: len(v) == 36),
    ("webhook signature (hex)", "payments", "request.headers.stripe-signature", lambda v: "v1=" in v),
    ("password policy", "auth", "contexts.auth.password_policy", lambda v: v == "strict"),
    ("JWT algorithm", "auth", "contexts.auth.jwt_algorithm", lambda v: v == "RS256"),
    ("OTP length", "auth", "contexts.auth.otp_length", lambda v: v == 6),
    ("scrubbed password", "auth", "request.data.password", lambda v: v == "[Filtered]"),
    ("scrubbed Authorization header", "auth", "request.headers.authorization", lambda v: v == "[Filtered]"),
    ("grant type tag", "auth", "tags.grant_type", lambda v: v == "client_credentials"),
    ("object key with a digest", "billing-worker", "spans.*.description", lambda v: "amazonaws.com/invoices/" in v),
    ("SQL with a big offset", "billing-worker", "spans.*.description", lambda v: "OFFSET 4000000" in v),
    ("13-digit order number", "billing-worker", "exception.values.*.stacktrace.frames.*.vars.job.order_number",
     lambda v: len(str(v)) == 13),
    ("broker URL without password", "billing-worker", "contexts.job.broker", lambda v: v.startswith("redis://")),
    ("cron check-in", "billing-worker", "monitor_slug", lambda v: v == "nightly-invoice-run"),
    ("release with a commit", "shop", "release", lambda v: len(v.split("+")[1]) == 40),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "app", "glob", "check"), LOOK_ALIKES, ids=[entry[0] for entry in LOOK_ALIKES]
)
def test_the_clean_corpus_holds_the_look_alikes(
    clean: Corpus, what: str, app: str, glob: str, check: Callable[[Any], bool]
) -> None:
    """The tricky values are really sent (so the no-finding test cannot pass vacuously)."""
    values = [
        value
        for item in _items(clean, app)
        for path, value in _leaves(item.payload)
        if fnmatch.fnmatchcase(path, glob)
    ]
    assert any(check(value) for value in values), (what, glob, values[:5])


def test_a_clean_llm_event_with_token_counters_and_auth_settings_gives_no_finding(clean: Corpus) -> None:
    """The issue's case: an LLM app's event with token usage, model settings and auth settings."""
    settings = {"token_type", "auth_method", "session_ttl", "token_budget", "max_tokens", "secret_rotation"}

    def with_settings(item: ScanItem) -> bool:
        return item.item_type in ("event", "transaction") and settings <= set(
            item.payload.get("contexts", {}).get("llm", {})
        )

    def with_usage(item: ScanItem) -> bool:  # gen_ai spans: span items of their own (span v2)
        return item.item_type == "span" and any(
            "gen_ai.usage.input_tokens" in span["attributes"] for span in item.payload["items"]
        )

    chosen = [
        raw
        for raw in clean.envelopes["llm-agents"]
        if any(with_settings(item) or with_usage(item) for item in items_of(raw))
    ]
    items = list(items_of(chosen))
    assert sum(map(with_usage, items)) >= 10
    assert {item.item_type for item in items if with_settings(item)} == {"event", "transaction"}
    findings = scan(chosen)
    assert findings == [], "\n".join(group_lines(finding_groups(findings), 20))
