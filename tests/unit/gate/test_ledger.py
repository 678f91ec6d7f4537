"""GateLedger without pytest: classifying, merging what xdist workers send, stable fingerprints."""

from __future__ import annotations

import hashlib
import json

from pytest_sentry_check._gate.baseline import Baseline
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._scan.finding import Finding


def _finding(path: str, rule: str = "email") -> Finding:
    return Finding(rule, "pattern", "medium", "event", path, "ana…[22 chars]", "email address")


def test_a_ledger_merges_what_workers_send() -> None:
    worker = GateLedger(mode="fail")
    worker.declared.add(("t.py", "iban"))
    worker.tests_run.add("t.py::a")
    worker.envelopes_scanned = 3
    worker.classify(
        "t.py::a", ("t.py", 4), [("event 1", _finding("user.email"), True)], allow=[], phase="call"
    )
    controller = GateLedger(mode="fail")
    controller.merge(json.loads(json.dumps(worker.to_json())))
    assert controller.findings == worker.findings
    assert controller.unused_allow() == [("t.py", "iban")]
    assert controller.counts() == worker.counts()


def test_fingerprints_hold_no_value_and_are_stable() -> None:
    ledger = GateLedger(mode="fail")
    [found] = ledger.classify(
        "t.py::a", ("t.py", 4), [("", _finding("user.email"), None)], allow=[], phase="call"
    )
    # the same on every machine and run: a hash of the test, item type, rule and path only
    assert found.fingerprint == hashlib.sha256(b"t.py::a\0event\0email\0user.email").hexdigest()[:24]
    baseline = Baseline([{"test": "t.py::a", "item_type": "event", "rule": "email", "path": "user.email"}])
    assert found.fingerprint in baseline
    assert "ana" not in json.dumps(baseline.entries)
