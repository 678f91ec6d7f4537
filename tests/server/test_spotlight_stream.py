"""Spotlight's ``POST /stream`` on the local server: an SDK in any language that sets
``SENTRY_SPOTLIGHT=<url>`` (or its ``spotlight`` option) is captured without a DSN.

Spotlight's sidecar takes ``POST /stream`` with ``Content-Type: application/x-sentry-envelope``
(``text/plain`` from the browser SDK, which says so in ``?sentry_client=``), optionally
gzip/deflate/br-encoded, no auth, and answers 200. The envelopes below are built by hand the way
the Go, JavaScript (Node) and Java SDKs write them (develop.sentry.dev/sdk/data-model/envelopes/):
``sdk`` and ``sent_at`` in the envelope header, item headers with and without ``length``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import httpx
import pytest

from pytest_sentry_check._server.app import SentryServer

EVENT_ID = "4c0ffee2b6a94f1e8d7c6b5a49382716"
SENT_AT = "2026-12-04T10:15:30.123Z"


def _go(message: str) -> bytes:
    # sentry-go: compact JSON with <>& escaped, "length" on every item header
    header = {"event_id": EVENT_ID, "sent_at": SENT_AT, "sdk": {"name": "sentry.go", "version": "0.31.1"}}
    payload = json.dumps(
        {"event_id": EVENT_ID, "platform": "go", "level": "error", "message": message}, separators=(",", ":")
    )
    body = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
    item = json.dumps({"type": "event", "length": len(body)}, separators=(",", ":")).encode()
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + item + b"\n" + body + b"\n"


def _js(message: str) -> bytes:
    # @sentry/node: JSON.stringify (raw UTF-8), item headers without length, no final newline
    header = {
        "event_id": EVENT_ID,
        "sent_at": SENT_AT,
        "sdk": {"name": "sentry.javascript.node", "version": "9.12.0"},
    }
    payload = {"event_id": EVENT_ID, "platform": "node", "level": "error", "message": message}
    lines = [json.dumps(header), json.dumps({"type": "event"}), json.dumps(payload, ensure_ascii=False)]
    return "\n".join(lines).encode()


def _java(message: str) -> bytes:
    # sentry-java (Jackson-like): spaced JSON, escaped slashes, "content_type" and "length"
    header = {"event_id": EVENT_ID, "sdk": {"name": "sentry.java", "version": "8.8.0"}, "sent_at": SENT_AT}
    payload = json.dumps(
        {"event_id": EVENT_ID, "platform": "java", "level": "error", "message": message},
        separators=(", ", " : "),
    ).replace("/", "\\/")
    body = payload.encode()
    item = {"content_type": "application/json", "type": "event", "length": len(body)}
    return (
        json.dumps(header, separators=(", ", " : ")).encode()
        + b"\n"
        + json.dumps(item, separators=(", ", " : ")).encode()
        + b"\n"
        + body
        + b"\n"
    )


SHAPES = {"go": _go, "javascript-node": _js, "java": _java}
STREAM = {"Content-Type": "application/x-sentry-envelope"}


@pytest.fixture
def server() -> Iterator[tuple[SentryServer, list[tuple[bytes, str]]]]:
    stored: list[tuple[bytes, str]] = []
    running = SentryServer(lambda raw, key: stored.append((raw, key))).start()
    try:
        yield running, stored
    finally:
        running.stop()


class TestStreamEndpoint:
    """The server speaks Spotlight's sidecar protocol on /stream."""

    @pytest.mark.parametrize("shape", list(SHAPES))
    def test_another_sdks_envelope_is_stored_as_sent_without_a_key(
        self, server: tuple[SentryServer, list[tuple[bytes, str]]], shape: str
    ) -> None:
        running, stored = server
        body = SHAPES[shape]("checkout failed for /orders/<42> & co")
        response = httpx.post(running.spotlight_url, content=body, headers=STREAM)
        assert response.status_code == 200, response.text
        assert stored == [(body, "")]

    def test_a_gzip_body_is_decoded(self, server: tuple[SentryServer, list[tuple[bytes, str]]]) -> None:
        running, stored = server
        body = _go("compressed")
        headers = {**STREAM, "Content-Encoding": "gzip"}
        assert (
            httpx.post(running.spotlight_url, content=gzip.compress(body), headers=headers).status_code == 200
        )
        assert stored == [(body, "")]

    def test_a_keys_stream_stores_under_its_key(
        self, server: tuple[SentryServer, list[tuple[bytes, str]]]
    ) -> None:
        running, stored = server
        running.add_key("k1")
        assert running.spotlight_url_for("k1").endswith("/spotlight/k1/stream")
        response = httpx.post(running.spotlight_url_for("k1"), content=_js("x"), headers=STREAM)
        assert response.status_code == 200
        assert stored == [(_js("x"), "k1")]

    def test_an_unknown_key_is_404(self, server: tuple[SentryServer, list[tuple[bytes, str]]]) -> None:
        running, stored = server
        response = httpx.post(running.spotlight_url_for("nope"), content=_js("x"), headers=STREAM)
        assert response.status_code == 404
        assert response.json() == {"detail": "unknown Spotlight stream (its key is not this server's)"}
        assert stored == []

    def test_the_browser_sdks_text_plain_is_an_envelope(
        self, server: tuple[SentryServer, list[tuple[bytes, str]]]
    ) -> None:
        running, stored = server
        url = f"{running.spotlight_url}?sentry_client=sentry.javascript.browser/9.12.0"
        response = httpx.post(url, content=_js("x"), headers={"Content-Type": "text/plain;charset=UTF-8"})
        assert response.status_code == 200
        assert len(stored) == 1

    @pytest.mark.parametrize(
        ("content_type", "detail"),
        [
            (
                "application/json",
                "application/json is not accepted on /stream (send application/x-sentry-envelope)",
            ),
            ("text/plain", "text/plain is not accepted on /stream (send application/x-sentry-envelope)"),
            ("", "no Content-Type is not accepted on /stream (send application/x-sentry-envelope)"),
        ],
    )
    def test_other_content_is_415(
        self, server: tuple[SentryServer, list[tuple[bytes, str]]], content_type: str, detail: str
    ) -> None:
        running, stored = server
        response = httpx.post(running.spotlight_url, content=_js("x"), headers={"Content-Type": content_type})
        assert response.status_code == 415
        assert response.json() == {"detail": detail}
        assert stored == []

    def test_an_invalid_envelope_is_400(self, server: tuple[SentryServer, list[tuple[bytes, str]]]) -> None:
        running, stored = server
        response = httpx.post(
            running.spotlight_url, content=b'{"event_id":"x"}\n{"type":"event"}\n{oops\n', headers=STREAM
        )
        assert response.status_code == 400
        assert stored == []


# pytester suites: the fixture routes what arrives on /stream into the test and its gate
# a GitHub token, spelled apart: pytest prints the source of failing tests
TOKEN_SOURCE = '"ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"'
TOKEN = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"

SDK_SUITE = """
import os
import subprocess
import sys

# a service that reports to Spotlight only: no DSN anywhere
SERVICE = '''
import sentry_sdk
sentry_sdk.init(traces_sample_rate=1.0)  # spotlight from SENTRY_SPOTLIGHT
try:
    {"EUR": 1}["GBP"]
except KeyError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
'''


def test_a_service_with_spotlight_and_no_dsn(sentry_server, sentry_events):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["SENTRY_SPOTLIGHT"] = sentry_server.spotlight_url
    subprocess.run([sys.executable, "-c", SERVICE], env=env, check=True, timeout=60)
    event = sentry_events.one(exception_type="KeyError")
    assert event.exception_value == "'GBP'"
    assert sentry_events.raw_envelopes[0].startswith(b'{"event_id"')
"""


def test_a_real_sdk_with_spotlight_and_no_dsn_lands_in_sentry_events(pytester: pytest.Pytester) -> None:
    """sentry-sdk in a subprocess, SENTRY_SPOTLIGHT set to the test's URL, no DSN."""
    pytester.makepyfile(test_spotlight_sdk=SDK_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)


STREAM_SUITE = f"""
import httpx
import pytest

from test_shapes import SHAPES

STREAM = {{"Content-Type": "application/x-sentry-envelope"}}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_posted_to_the_stream(sentry_server, sentry_events, shape):
    body = SHAPES[shape]("deploy key " + {TOKEN_SOURCE})
    assert httpx.post(sentry_server.spotlight_url, content=body, headers=STREAM).status_code == 200
    assert sentry_events.one().message.startswith("deploy key ghp_")


def test_posted_to_the_bare_stream_belongs_to_the_running_test(sentry_server, sentry_events):
    url = sentry_server.spotlight_url.rsplit("/spotlight/", 1)[0] + "/stream"
    body = SHAPES["go"]("nothing secret")
    assert httpx.post(url, content=body, headers=STREAM).status_code == 200
    assert sentry_events.one().message == "nothing secret"
"""


def test_go_js_and_java_envelopes_on_the_stream_land_in_the_test_and_the_gate(
    pytester: pytest.Pytester,
) -> None:
    """Each shape is queried like an in-process event, and its token fails the test that posted it."""
    import inspect

    shapes = "\n\n".join(inspect.getsource(f) for f in (_go, _js, _java))
    pytester.makepyfile(
        test_shapes=f"import json\n\nEVENT_ID = {EVENT_ID!r}\nSENT_AT = {SENT_AT!r}\n\n{shapes}\n"
        f"SHAPES = {{'go': _go, 'javascript-node': _js, 'java': _java}}\n",
        test_stream=STREAM_SUITE,
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=3)
    for shape in SHAPES:
        result.stdout.fnmatch_lines(
            [
                f"*_ test_posted_to_the_stream[[]{shape}] _*",
                "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
                "  [[]critical] github-token (GitHub token) at event:message: ghp…[[]40 chars] in event*",
            ],
            consecutive=True,
        )
    assert TOKEN not in result.stdout.str() + result.stderr.str()
