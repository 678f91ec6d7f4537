"""merge_reports without pytest: shards' reports made one, the baseline and threshold applied once."""

from __future__ import annotations

import pytest

from pytest_sentry_check._gate.baseline import Baseline
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.merge import MergeError, merge_reports
from pytest_sentry_check._gate.report import GateReport
from pytest_sentry_check._scan.finding import Finding

FRAME = "exception.values.0.stacktrace.frames.{}.vars.body.password"


def _password(frame: int) -> Finding:
    return Finding("field", "field", "high", "event", FRAME.format(frame), "hun…[12 chars]", "password")


def _email() -> Finding:
    return Finding("email", "pattern", "medium", "event", "message.formatted", "ana…[22 chars]")


def _shard(
    tests: dict[str, list[Finding]],
    *,
    baseline: Baseline | None = None,
    allow: tuple[tuple[str, str], ...] = (),
    fail_on: str = "high",
) -> GateReport:
    """The report of a run of ``tests`` (each sending its findings), as a shard writes it."""
    ledger = GateLedger(mode="fail", fail_on=fail_on, baseline=baseline or Baseline())
    ledger.declared.update(allow)
    for test, found in tests.items():
        ledger.tests_run.add(test)
        ledger.envelopes_scanned += 1
        ledger.classify(
            test, ("t.py", 3), [("event 1a2b3c4d", f, None) for f in found], allow=list(allow), phase="call"
        )
    return GateReport.from_ledger(ledger)


SUITE = {
    "t.py::a": [_password(n) for n in range(5, 22)],
    "t.py::b": [_email()],
    "t.py::c": [],
}


def test_the_merge_of_shards_is_the_report_of_the_whole_run() -> None:
    whole = _shard(SUITE)
    shards = [_shard({test: found}) for test, found in SUITE.items()]
    merged = merge_reports(shards)
    assert merged == whole
    assert merged.counts() == whole.counts()
    assert (merged.verdict, len(merged.blocking)) == ("failed", 1)


def test_a_group_every_shard_found_counts_once() -> None:
    """What the app sends at import time, every shard sends: the largest shard's places."""
    one = _shard({"<before the first test>": [_password(1), _password(2)]})
    two = _shard({"<before the first test>": [_password(3)]})
    [group] = merge_reports([one, two]).groups
    assert (group.places, group.examples) == (3, tuple(FRAME.format(n) for n in (1, 2, 3)))


class TestBaseline:
    """A baseline given to the merge decides alone; without one, the shards' decisions stand."""

    def test_the_shards_baseline_decisions_stand_without_one(self) -> None:
        accepted = Baseline().updated([f for g in _shard(SUITE).groups for f in g.findings], SUITE)
        shards = [_shard({test: found}, baseline=accepted) for test, found in SUITE.items()]
        merged = merge_reports(shards)
        assert {g.state for g in merged.groups} == {"baselined"}
        assert merged.verdict == "passed"

    def test_a_group_its_shard_baselined_is_judged_again(self) -> None:
        whole = _shard(SUITE)
        accepted = Baseline().updated([f for g in whole.groups for f in g.findings], SUITE)
        shards = [_shard({test: found}, baseline=accepted) for test, found in SUITE.items()]
        merged = merge_reports(shards, baseline=Baseline(path="empty.json"))
        assert [(g.rule, g.state, g.below_threshold) for g in merged.groups] == [
            ("field", "failed", False),
            ("email", "warned", True),
        ]
        assert merged.baseline == "empty.json"

    def test_the_merges_baseline_is_applied_once(self) -> None:
        """Shards without a baseline, merged with one, equal the whole run with it; an entry
        of a test that ran in any shard and leaks nothing more is stale once."""
        entries = [
            {"test": "t.py::a", "item_type": "event", "rule": "field",
             "pattern": "exception.values.*.stacktrace.frames.*.vars.body.password"},
            {"test": "t.py::c", "item_type": "event", "rule": "email", "pattern": "message.formatted"},
            {"test": "t.py::z", "item_type": "event", "rule": "email", "pattern": "message.formatted"},
        ]  # fmt: skip
        baseline = Baseline(entries, path="b.json")
        whole = _shard(SUITE, baseline=baseline)
        shards = [_shard({test: found}) for test, found in SUITE.items()]
        merged = merge_reports(shards, baseline=baseline)
        assert merged.groups == whole.groups
        assert merged.unused_baseline == whole.unused_baseline == (entries[1],)
        assert [g.state for g in merged.groups] == ["warned", "baselined"]

    def test_without_one_an_entry_is_stale_when_every_shard_that_ran_its_test_says_so(self) -> None:
        """What the app sends at import time, every shard's baseline sees: one shard that no
        longer imports the leaky module does not make its entry stale."""
        early = "<before the first test>"
        entries = [
            {"test": early, "item_type": "event", "rule": "email", "pattern": "message.formatted"},
            {"test": "t.py::b", "item_type": "event", "rule": "email", "pattern": "message.formatted"},
        ]
        baseline = Baseline(entries, path="b.json")
        one = _shard({early: [_email()], "t.py::a": []}, baseline=baseline)
        two = _shard({early: [], "t.py::b": []}, baseline=baseline)
        assert two.unused_baseline == tuple(entries)
        merged = merge_reports([one, two])
        assert merged.unused_baseline == (entries[1],)
        assert merged.baseline == "b.json"


def test_an_allow_entry_is_unused_only_when_no_shard_used_it() -> None:
    allow = (("ini", "email"), ("ini", "jwt"))
    shards = [_shard({test: found}, allow=allow) for test, found in SUITE.items()]
    merged = merge_reports(shards)
    assert merged.allow_entries == (("ini", "email", True), ("ini", "jwt", False))
    assert merged.unused_allow == [("ini", "jwt")]
    assert [g.state for g in merged.groups if g.rule == "email"] == ["allowed"]


class TestFailOn:
    def test_the_merges_threshold_holds_every_group(self) -> None:
        shards = [_shard({test: found}) for test, found in SUITE.items()]
        merged = merge_reports(shards, fail_on="medium")
        assert merged.fail_on == "medium"
        assert [(g.rule, g.state, g.below_threshold) for g in merged.groups] == [
            ("field", "failed", False),
            ("email", "failed", False),
        ]

    def test_shards_with_different_thresholds_need_one(self) -> None:
        one, two = _shard({"t.py::a": []}), _shard({"t.py::b": [_email()]}, fail_on="medium")
        with pytest.raises(MergeError) as error:
            merge_reports([one, two])
        assert str(error.value) == (
            "the shards ran with different fail-on thresholds (high, medium): "
            "give the one to hold them all to with --fail-on"
        )
        assert merge_reports([one, two], fail_on="medium").blocking[0].rule == "email"


def test_nothing_to_merge_is_an_error() -> None:
    with pytest.raises(MergeError, match=r"^no report to merge$"):
        merge_reports([])
