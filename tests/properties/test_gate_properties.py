"""Properties of the capture path and the gate, through the real sentry-sdk.

3. Inside ``pytest_sentry_check.capture()``, an application that sends a hostile payload (as
   ``extra`` from ``before_send``, with ``set_extra``, ``set_context``, a breadcrumb's data, or
   in a frame's local variables) never makes the plugin raise: the captured ``SentryEvents``
   parses, ``scan(events)`` returns; no record's repr, SDK error or finding shows the planted
   canary whole; and a canary that reached an envelope is found there.
4. A generated test module sends a generated payload through ``sentry_init``; the pytest run
   never ends in an INTERNALERROR or a traceback of the plugin, the JSON report
   (``--sentry-report``) and the terminal summary agree on the number of failing findings,
   and no output (terminal, report) holds the planted secret whole.

Cases these properties found are pinned as regression tests at the end of this module.
"""

from __future__ import annotations

import json
import pickle
import re
from typing import Any

import pytest
import sentry_sdk
from _payloads import (
    CANARY_FORMS,
    PATTERN_FORMS,
    VALUE_FORMS,
    bearer_tokens,
    json_ready,
    luhn_cards,
    planted,
)
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from pytest_sentry_check import CANARY_KINDS, SecretRegistry, capture, scan

DSN = "https://k@o1.ingest.sentry.io/2"
# The SDK's own serializer cuts a payload at a few levels; before_send's result is sent as it is
# (json.dumps: a chain deeper than the recursion limit is an SDK error, which is fine here).
SDK_MAX_DEPTH = 1_500


def assert_never_whole(secret: str, *outputs: str) -> None:
    for output in outputs:
        assert secret.lower() not in output.lower(), "an output holds the secret whole"


def _raise_with(payload: Any) -> None:
    local_payload = payload  # noqa: F841 (a frame local the SDK sends)
    raise ValueError("hostile payload in a frame")


def send(how: str, payload: dict[Any, Any]) -> None:
    """What an application does with ``payload`` (sentry-sdk initialised with a real DSN)."""
    if how == "before_send":

        def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
            event["extra"] = payload
            return event

        sentry_sdk.init(dsn=DSN, before_send=before_send)  # type: ignore[arg-type]
        sentry_sdk.capture_message("hostile")
        return
    sentry_sdk.init(dsn=DSN)
    if how == "set_extra":
        sentry_sdk.set_extra("payload", payload)
        sentry_sdk.capture_message("hostile")
    elif how == "set_context":
        sentry_sdk.set_context("payload", payload)
        sentry_sdk.capture_message("hostile")
    elif how == "breadcrumb":
        sentry_sdk.add_breadcrumb(message="hostile", data=payload)
        sentry_sdk.capture_message("hostile")
    else:
        try:
            _raise_with(payload)
        except ValueError:
            sentry_sdk.capture_exception()


def _serializable(payload: Any) -> bool:
    """Whether the SDK can write ``payload`` as it is (its envelopes: json.dumps, no NaN)."""
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


SENDS = ("before_send", "set_extra", "set_context", "breadcrumb", "frame_locals")


# capture=False: the test's own capture records nothing, so the payloads (hostile on purpose)
# reach only the capture() under test, not this test's gate, validation or SDK-error check
@pytest.mark.sentry_check(capture=False)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(
    kind=st.sampled_from(sorted(CANARY_KINDS)),
    how=st.sampled_from(SENDS),
    ready=st.booleans(),
    data=st.data(),
)
def test_a_hostile_payload_through_the_sdk_is_captured_parsed_and_scanned(
    kind: str, how: str, ready: bool, data: st.DataObject
) -> None:
    registry = SecretRegistry().open()  # its values are masked in every output while open
    try:
        secret = registry.make(kind)
        # a key holding the canary only where the payload serializes: an SDK error shows the
        # keys of its path whole (test_an_sdk_error_message_masks_the_keys_of_its_path)
        forms = CANARY_FORMS if ready else VALUE_FORMS
        case = data.draw(planted(secret, forms=forms, max_depth=SDK_MAX_DEPTH), label="case")
        payload = json_ready(case.target) if ready else case.target
        assume(not case.form.startswith("key") or _serializable(payload))
        with capture() as events:
            send(how, payload)
        records = list(events)
        for name in ("transactions", "logs", "spans", "metrics", "check_ins", "sessions", "attachments"):
            records += list(getattr(events, name))
        envelopes = events.envelopes
        raw = events.raw_envelopes
        errors = events.sdk_errors
        dropped = list(events.dropped)
        findings = scan(events)
        assert_never_whole(
            secret,
            *map(repr, records),
            *map(str, findings),
            *map(repr, errors),
            *map(repr, dropped),
        )
        # what reached an envelope raw is found there
        reached = any(secret.encode() in envelope for envelope in raw)
        event(f"{how}: {'the canary reached an envelope' if reached else 'cut, or no envelope'}")
        if reached:
            assert any(f.rule == "canary" for f in findings), (how, case)
        assert len(envelopes) == len(raw)
    finally:
        registry.close()


# --- the gate, in a pytest run ---------------------------------------------------------------

SUMMARY = re.compile(
    r"^(\d+) envelopes? from (\d+) tests? scanned: "
    r"(?:no secret or personal data found\.|(\d+) findings? in \d+ tests?, \d+ leak groups? \((.*)\))$"
)
INNER_TEST = """
import pickle
from pathlib import Path

import sentry_sdk

HOW = {how!r}
REGISTER = {register!r}
payload, secret = pickle.loads(Path(__file__).with_name("payload.pickle").read_bytes())


def _raise_with(payload):
    local_payload = payload
    raise ValueError("hostile payload in a frame")


def test_sends_a_hostile_payload(sentry_init, sentry_secrets):
    if REGISTER:
        sentry_secrets.add(secret)
    if HOW == "before_send":
        def before_send(event, hint):
            event["extra"] = payload
            return event

        sentry_init(before_send=before_send)
        sentry_sdk.capture_message("hostile")
        return
    sentry_init()
    if HOW == "set_extra":
        sentry_sdk.set_extra("payload", payload)
        sentry_sdk.capture_message("hostile")
    else:
        try:
            _raise_with(payload)
        except ValueError:
            sentry_sdk.capture_exception()


def test_sends_nothing():
    pass
"""


def failing_in_summary(output: str) -> int:
    """The number of failing findings the terminal summary gives."""
    lines = [m for line in output.splitlines() if (m := SUMMARY.match(line.strip()))]
    assert len(lines) == 1, output[-2000:]
    statuses = lines[0].group(4) or ""
    failed = re.search(r"(\d+) failed", statuses)
    return int(failed.group(1)) if failed else 0


# pytest's "path:line: ExceptionName" that ends a traceback entry, or Python's 'File "..."' line
# (not a warning's "path:line: SomeWarning: message")
PLUGIN_TRACEBACK = re.compile(
    r"pytest_sentry_check[/\\]\S+\.py:\d+: \w+$|File \"[^\"]*pytest_sentry_check[/\\]"
)


def plugin_tracebacks(output: str) -> list[str]:
    """Traceback lines in the plugin's code, except those of the traceback the plugin quotes on
    purpose in an SDK error (``    | ...``: where the SDK's serialization failed)."""
    return [
        line
        for line in output.splitlines()
        if PLUGIN_TRACEBACK.search(line) and not line.lstrip().startswith("|")
    ]


#: (the secret, whether the test registers it with sentry_secrets, where it may be planted): a
#: canary, or a Bearer token or a card number the gate finds by its pattern
SECRETS_FOR_THE_GATE = st.one_of(
    st.sampled_from(sorted(CANARY_KINDS)).map(lambda kind: (CANARY_KINDS[kind](), True, CANARY_FORMS)),
    st.one_of(bearer_tokens, luhn_cards).map(lambda secret: (secret, False, PATTERN_FORMS)),
)


# The inner run is in-process: a thread its SDK client left behind may send during this test,
# which the outer run's gate would then charge to it (seen once under -n 2 load).
@pytest.mark.sentry_check(gate="off", capture=False)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
@given(
    secret=SECRETS_FOR_THE_GATE,
    how=st.sampled_from(["before_send", "set_extra", "frame_locals"]),
    ready=st.booleans(),
    data=st.data(),
)
def test_a_run_that_sends_a_hostile_payload_reports_it_consistently_and_masked(
    pytester: pytest.Pytester,
    secret: tuple[str, bool, tuple[str, ...]],
    how: str,
    ready: bool,
    data: st.DataObject,
) -> None:
    value, register, forms = secret
    if not ready:  # see test_an_sdk_error_message_masks_the_keys_of_its_path
        forms = tuple(form for form in forms if not form.startswith("key"))
    case = data.draw(planted(value, forms=forms, padded=register, max_depth=300), label="case")
    payload = json_ready(case.target) if ready else case.target
    assume(not case.form.startswith("key") or _serializable(payload))

    (pytester.path / "payload.pickle").write_bytes(pickle.dumps((payload, value)))
    pytester.makepyfile(test_hostile=INNER_TEST.format(how=how, register=register))
    report = pytester.path / "report.json"
    result = pytester.runpytest("-p", "no:randomly", f"--sentry-report={report}")
    output = result.stdout.str() + "\n" + result.stderr.str()

    assert result.ret != pytest.ExitCode.INTERNAL_ERROR, output[-3000:]
    assert "INTERNALERROR" not in output, output[-3000:]
    assert plugin_tracebacks(output) == [], output[-3000:]
    report_text = report.read_text(encoding="utf-8")
    summary = json.loads(report_text)["summary"]
    groups = json.loads(report_text)["groups"]
    event(f"{how}: {'failing findings' if summary['failed'] else 'no failing finding'}")
    assert failing_in_summary(result.stdout.str()) == summary["failed"]
    assert summary["failed"] == sum(g["state"] == "failed" for g in groups)
    for text in (value, value.removeprefix("Bearer ")):
        assert_never_whole(text, output, report_text)


# --- what these properties found -------------------------------------------------------------


@pytest.mark.parametrize("register", [True, False], ids=["registered-canary-key", "bearer-token-key"])
def test_an_sdk_error_message_masks_the_keys_of_its_path(pytester: pytest.Pytester, register: bool) -> None:
    """Regression: the path of the value the SDK could not serialize was shown with its keys
    whole ('serialization raised TypeError: ... at event.extra.tok_...'), also in repr(SdkError)."""
    secret = CANARY_KINDS["token"]() if register else "Bearer abcdefghij0123456789abcdefghij"
    (pytester.path / "payload.pickle").write_bytes(pickle.dumps(({secret: b"\xff"}, secret)))
    pytester.makepyfile(test_hostile=INNER_TEST.format(how="before_send", register=register))
    result = pytester.runpytest("-p", "no:randomly")
    output = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*serialization raised TypeError: Object of type bytes is not JSON serializable at *"]
    )
    assert secret not in output
