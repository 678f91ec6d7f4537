"""The walk skips subtrees whose own text fires no trigger of the rules that fired for their
item. It must never skip one that holds a finding: these tests compare every finding with and
without the skipping, for every rule's samples, planted deep beside large clean siblings."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from pytest_sentry_check import ScanItem
from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
from pytest_sentry_check._rules.patterns import PATTERN_RULES
from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
from pytest_sentry_check._scan.scanner import Scanner

CANARY = "cnry-7Hq2LmX9vB4w"


def _frames(count: int) -> list[dict[str, Any]]:
    return [
        {
            "function": f"handler_{n}",
            "lineno": n,
            "vars": {"order_id": str(n), "items": ["a", "b"], "page": "2"},
        }
        for n in range(count)
    ]


def _event(planted: dict[str, Any]) -> dict[str, Any]:
    return {
        "level": "error",
        "exception": {
            "values": [{"type": "RuntimeError", "stacktrace": {"frames": [*_frames(30), planted]}}]
        },
        "breadcrumbs": {"values": [{"message": f"step {n}", "category": "app"} for n in range(20)]},
        "contexts": {"checkout": {"cart": {"lines": [{"sku": "SKU-1", "qty": 1}]}}},
        "extra": {"report": {"sections": [{"rows": [[1, 2], [3, 4]]}]}},
    }


def _findings(scanner: Scanner, payload: dict[str, Any], prune: bool) -> list[tuple[str, str, str]]:
    item = ScanItem("event", payload, json_native=True)
    if not prune:
        scanner._may_hold = lambda fired: None  # type: ignore[method-assign]
    return sorted((f.rule, f.path, f.preview) for f in scanner.scan_item(item))


PLACES: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "a frame variable": lambda key, value: {"vars": {key: value}},
    "under a sensitive name": lambda key, value: {"vars": {"credentials": {"inner": {"x": value}}}},
    "a [name, value] pair": lambda key, value: {"vars": {"headers": [[key, value]]}},
    "in a list of lists": lambda key, value: {"vars": {"rows": [["a", [value]]]}},
    "as a key": lambda key, value: {"vars": {value: "x"}},
}
SAMPLES = [(rule.id, sample) for rule in PATTERN_RULES for sample in rule.true_positives]
SAMPLES += [("field", "hunter2-Blue"), ("canary", CANARY)]


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize(("rule", "sample"), SAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SAMPLES)])
def test_skipping_subtrees_never_loses_a_finding(rule: str, sample: str, place: str) -> None:
    key = "password" if rule == "field" else re.sub(r"-", "_", rule)
    payload = _event(PLACES[place](key, sample))
    pruned = _findings(Scanner([CANARY], DEFAULT_FIELDS, (), DEFAULT_DETECTORS), payload, prune=True)
    full = _findings(Scanner([CANARY], DEFAULT_FIELDS, (), DEFAULT_DETECTORS), payload, prune=False)
    assert pruned == full


def test_clean_siblings_of_a_leak_are_skipped() -> None:
    """The point of it: one email in a breadcrumb does not walk the 30 frames beside it."""
    scanner = Scanner((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    payload = _event({"vars": {"note": "x"}})
    payload["breadcrumbs"]["values"][3]["message"] = "mail to ana@shop.example queued"
    may_hold = scanner._may_hold({"email"})
    assert may_hold is not None
    assert may_hold(payload["breadcrumbs"]) is True
    assert may_hold(payload["exception"]) is False
    assert [f.path for f in scanner.scan_item(ScanItem("event", payload, json_native=True))] == [
        "breadcrumbs.values.3.message"
    ]


def test_rules_that_read_the_key_path_say_so() -> None:
    """A rule whose validator answers differently under another key path must be marked
    ``reads_key_path``: the walk never skips a subtree for it."""
    contexts = (
        "",
        "card.number",
        "phone",
        "user.aws_secret_access_key",
        "heroku_api_key",
        "mailgun",
        "imei",
        "cpf",
    )
    for rule in PATTERN_RULES:
        if rule.reads_key_path:
            continue
        for sample in (*rule.true_positives, *rule.false_positives):
            for match in rule.regex.finditer(sample):
                answers = {rule.validate(match, path) is None for path in contexts}
                assert len(answers) == 1, (rule.id, sample)
