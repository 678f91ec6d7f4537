"""Mistakes the public types must catch: type-checked by mypy --strict, never run.

``test_public_api_types.py`` runs mypy over this file and compares its errors with the markers,
written at the end of the line or alone on the comment line(s) just above it:

- ``# E: <fragment>``: mypy must report an error on the line whose text (message and
  ``[code]``) contains the fragment. If a public type became ``Any``, the line would stop
  erroring and the test would fail.
- ``# GAP: <what is wrong>``: a known gap in the public types: a mistake mypy does not catch
  today. The test checks that it still goes unnoticed; once the package is fixed and mypy
  reports it, the test fails and asks for the marker to become ``# E: <fragment>``.

An error on a line without a marker fails the test too. Keep each statement on one line: mypy
reports some errors on the line of an argument, not of the call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pytest_sentry_check
from pytest_sentry_check import (
    CANARY_KINDS,
    CheckOptions,
    Detector,
    Event,
    Finding,
    ScanItem,
    SecretRegistry,
    SentryEvents,
    ServerView,
    Transaction,
    __version__,
    assert_scrubbed,
    assert_valid,
    capture,
    scan,
    validate,
)

# Never run: ``conftest.py`` keeps pytest from collecting this file; named explicitly, it skips.
pytestmark = pytest.mark.skip(reason="type-checked by test_public_api_types.py, never run")


def queries(sentry_events: SentryEvents) -> None:
    # E: Incompatible types in assignment (expression has type "Event", variable has type "Transaction")
    transaction: Transaction = sentry_events.one()
    event: Event = sentry_events.transactions.one()  # a Transaction is an Event: fine
    _ = sentry_events.one().spans  # E: "Event" has no attribute "spans"
    _ = sentry_events.logs.one().exception_type  # E: "LogRecord" has no attribute "exception_type"
    _ = sentry_events.metrics.first().op  # E: "Metric" has no attribute "op"
    _ = sentry_events.spans.filter().monitor_slug  # E: "Records[Span]" has no attribute "monitor_slug"
    # E: "TransactionSpan" has no attribute "exception_type"
    _ = sentry_events.transactions.one().spans.one().exception_type
    # E: "RecordQueries[TransactionSpan]" has no attribute "append"
    sentry_events.transactions.one().spans.append({})
    _ = sentry_events.check_ins.wait_for(1)[0].body  # E: "CheckIn" has no attribute "body"
    _ = sentry_events.attachments.one().text.decode()  # E: "str" has no attribute "decode"
    _ = sentry_events.sessions.one().errors.upper()  # E: "int" has no attribute "upper"
    _ = sentry_events.profiles.one().name  # E: "Profile" has no attribute "name"
    _ = sentry_events.dropped.one().reason + 1  # E: Unsupported operand types for + ("str" and "int")
    _ = sentry_events.sdk_errors[0].exception.lower()  # E: "BaseException" has no attribute "lower"
    _ = sentry_events.raw_envelopes[0].items  # E: "bytes" has no attribute "items"
    _ = len(sentry_events.one().level)  # E: Argument 1 to "len" has incompatible type "str | None"
    _ = sentry_events.assert_none()  # E: "assert_none" of "Records" does not return a value
    # E: Argument 1 to "wait_for" of "Records" has incompatible type "str"; expected "int"
    sentry_events.wait_for("1")
    sentry_events.client_options["dsn"] = "https://k@o0.example/1"  # E: Unsupported target for indexed
    # E: Property "dropped" defined in "SentryEvents" is read-only
    sentry_events.dropped = sentry_events.dropped
    # E: Module has no attribute "SentryEvent"
    misspelt: type[Event] = pytest_sentry_check.SentryEvent
    print(transaction, event, misspelt)


def secrets_and_server(sentry_secrets: SecretRegistry, sentry_server: ServerView) -> None:
    sentry_secrets.make(1)  # E: Argument 1 to "make" of "SecretRegistry" has incompatible type "int"
    port: str = sentry_server.port  # E: (expression has type "int", variable has type "str")
    sentry_server.fail_next("429")  # E: Argument 1 to "fail_next" of "ServerView" has incompatible type
    sentry_server.slow_next()  # E: Missing positional argument "seconds" in call to "slow_next"
    sentry_server.reset_next(2)  # E: Too many positional arguments for "reset_next" of "ServerView"
    print(port)


def outside_pytest() -> None:
    capture({"traces_sample_rate": 1.0}).one()  # E: has no attribute "one"
    with capture(isolate="yes") as events:  # E: Argument "isolate" to "capture" has incompatible type
        # E: "Transaction" has no attribute "exception_values"
        _ = events.transactions.one().exception_values
    CheckOptions(True)  # E: Too many positional arguments for "CheckOptions"
    CheckOptions(capture="no")  # E: Argument "capture" to "CheckOptions" has incompatible type "str"
    CheckOptions(sample_rate=1.0)  # E: Unexpected keyword argument "sample_rate" for "CheckOptions"
    # E: Argument "gate" to "CheckOptions" has incompatible type
    CheckOptions(gate="error")
    # E: Argument "fail_on" to "CheckOptions" has incompatible type
    CheckOptions(fail_on="severe")


def scanning(sentry_events: SentryEvents) -> None:
    # E: (expression has type "list[Finding]", variable has type "list[str]")
    findings: list[str] = scan(sentry_events)
    scan(42)  # E: Argument 1 to "scan" has incompatible type "int"
    assert_scrubbed(None)  # E: Argument 1 to "assert_scrubbed" has incompatible type "None"
    scan(sentry_events, fields=["password", 1])  # E: List item 1 has incompatible type "int"
    _ = assert_scrubbed(sentry_events)  # E: "assert_scrubbed" does not return a value
    _ = Finding("employee-id")  # E: Missing positional arguments "kind", "severity"
    # E: Argument 1 to "scan" has incompatible type "str"
    scan("a string")
    # E: Argument "stage" to "scan" has incompatible type
    scan(sentry_events, stage="stored")
    print(findings)


def not_a_detector(item: ScanItem) -> list[str]:
    return [item.item_type]


def employee_ids(scan_item: ScanItem) -> Iterator[Finding]:
    yield Finding("employee-id", "pattern", "medium", scan_item.item_type, "", "emp…")


def detectors(sentry_events: SentryEvents) -> None:
    detector: Detector = not_a_detector  # E: Incompatible types in assignment
    scan(sentry_events, detectors=[not_a_detector])  # E: List item 0 has incompatible type
    print(detector)


def validation_and_constants(event: Event, sentry_events: SentryEvents) -> None:
    # E: (expression has type "list[Problem]", variable has type "list[Finding]")
    problems: list[Finding] = validate(event)
    _ = validate(event)[0].rule  # E: "Problem" has no attribute "rule"
    validate(42)  # E: Argument 1 to "validate" has incompatible type "int"
    assert_valid("event")  # E: Argument 1 to "assert_valid" has incompatible type "str"
    CANARY_KINDS["pin"] = lambda: "0000"  # E: Unsupported target for indexed assignment
    version: int = __version__  # E: (expression has type "str", variable has type "int")
    value: bytes = sentry_events.metrics.one().value  # GAP: Metric.value is Any; it should be a number
    print(problems, version, value)
