"""What the HTML report shows of an item: masked where findings are, masked on sight elsewhere,
bounded, and hidden when a finding cannot be placed."""

from __future__ import annotations

import json
from typing import Any

from pytest_sentry_check import scan
from pytest_sentry_check._gate.shown import CUT, MARK, MASKED, Limits, shown_item
from pytest_sentry_check._masking import also_masking
from pytest_sentry_check._model.items import ScanItem, items_of
from pytest_sentry_check._rules.canaries import CANARY_KINDS
from pytest_sentry_check._scan.finding import Finding

TOKEN = CANARY_KINDS["token"]()


def _shown(
    payload: dict[str, Any], secrets: tuple[str, ...] = (), limits: Limits | None = None
) -> dict[str, Any]:
    [item] = items_of(payload)
    with also_masking(secrets):
        return shown_item(item, scan(payload, secrets=secrets), limits)


def test_a_value_a_finding_covers_is_its_masked_preview_marked_in_place() -> None:
    shown = _shown({"message": "hi", "extra": {"password": "hunter2-long", "n": 3}})
    assert shown["payload"]["message"] == "hi"
    assert shown["payload"]["extra"]["n"] == 3
    assert shown["payload"]["extra"]["password"] == {MASKED: "hun…[12 chars]", MARK: [0]}
    assert [(m["rule"], m["path"], m["preview"]) for m in shown["marks"]] == [
        ("field", "extra.password", "hun…[12 chars]")
    ]
    assert shown["note"] == ""


def test_canaries_are_masked_in_values_and_keys_even_unfound() -> None:
    # the key is a canary: its finding's path holds the masked key, and so does the copy
    shown = _shown({"extra": {TOKEN: "x", "note": f"token was {TOKEN}"}}, secrets=(TOKEN,))
    text = json.dumps(shown)
    assert TOKEN not in text
    assert TOKEN[:8] not in text
    assert shown["note"] == ""


def test_values_a_rule_masks_on_sight_are_masked_without_a_finding() -> None:
    email = "ana.lopez@" + "shop.example"
    item = ScanItem("event", {"logentry": {"formatted": f"could not notify {email}"}})
    shown = shown_item(item, [])  # no finding given: _masking still masks the address
    assert shown["payload"]["logentry"]["formatted"] == "could not notify ana…[22 chars]"


def test_huge_strings_long_lists_and_deep_nesting_are_cut_with_a_note() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(50):
        node["a"] = {}
        node = node["a"]
    payload = {"big": "x" * 100_000, "many": list(range(1_000)), "deep": deep}
    shown = _shown(payload)["payload"]
    assert shown["big"] == "x" * 600 + "…[100,000 chars, cut]"
    assert shown["many"][:3] == [0, 1, 2]
    assert shown["many"][100] == {CUT: "900 more items not shown"}
    assert len(json.dumps(shown)) < 10_000
    assert "nested too deep to show" in json.dumps(shown["deep"])


def test_a_finding_in_a_part_not_shown_leaves_the_rest_shown() -> None:
    payload = {"items": ["ok"] * 200 + [{"password": "hunter2-long"}]}
    shown = _shown(payload)
    assert shown["note"] == ""
    assert shown["payload"]["items"][100] == {CUT: "101 more items not shown"}
    assert [m["path"] for m in shown["marks"]] == ["items.200.password"]


def test_a_finding_that_cannot_be_placed_hides_the_payload() -> None:
    item = ScanItem("event", {"extra": {"token": f"{TOKEN}"}})
    stray = Finding("canary", "canary", "critical", "event", "somewhere.else", "sec…[40 chars]")
    shown = shown_item(item, [stray])
    assert shown["payload"] == {CUT: "payload not shown: a finding's place could not be found in it"}
    assert shown["note"] == "1 of 1 findings could not be placed"


def test_a_text_payload_with_findings_is_not_shown() -> None:
    item = ScanItem("attachment", f"password={TOKEN}\n".encode())
    findings = scan(item.payload, secrets=(TOKEN,))
    shown = shown_item(item, findings)
    assert shown["payload"] == {MASKED: "the text holds the findings below", MARK: list(range(len(findings)))}
    assert TOKEN not in json.dumps(shown)
