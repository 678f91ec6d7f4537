"""A string of 1,024 characters or more gets its own trigger pass (RE2, linear) before the
rules' backtracking searches: a 60 KB frame local searched by the IP address rule cost 12 ms
where its item fired for an address elsewhere. The pass must never hide a finding: these tests
compare every finding with and without it, for every rule's samples planted in long values."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from pytest_sentry_check import ScanItem
from pytest_sentry_check._rules.fields import DEFAULT_FIELDS
from pytest_sentry_check._rules.patterns import PATTERN_RULES
from pytest_sentry_check._scan import scanner as scanner_module
from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS
from pytest_sentry_check._scan.scanner import Scanner

REPORT = "line of a large report\n" * 60  # 1,380 characters, as the SDK sends a frame local


def _event(value: str) -> dict[str, Any]:
    """An error event whose source context names an address (the item fires for it) and whose
    frame holds ``value`` as a local."""
    frame = {
        "function": "order",
        "pre_context": ['STOCK_HOST = "10.1.2.3"'],
        "vars": {"report": value, "order_id": "o-1"},
    }
    return {"exception": {"values": [{"type": "RuntimeError", "stacktrace": {"frames": [frame]}}]}}


def _findings(
    payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch, check: bool
) -> list[tuple[str, str, str]]:
    with monkeypatch.context() as patched:
        if not check:
            patched.setattr(scanner_module, "_LONG_VALUE", 1 << 60)
        scanner = Scanner((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
        item = ScanItem("event", payload, json_native=True)
        return sorted((f.rule, f.path, f.preview) for f in scanner.scan_item(item))


SAMPLES = [(rule.id, sample) for rule in PATTERN_RULES for sample in rule.true_positives]
FORMS = {
    "inside": lambda sample: f"{REPORT}{sample}\n{REPORT}",
    "at the start": lambda sample: f"{sample} {REPORT}",
    "url-encoded in a query": lambda sample: f"{REPORT}/x?note={urllib.parse.quote_plus(sample)}&p=2",
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(("rule", "sample"), SAMPLES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SAMPLES)])
def test_the_pass_over_a_long_value_never_hides_a_finding(
    rule: str, sample: str, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = _event(FORMS[form](sample))
    assert _findings(payload, monkeypatch, check=True) == _findings(payload, monkeypatch, check=False)


def test_a_long_clean_local_is_not_searched_when_its_item_fired_elsewhere() -> None:
    """The regression: an address in the source context fired the IP rule for the whole item,
    and the IP rule's backtracking regex then searched a 64 KB local (12 ms, 30 times a run)."""
    scanner = Scanner((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    ip_rule = next(rule for rule in PATTERN_RULES if rule.id == "ip-address")
    local = "line of a large report\n" * 2_800
    assert scanner._worth_searching((ip_rule,), local) == ()
    assert scanner._worth_searching((ip_rule,), local + "from 10.1.2.3") == (ip_rule,)
    item = ScanItem("event", _event(local), json_native=True)
    assert scanner._fired(item) == {"ip-address"}
    assert list(scanner.scan_item(item)) == []  # (source context is code: no finding there)


def test_a_rule_that_reads_the_key_path_is_always_searched() -> None:
    """Its trigger may need the key above the value, which a value's own text lacks."""
    scanner = Scanner((), DEFAULT_FIELDS, (), DEFAULT_DETECTORS)
    phone = next(rule for rule in PATTERN_RULES if rule.id == "phone-number")
    assert phone.reads_key_path
    assert scanner._worth_searching((phone,), "line of a large report\n" * 100) == (phone,)
