"""Payloads nested nearly as deep as the JSON encoder allows: parsed, scanned, never a crash."""

from __future__ import annotations

import pytest

from pytest_sentry_check import scan

DEEP_APP = """
import threading
import sentry_sdk

DEPTH = 960


def before_send(event, hint):
    node = event.setdefault("extra", {})
    for _ in range(DEPTH):
        node["child"] = {}
        node = node["child"]
    node["password"] = "hunter2-but-longer"
    return event


def send_from_a_thread():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
    thread = threading.Thread(target=lambda: sentry_sdk.capture_message("deep"))
    thread.start()
    thread.join()
"""


def test_an_event_serialized_on_a_shallow_stack_is_read_on_pytests_deeper_one(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=DEEP_APP)
    pytester.makepyfile(
        """
        import pytest
        import app

        @pytest.mark.sentry_check(gate="off", sdk_errors="ignore")
        def test_deep(sentry_events):
            app.send_from_a_thread()
            event = sentry_events.one(message="deep")
            node = event.extra
            for _ in range(app.DEPTH):
                node = node["child"]
            assert node["password"] == "hunter2-but-longer"
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_the_gate_scans_a_deep_event(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=DEEP_APP)
    pytester.makepyfile(
        """
        import app

        def test_deep():
            app.send_from_a_thread()
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*[[]high[]] field (sensitive field 'password') at event:extra.child.child.*"]
    )
    assert "RecursionError" not in result.stdout.str()


def test_scan_of_envelope_bytes_deeper_than_the_parser_goes_finds_the_secret() -> None:
    payload = '{"extra":' * 3000 + '{"password":"hunter2-but-longer"}' + "}" * 3000
    raw = b'{}\n{"type":"event"}\n' + payload.encode() + b"\n"
    [finding] = scan(raw)
    assert str(finding) == (
        "[high] field (sensitive field 'password' (in text that is not JSON)) at envelope:password: hun…[18 chars]"
    )
