"""--sentry-spotlight[=URL]: each test's envelopes, tagged with its node id, are forwarded to a
running Spotlight; here a stub HTTP server that records what it received."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from pytest_sentry_check._run.spotlight import HEADER_FIELD, TAG


class _Stub(http.server.ThreadingHTTPServer):
    received: list[tuple[str, dict[str, str], bytes]]
    status = 200


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Stub

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def spotlight() -> Iterator[_Stub]:
    """A stand-in for Spotlight's sidecar: records every POST, answers 200."""
    stub = _Stub(("127.0.0.1", 0), _Handler)
    stub.received = []
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()


def _url(stub: _Stub) -> str:
    return f"http://127.0.0.1:{stub.server_address[1]}/stream"


SUITE = """
import sentry_sdk

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"


def test_checkout(sentry_events):
    sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0)
    sentry_sdk.set_tag("feature", "checkout")
    with sentry_sdk.start_transaction(name="checkout"):
        sentry_sdk.capture_message("card declined")
    assert sentry_events.one().tags == {"feature": "checkout"}  # the test's own copy is untouched


def test_refund():
    sentry_sdk.init(dsn=DSN)
    sentry_sdk.capture_message("refund queued")


def test_silent():
    pass
"""


def _envelope(body: bytes) -> tuple[dict[str, object], list[tuple[dict[str, object], bytes]]]:
    lines = body.split(b"\n")
    header = json.loads(lines[0])
    items = []
    position = 1
    while position + 1 < len(lines) and lines[position]:
        items.append((json.loads(lines[position]), lines[position + 1]))
        position += 2
    return header, items


def test_each_tests_envelopes_reach_spotlight_tagged_with_the_test(
    pytester: pytest.Pytester, spotlight: _Stub
) -> None:
    """Envelope header field and event/transaction tag name the test; nothing from a silent test."""
    pytester.makepyfile(test_shop=SUITE)
    result = pytester.runpytest(f"--sentry-spotlight={_url(spotlight)}")
    result.assert_outcomes(passed=3)
    assert (
        "sentry-check: forwarding each test's envelopes to Spotlight at " + _url(spotlight)
        in result.stdout.str()
    )
    by_test: dict[str, list[tuple[str, dict[str, object]]]] = {}
    for path, headers, body in spotlight.received:
        assert path == "/stream"
        assert headers["Content-Type"] == "application/x-sentry-envelope"
        header, items = _envelope(body)
        for item_header, payload in items:
            event = json.loads(payload)
            assert event["tags"][TAG] == header[HEADER_FIELD]
            by_test.setdefault(str(header[HEADER_FIELD]), []).append((str(item_header["type"]), event))
    assert sorted(by_test) == ["test_shop.py::test_checkout", "test_shop.py::test_refund"]
    kinds = sorted(kind for kind, _ in by_test["test_shop.py::test_checkout"])
    assert kinds == ["event", "transaction"]
    message = next(event for kind, event in by_test["test_shop.py::test_checkout"] if kind == "event")
    assert message["message"] == "card declined"
    assert message["tags"] == {"feature": "checkout", TAG: "test_shop.py::test_checkout"}


def test_forwarding_failures_give_one_warning_and_never_fail_the_run(
    pytester: pytest.Pytester, spotlight: _Stub
) -> None:
    """Nothing listens at the URL: the tests pass, and the run's end says so once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/stream"
    pytester.makepyfile(test_shop=SUITE)
    result = pytester.runpytest(f"--sentry-spotlight={closed}")
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        [
            f"*SentryCheckWarning: --sentry-spotlight: 3 envelopes could not be forwarded to {closed} "
            "(first: URLError: <urlopen error [[]Errno 111] Connection refused>); is Spotlight running "
            "(npx @spotlightjs/spotlight)? The tests are not affected."
        ]
    )


def test_an_error_status_counts_as_a_failure(pytester: pytest.Pytester, spotlight: _Stub) -> None:
    spotlight.status = 500
    pytester.makepyfile(test_shop=SUITE)
    result = pytester.runpytest(f"--sentry-spotlight={_url(spotlight)}")
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        ["*3 envelopes could not be forwarded to * (first: HTTPError: HTTP Error 500: *"]
    )


def test_the_ini_key_names_the_url(pytester: pytest.Pytester, spotlight: _Stub) -> None:
    pytester.makeini(f"[pytest]\nsentry_spotlight = {_url(spotlight)}\n")
    pytester.makepyfile(test_shop=SUITE)
    pytester.runpytest().assert_outcomes(passed=3)
    assert len(spotlight.received) == 3


def test_a_path_after_the_bare_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """``--sentry-spotlight tests/`` would take the path as the URL: say how to write it."""
    pytester.makepyfile(test_shop=SUITE)
    result = pytester.runpytest("--sentry-spotlight", "test_shop.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --sentry-spotlight: expected an http:// or https:// URL, not 'test_shop.py' "
            "(give it as --sentry-spotlight=URL; alone it means http://localhost:8969/stream)"
        ]
    )


def test_the_bare_option_means_spotlights_default_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_silent="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--sentry-spotlight", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["sentry-check: forwarding each test's envelopes to Spotlight at http://localhost:8969/stream"]
    )
