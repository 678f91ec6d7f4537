"""The public API as the docs show it, fully annotated: type-checked by mypy --strict, never run.

``test_public_api_types.py`` runs mypy over this file and fails on any error. Each
``assert_type`` pins what a documented call returns, so a public type that turns into ``Any``
(or into the wrong class) fails the check. Only names imported from ``pytest_sentry_check``
(and the stdlib, pytest, sentry-sdk) appear here: this is the code a user writes.

Known gaps in the public types are left out of this file and listed, with the line mypy should
reject, in ``api_misuse.py`` (``# GAP:`` lines).
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope

import pytest_sentry_check
from pytest_sentry_check import (
    CANARY_KINDS,
    DEFAULT_DETECTORS,
    DEFAULT_FIELDS,
    PATTERN_RULES,
    SEVERITIES,
    Attachment,
    CaptureTransport,
    CheckIn,
    CheckOptions,
    Detector,
    Dropped,
    Event,
    FeatureFlag,
    Feedback,
    Finding,
    Leaf,
    LogRecord,
    Metric,
    PatternRule,
    Payload,
    Problem,
    Profile,
    RecordQueries,
    Records,
    Replay,
    ReplaySegment,
    ScanItem,
    ScanTarget,
    SdkError,
    SecretRegistry,
    SentryCheckWarning,
    SentryEvents,
    ServerView,
    Session,
    Span,
    Transaction,
    TransactionSpan,
    assert_scrubbed,
    assert_valid,
    capture,
    scan,
    validate,
)

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # mypy checks this file as the oldest supported Python (python_version in pyproject.toml)
    from typing_extensions import assert_type

# Never run: ``conftest.py`` keeps pytest from collecting this file; named explicitly, it skips.
pytestmark = pytest.mark.skip(reason="type-checked by test_public_api_types.py, never run")


def login_endpoint() -> None:
    """Stands for the application under test (a request through a test client)."""
    try:
        raise RuntimeError("login backend unavailable")
    except RuntimeError:
        sentry_sdk.capture_exception()


# -- README: 30 seconds ---------------------------------------------------------------------


def test_login_failure_is_reported(sentry_events: SentryEvents) -> None:
    login_endpoint()

    event = sentry_events.one(exception_type=RuntimeError, tags={"feature": "auth"})
    assert_type(event, Event)
    assert event.level == "error"
    assert event.user["id"] == "u1"
    assert [b["message"] for b in event.breadcrumbs] == ["POST /login", "login attempt"]

    tx = sentry_events.transactions.one(name="/login")
    assert_type(tx, Transaction)
    tx.spans.one(op="db.query")  # the framework's middleware spans around it do not matter


def test_login_does_not_leak(sentry_events: SentryEvents, sentry_secrets: SecretRegistry) -> None:
    pw = sentry_secrets.make("password")
    assert_type(pw, str)
    token = sentry_secrets.add("tok_live_51Habc")
    assert_type(token, str)
    assert_type(sentry_secrets.values, tuple[str, ...])
    login_endpoint()
    assert_type(assert_scrubbed(sentry_events), None)


# -- querying.md: the collections ---------------------------------------------------------


def test_collections(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events, SentryEvents)
    events: Records[Event] = sentry_events  # SentryEvents is the Records of its Events
    assert_type(events[0], Event)
    assert_type(sentry_events[0], Event)
    assert_type(sentry_events[1:], list[Event])
    assert_type(len(sentry_events), int)
    assert_type(list(sentry_events), list[Event])
    for event in sentry_events:
        assert_type(event, Event)

    assert_type(sentry_events.transactions, Records[Transaction])
    assert_type(sentry_events.logs, Records[LogRecord])
    assert_type(sentry_events.spans, Records[Span])
    assert_type(sentry_events.metrics, Records[Metric])
    assert_type(sentry_events.check_ins, Records[CheckIn])
    assert_type(sentry_events.sessions, Records[Session])
    assert_type(sentry_events.attachments, Records[Attachment])
    assert_type(sentry_events.profiles, Records[Profile])
    assert_type(sentry_events.dropped, Records[Dropped])
    assert_type(sentry_events.envelopes, list[Envelope])
    assert_type(sentry_events.raw_envelopes, list[bytes])
    assert_type(sentry_events.sdk_errors, list[SdkError])
    assert_type(sentry_events.client_options, Mapping[str, Any])
    assert sentry_events.client_options["traces_sample_rate"] == 0.1

    assert_type(sentry_events.clear(), None)
    assert_type(sentry_events.flush(), None)


# -- querying.md: queries on every collection ---------------------------------------------


def test_queries_on_events(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events.one(exception_type="app.errors.PaymentError", chained=True), Event)
    assert_type(sentry_events.first(message=re.compile(r"cache \w+")), Event)
    assert_type(sentry_events.filter(level="warning"), Records[Event])
    assert_type(sentry_events.filter(level="warning").first(), Event)
    assert_type(sentry_events.assert_none(exception_type=KeyError), None)
    assert_type(sentry_events.assert_none(within=0.5, level="fatal"), None)
    assert_type(sentry_events.wait_for(1, timeout=5, exception_type=TimeoutError), Records[Event])
    assert_type(sentry_events.wait_for(count=2, timeout=0.5), Records[Event])
    [event] = sentry_events.wait_for(1, timeout=15, exception_type="RuntimeError")
    assert_type(event, Event)

    def is_checkout(event: Event) -> bool:
        return event.transaction == "/checkout"

    assert_type(sentry_events.one(where=is_checkout, release="1.2.3", environment="prod"), Event)
    assert_type(
        sentry_events.one(
            contexts={"refund": {"order": "o-7"}},
            user={"id": re.compile(r"u\d+")},
            request={"method": "POST"},
            extra={"attempt": 2},
            server_name="web-1",
            fingerprint=["{{ default }}", "checkout"],
        ),
        Event,
    )


def test_queries_on_transactions(sentry_events: SentryEvents) -> None:
    tx = sentry_events.transactions.one(name="/x")
    assert_type(tx, Transaction)
    assert_type(sentry_events.transactions.first(op="http.server", status="ok"), Transaction)
    assert_type(sentry_events.transactions.filter(transaction=re.compile("^/orders")), Records[Transaction])
    assert_type(sentry_events.transactions.assert_none(status="internal_error"), None)
    assert_type(sentry_events.transactions.wait_for(1, timeout=2.0), Records[Transaction])


def test_queries_on_logs(sentry_events: SentryEvents) -> None:
    log = sentry_events.logs.one(level="error", body="payment failed")
    assert_type(log, LogRecord)
    assert_type(sentry_events.logs.first(message=re.compile("retry")), LogRecord)
    assert_type(sentry_events.logs.filter(attributes={"order": "o-7"}), Records[LogRecord])
    assert_type(sentry_events.logs.assert_none(level="fatal"), None)
    assert_type(
        sentry_events.logs.wait_for(2, trace_id="771a43a4192642f0b136d5159a501700"), Records[LogRecord]
    )


def test_queries_on_spans(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events.spans.one(name="SELECT orders", op="db"), Span)
    assert_type(sentry_events.spans.first(status="ok"), Span)
    assert_type(sentry_events.spans.filter(attributes={"db.system": "postgresql"}), Records[Span])
    assert_type(sentry_events.spans.assert_none(op="http.client"), None)
    assert_type(sentry_events.spans.wait_for(3), Records[Span])


def test_queries_on_metrics(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events.metrics.one(name="checkout.total", type="distribution", unit="ms"), Metric)
    assert_type(sentry_events.metrics.first(value=1), Metric)
    assert_type(sentry_events.metrics.filter(attributes={"region": "eu"}), Records[Metric])
    assert_type(sentry_events.metrics.assert_none(name="legacy"), None)
    assert_type(sentry_events.metrics.wait_for(1, timeout=1), Records[Metric])


def test_queries_on_check_ins(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events.check_ins.one(monitor_slug="nightly-report", status="ok"), CheckIn)
    assert_type(sentry_events.check_ins.first(status="in_progress"), CheckIn)
    assert_type(sentry_events.check_ins.filter(status="error"), Records[CheckIn])
    assert_type(sentry_events.check_ins.assert_none(status="error"), None)
    assert_type(sentry_events.check_ins.wait_for(2), Records[CheckIn])


def test_queries_on_attachments(sentry_events: SentryEvents) -> None:
    attachment = sentry_events.attachments.one(filename="report.csv", content_type="text/csv")
    assert_type(attachment, Attachment)
    assert_type(sentry_events.attachments.first(attachment_type="event.attachment"), Attachment)
    assert_type(sentry_events.attachments.filter(content_type="application/json"), Records[Attachment])
    assert_type(sentry_events.attachments.assert_none(filename="secrets.env"), None)
    assert_type(sentry_events.attachments.wait_for(1), Records[Attachment])


def test_queries_on_sessions_and_profiles(sentry_events: SentryEvents) -> None:
    assert_type(sentry_events.sessions.one(status="exited", release="1.2.3"), Session)
    assert_type(sentry_events.sessions.first(environment="prod"), Session)
    assert_type(sentry_events.sessions.filter(status="crashed"), Records[Session])
    assert_type(sentry_events.sessions.assert_none(status="crashed"), None)
    assert_type(sentry_events.sessions.wait_for(1), Records[Session])
    assert_type(sentry_events.profiles.one(), Profile)
    assert_type(sentry_events.profiles.first(), Profile)
    assert_type(sentry_events.profiles.filter(), Records[Profile])
    assert_type(sentry_events.profiles.assert_none(), None)
    assert_type(sentry_events.profiles.wait_for(1), Records[Profile])


def test_queries_on_dropped(sentry_events: SentryEvents) -> None:
    drop = sentry_events.dropped.wait_for(1, timeout=10)[0]
    assert_type(drop, Dropped)
    assert (drop.reason, drop.category) == ("ratelimit_backoff", "error")
    assert_type(sentry_events.dropped.one(reason="before_send", category="error"), Dropped)
    assert_type(sentry_events.dropped.first(reason="sample_rate"), Dropped)
    assert_type(sentry_events.dropped.filter(category="transaction"), Records[Dropped])
    assert_type(sentry_events.dropped.assert_none(reason="network_error"), None)


# -- querying.md: records -----------------------------------------------------------------


def test_event_properties(sentry_events: SentryEvents) -> None:
    event = sentry_events.one()
    record: Payload = event  # every record is a Payload
    mapping: Mapping[str, Any] = event  # a read-only mapping over the payload
    assert_type(dict(record), dict[str, Any])
    assert_type(mapping["tags"], Any)
    assert_type(event.event_id, str | None)
    assert_type(event.level, str | None)
    assert_type(event.message, str | None)
    assert_type(event.exception_type, str | None)
    assert_type(event.exception_value, str | None)
    assert_type(event.exceptions, list[dict[str, Any]])
    assert_type(event.tags, dict[str, Any])
    assert_type(event.contexts, dict[str, Any])
    assert_type(event.extra, dict[str, Any])
    assert_type(event.user, dict[str, Any])
    assert_type(event.request, dict[str, Any])
    assert_type(event.breadcrumbs, list[dict[str, Any]])
    assert_type(event.transaction, str | None)
    assert_type(event.release, str | None)
    assert_type(event.environment, str | None)
    assert_type(event.fingerprint, list[str] | None)
    assert_type(event.server_name, str | None)
    assert_type(event.location, str | None)
    assert_type(event.summary(), str)


def test_transaction_properties(sentry_events: SentryEvents) -> None:
    tx = sentry_events.transactions.one(name="/login")
    event: Event = tx  # a Transaction is an Event, with its spans
    assert_type(event.tags, dict[str, Any])
    assert_type(tx.name, str | None)
    assert_type(tx.op, str | None)
    assert_type(tx.status, str | None)
    assert_type(tx.spans, RecordQueries[TransactionSpan])
    assert [s["op"] for s in tx.spans if s["op"] == "db.query"] == ["db.query"]  # still a sequence
    span = tx.spans.one(op="db.query", description="SELECT")
    assert_type(span, TransactionSpan)
    assert_type(span.op, str | None)
    assert_type(span.name, str | None)
    assert_type(span.status, str | None)
    assert_type(span.origin, str | None)
    assert_type(span.data, dict[str, Any])
    assert_type(span.tags, dict[str, Any])
    assert_type(span.span_id, str | None)
    assert_type(span.parent_span_id, str | None)
    assert_type(span.children, RecordQueries[TransactionSpan])
    assert_type(span.children.filter(op="db.fetch"), RecordQueries[TransactionSpan])
    assert_type(tx.spans.first(status="ok"), TransactionSpan)
    assert_type(tx.spans.assert_none(op="http.client"), None)
    assert_type(tx.spans.wait_for(2, op="db.query"), RecordQueries[TransactionSpan])
    assert_type(tx.spans[0], TransactionSpan)
    assert_type(tx.trace, dict[str, Any])


def test_feature_flags(sentry_events: SentryEvents) -> None:
    event = sentry_events.one(flags={"new-checkout": True})
    assert_type(event.flags, RecordQueries[FeatureFlag])
    flag = event.flags.one(flag="new-checkout")
    assert_type(flag, FeatureFlag)
    assert_type(flag.flag, str | None)
    assert_type(flag.result, Any)
    assert_type(event.flag_results, dict[str, Any])


def test_telemetry_properties(sentry_events: SentryEvents) -> None:
    log = sentry_events.logs.one()
    assert_type(log.level, str | None)
    assert_type(log.body, str | None)
    assert_type(log.attributes, dict[str, Any])
    assert_type(log.trace_id, str | None)

    span = sentry_events.spans.one()
    assert_type(span.children, RecordQueries[Span])
    assert_type(span.span_id, str | None)
    assert_type(span.parent_span_id, str | None)
    assert_type(span.trace_id, str | None)
    assert_type(span.name, str | None)
    assert_type(span.op, str | None)
    assert_type(span.status, str | None)
    assert_type(span.attributes, dict[str, Any])

    metric = sentry_events.metrics.one()
    assert_type(metric.name, str | None)
    assert_type(metric.type, str | None)
    assert_type(metric.unit, str | None)
    assert_type(metric.attributes, dict[str, Any])
    # metric.value is left out: it is Any (see api_misuse.py)

    check_in = sentry_events.check_ins.one()
    assert_type(check_in.monitor_slug, str | None)
    assert_type(check_in.status, str | None)

    session = sentry_events.sessions.one()
    assert_type(session.status, str | None)
    assert_type(session.release, str | None)
    assert_type(session.environment, str | None)
    assert_type(session.errors, int)

    profile: Payload = sentry_events.profiles.one()
    assert_type(profile.summary(), str)

    attachment = sentry_events.attachments.one()
    assert_type(attachment.filename, str | None)
    assert_type(attachment.content_type, str | None)
    assert_type(attachment.attachment_type, str | None)
    assert_type(attachment.event_id, str | None)
    assert_type(attachment.bytes, bytes)
    assert_type(attachment.text, str)

    replay = sentry_events.replays.one(url=re.compile(r"/checkout$"), error_id="c0ffee")
    assert_type(replay, Replay)
    assert_type(replay.replay_id, str | None)
    assert_type(replay.replay_type, str | None)
    assert_type(replay.urls, list[str])
    assert_type(replay.error_ids, list[str])
    assert_type(replay.trace_ids, list[str])
    assert_type(replay.events, list[dict[str, Any]])
    assert_type(replay.inputs, list[str])
    assert_type(replay.inputs_by_element, dict[str, list[str]])
    assert_type(replay.segment_count, int)
    segment = replay.segments[0]
    assert_type(segment, ReplaySegment)
    assert_type(segment.segment_id, int | None)
    assert_type(segment.events, list[Any])
    assert_type(segment.problem, str)
    assert_type(segment.recording, bytes)

    feedback = sentry_events.feedback.wait_for(message="pay button")[0]
    assert_type(feedback, Feedback)
    assert_type(feedback.message, str | None)
    assert_type(feedback.email, str | None)
    assert_type(feedback.associated_event_id, str | None)
    assert_type(feedback.replay_id, str | None)
    assert_type(feedback.legacy, bool)

    drop = sentry_events.dropped.one()
    assert_type(drop.reason, str)
    assert_type(drop.category, str)
    assert_type(drop.quantity, int)
    assert_type(drop.reported, bool)

    error = sentry_events.sdk_errors[0]
    assert_type(error.source, str)
    assert_type(error.exception, BaseException)
    assert_type(error.exception_type, str)
    assert_type(error.consequence, str)
    assert_type(error.callback, str)
    assert_type(error.location, str)
    assert_type(error.traceback_lines, tuple[str, ...])


# -- snapshots.md --------------------------------------------------------------------------


def test_snapshots(sentry_events: SentryEvents) -> None:
    event = sentry_events.one(exception_type=RuntimeError)
    assert_type(event.snapshot(), dict[str, Any])
    assert_type(event.snapshot(drop=["exception.values.*.stacktrace"], keep=["release"]), dict[str, Any])
    assert_type(sentry_events.transactions.snapshot(), list[dict[str, Any]])


# -- capture.md: outside pytest, the marker, swallowed SDK errors --------------------------


def run_job() -> None:
    with sentry_sdk.start_transaction(name="nightly-report"):
        pass


def nightly_report_is_traced() -> None:
    with capture({"traces_sample_rate": 1.0}) as events:
        assert_type(events, SentryEvents)
        run_job()
    assert events.transactions.one(name="nightly-report")

    with capture(isolate=False) as events:
        assert_type(events, SentryEvents)
    with capture(options=None) as events:
        assert_type(events.dropped, Records[Dropped])


@pytest.mark.sentry_check(options={"traces_sample_rate": 1.0}, sdk_errors="warn", allow=["email"])
def test_marker_and_warnings(sentry_events: SentryEvents) -> None:
    with pytest.warns(SentryCheckWarning):
        login_endpoint()
    warning: type[UserWarning] = SentryCheckWarning
    warnings.simplefilter("error", warning)
    assert [error.source for error in sentry_events.sdk_errors] == ["before_send"]


def marker_options() -> None:
    options = CheckOptions(
        capture=True,
        options={"traces_sample_rate": 1.0},
        sdk_errors="warn",
        gate="warn",
        allow=["ip-address", "request.headers.x-request-id"],
        fail_on="medium",
        strict=True,
    )
    assert_type(options.capture, bool)
    assert_type(options.strict, bool)
    assert_type(options.options, Mapping[str, Any])
    assert_type(options.sdk_errors, Literal["fail", "warn", "ignore"])
    assert_type(options.gate, Literal["fail", "warn", "off"])
    assert_type(options.allow, tuple[str, ...])
    assert_type(options.fail_on, Literal["critical", "high", "medium", "low"])
    assert_type(CheckOptions(), CheckOptions)
    assert_type(repr(options), str)


def transport_is_captured() -> None:
    transport = sentry_sdk.get_client().transport
    if isinstance(transport, CaptureTransport):
        assert_type(transport.app_options, Mapping[str, Any])


# -- scrubbing.md: scan and assert_scrubbed on every documented target ---------------------


def test_scan_targets(sentry_events: SentryEvents) -> None:
    event = sentry_events.one()
    envelope: Envelope = sentry_events.envelopes[0]
    raw: bytes = sentry_events.raw_envelopes[0]
    payload: dict[str, Any] = {"user": {"email": "a@b.example"}}
    several: list[ScanTarget] = [event, envelope, raw, payload]

    assert_type(scan(event), list[Finding])
    assert_type(scan(sentry_events), list[Finding])
    assert_type(scan(sentry_events.transactions), list[Finding])
    assert_type(scan(sentry_events.logs.filter(level="error")), list[Finding])
    assert_type(scan(sentry_events.attachments.one()), list[Finding])
    assert_type(scan(envelope), list[Finding])
    assert_type(scan(raw), list[Finding])
    assert_type(scan(bytearray(raw)), list[Finding])
    assert_type(scan(payload), list[Finding])
    assert_type(scan([event, payload]), list[Finding])
    assert_type(scan(several), list[Finding])

    assert_type(assert_scrubbed(event), None)
    assert_type(assert_scrubbed(sentry_events), None)
    assert_type(assert_scrubbed(sentry_events.spans), None)
    assert_type(assert_scrubbed(envelope), None)
    assert_type(assert_scrubbed(raw), None)
    assert_type(assert_scrubbed(payload), None)
    assert_type(assert_scrubbed([envelope, raw]), None)
    assert_type(assert_scrubbed(several), None)


def scan_target_helper(target: ScanTarget) -> list[Finding]:
    """A user's own helper over anything ``scan`` takes."""
    return scan(target, allow=["ip-address"])


def test_scan_options(sentry_events: SentryEvents, sentry_secrets: SecretRegistry) -> None:
    token = sentry_secrets.make("token")
    findings = scan(
        sentry_events,
        secrets=[token, "tok_live_51Habc"],
        fields=[*DEFAULT_FIELDS, "x-internal-key"],
        safe_fields=["x-request-id"],
        detectors=[*DEFAULT_DETECTORS, "user-path"],
        allow=["ip-address", "request.headers.x-request-id"],
    )
    assert_type(findings, list[Finding])
    assert_scrubbed(sentry_events, fields=["password", "authorization"], secrets=(token,))
    assert_scrubbed(sentry_events, allow=("email",), detectors=DEFAULT_DETECTORS)
    assert_scrubbed(sentry_events, stage="server", datascrubbing="security-and-privacy.json")
    assert_scrubbed(
        sentry_events, stage="server", datascrubbing={"scrubData": True, "scrubIpAddresses": False}
    )
    assert_type(scan(sentry_events, stage="client", datascrubbing=None), list[Finding])

    finding = findings[0]
    assert_type(finding.rule, str)
    assert_type(finding.kind, str)
    assert_type(finding.severity, str)
    assert_type(finding.item_type, str)
    assert_type(finding.path, str)
    assert_type(finding.preview, str)
    assert_type(finding.detail, str)
    assert_type(str(finding), str)
    assert finding.severity in SEVERITIES


# -- scrubbing.md: your own detectors ------------------------------------------------------


def internal_ids(item: ScanItem) -> Iterator[Finding]:
    for leaf in item.leaves():
        assert_type(leaf, Leaf)
        if isinstance(leaf.value, str) and leaf.value.startswith("emp-"):
            yield Finding(
                "employee-id", "pattern", "medium", item.item_type, leaf.dotted, leaf.value[:4] + "…"
            )


def account_numbers(item: ScanItem) -> list[Finding]:
    """A detector may return any iterable of findings."""
    return [
        Finding(
            rule="account-number",
            kind="pattern",
            severity=SEVERITIES[1],
            item_type=item.item_type,
            path=".".join(path),
            preview="acc…",
            detail="an account number under a key",
        )
        for path, key in item.key_paths()
        if key == "account"
    ]


# conftest.py
def pytest_sentry_check_detectors(config: pytest.Config) -> list[Detector]:
    return [internal_ids, account_numbers]


def test_own_detectors(sentry_events: SentryEvents) -> None:
    detector: Detector = internal_ids

    def named_otherwise(scan_item: ScanItem) -> Iterator[Finding]:  # any parameter name
        yield Finding("employee-id", "pattern", "medium", scan_item.item_type, "", "emp…")

    other: Detector = named_otherwise
    assert_type(other, Detector)
    assert_type(detector(ScanItem("event", {"extra": {"employee": "emp-0042"}})), Iterable[Finding])
    own: Sequence[str | Detector] = [*DEFAULT_DETECTORS, internal_ids, account_numbers]
    assert_type(scan(sentry_events, detectors=own), list[Finding])
    assert_scrubbed(sentry_events, detectors=["canary", "field", internal_ids])

    item = ScanItem("event", {"user": {"email": "a@b.example"}})
    assert_type(item.item_type, str)
    assert_type(item.payload, Any)
    assert_type(list(item.leaves()), list[Leaf])
    assert_type(list(item.key_paths()), list[tuple[tuple[str, ...], str]])
    leaf = Leaf(("user", "email"), "email", "a@b.example")
    assert_type(leaf.path, tuple[str, ...])
    assert_type(leaf.key, str)
    assert_type(leaf.dotted, str)
    assert_type(sentry_events.one().envelope_items(), list[ScanItem])
    assert_type(list(sentry_events.envelope_items()), list[ScanItem])


def test_rule_catalogues() -> None:
    assert_type(DEFAULT_DETECTORS, tuple[str, ...])
    assert_type(DEFAULT_FIELDS, tuple[str, ...])
    assert_type(PATTERN_RULES, tuple[PatternRule, ...])
    for rule in PATTERN_RULES:
        assert_type(rule.id, str)
        assert_type(rule.severity, str)
        assert_type(rule.regex, re.Pattern[str])
        assert_type(rule.true_positives, tuple[str, ...])
        assert_type(rule.false_positives, tuple[str, ...])
        for sample in rule.true_positives:
            match = rule.regex.search(sample)
            if match is not None:
                assert_type(rule.validate(match, "extra.sample"), str | None)
    assert_type(sorted(CANARY_KINDS), list[str])
    make_password: Callable[[], str] = CANARY_KINDS["password"]
    assert_type(make_password(), str)
    assert_type(SEVERITIES[0], str)
    assert SEVERITIES == ("critical", "high", "medium", "low")


# -- validation.md ------------------------------------------------------------------------


def test_validation(sentry_events: SentryEvents) -> None:
    event = sentry_events.one(exception_type=RuntimeError)
    assert_type(assert_valid(event), None)
    assert_type(assert_valid(sentry_events), None)
    problems = validate(sentry_events)
    assert_type(problems, list[Problem])
    assert_type(validate(event), list[Problem])
    assert_type(event.validate(), list[Problem])
    problem = problems[0]
    assert_type(problem.path, str)
    assert_type(problem.reason, str)
    assert_type(problem.preview, str)
    assert_type(problem.source, str)
    assert_type(problem.item_type, str)
    assert_type(str(problem), str)


# -- out-of-process.md: the local ingest server --------------------------------------------


def test_refund_errors_are_reported(sentry_server: ServerView, sentry_events: SentryEvents) -> None:
    env: dict[str, str] = {"SENTRY_DSN": sentry_server.dsn}
    assert_type(sentry_server.dsn, str)
    assert_type(sentry_server.host, str)
    assert_type(sentry_server.port, int)
    assert_type(sentry_server.project_id, str)
    assert_type(sentry_server.public_key, str)
    assert env["SENTRY_DSN"].startswith("http://")

    [event] = sentry_events.wait_for(1, timeout=15, exception_type="RuntimeError")
    assert event.tags["feature"] == "refunds"
    assert event.contexts["refund"]["order"] == "o-7"


def test_payments_survive_a_rate_limited_sentry(
    sentry_server: ServerView, sentry_events: SentryEvents
) -> None:
    assert_type(sentry_server.fail_next(429, retry_after=60, rate_limits="60:error:organization"), None)
    sentry_server.fail_next(503)
    sentry_server.fail_next(times=2)
    assert_type(sentry_server.slow_next(2.0), None)
    sentry_server.slow_next(0.5, times=3)
    assert_type(sentry_server.reset_next(), None)
    sentry_server.reset_next(times=2)
    assert_type(sentry_server.clear_faults(), None)
    drop = sentry_events.dropped.wait_for(1, timeout=10)[0]
    assert (drop.reason, drop.category) == ("ratelimit_backoff", "error")


# -- reference.md: the package itself -----------------------------------------------------


def module_attributes() -> None:
    event_class: type[Event] = pytest_sentry_check.Event
    assert_type(pytest_sentry_check.scan(event_class({})), list[Finding])
    names: list[str] = pytest_sentry_check.__all__
    assert "SentryEvents" in names
    # __version__ is left out: it is Any (see api_misuse.py)
