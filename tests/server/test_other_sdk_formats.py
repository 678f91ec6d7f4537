"""Envelopes as other SDKs write them (JavaScript, Go, Java): accepted as sent, byte for byte.

Sentry's envelope format (develop.sentry.dev/sdk/data-model/envelopes/): a header line, then per
item a header line and a payload; an item's ``length`` counts the payload's bytes as sent. The
JavaScript SDK writes JSON.stringify output (raw UTF-8), Java's Jackson may space its JSON and
escape ``/`` as ``\\/``, Go escapes ``<``, ``>`` and ``&``; some send no ``length`` at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pytest_sentry_check._server.app import SentryServer

EVENT_ID = "9f2c4e6a8b0d4f1a3c5e7a9b1d3f5a7c"


@pytest.fixture
def server() -> Iterator[tuple[SentryServer, list[bytes]]]:
    stored: list[bytes] = []
    running = SentryServer(lambda raw, key: stored.append(raw)).start()
    try:
        yield running, stored
    finally:
        running.stop()


def _post(server: SentryServer, body: bytes) -> httpx.Response:
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
    return httpx.post(f"http://127.0.0.1:{server.port}/api/1/envelope/", content=body, headers=auth)


def _envelope(payload: bytes, item_header: bytes, header: bytes | None = None) -> bytes:
    header = header or json.dumps({"event_id": EVENT_ID}).encode()
    return header + b"\n" + item_header + b"\n" + payload + b"\n"


_MESSAGE = "Zahlung für Bestellung <42> & /checkout fehlgeschlagen – 💳"
_RAW = json.dumps({"event_id": EVENT_ID, "message": _MESSAGE}, ensure_ascii=False).encode()
_SPACED = json.dumps({"event_id": EVENT_ID, "message": _MESSAGE}, indent=None, separators=(", ", " : "))
_SPACED_BYTES = _SPACED.replace("/", "\\/").encode()
_GO = json.dumps({"event_id": EVENT_ID, "message": _MESSAGE}, ensure_ascii=False, separators=(",", ":"))
_GO_BYTES = _GO.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()

FORMATS = {
    "javascript: raw UTF-8 with length": _envelope(
        _RAW, b'{"type":"event","length":' + str(len(_RAW)).encode() + b"}"
    ),
    "javascript: raw UTF-8 without length": _envelope(_RAW, b'{"type":"event"}'),
    "java: spaced JSON, escaped slashes, length": _envelope(
        _SPACED_BYTES,
        b'{ "type" : "event", "length" : ' + str(len(_SPACED_BYTES)).encode() + b" }",
        header=b'{ "event_id" : "' + EVENT_ID.encode() + b'", "sdk" : { "name" : "sentry.java" } }',
    ),
    "go: escaped <>& in raw UTF-8, length": _envelope(
        _GO_BYTES, b'{"type":"event","length":' + str(len(_GO_BYTES)).encode() + b"}"
    ),
}


@pytest.mark.parametrize("body", list(FORMATS.values()), ids=list(FORMATS))
def test_another_sdks_envelope_is_accepted_as_sent(
    server: tuple[SentryServer, list[bytes]], body: bytes
) -> None:
    running, stored = server
    response = _post(running, body)
    assert response.status_code == 200, response.text
    assert stored == [body]
    lines = body.split(b"\n")
    assert json.loads(lines[2])["message"] == _MESSAGE


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (_envelope(b'{"message":NaN}', b'{"type":"event"}'), "item 0 (event) is not valid JSON: *NaN*"),
        (
            _envelope(b'{"level":Infinity}', b'{"type":"event"}'),
            "item 0 (event) is not valid JSON: *Infinity*",
        ),
        (_envelope(b'["not", "an", "object"]', b'{"type":"event"}'), "item 0 (event) is not a JSON object"),
        (
            _envelope(_RAW, b'{"type":"event","length":' + str(len(_RAW) + 5).encode() + b"}"),
            "item 0 (event) declares * bytes, has *",
        ),
        (
            _envelope(_RAW, b'{"type":"event","length":-1}'),
            "item 0 (event): length must be a whole number of bytes*",
        ),
    ],
    ids=["NaN", "Infinity", "a list", "length past the end", "negative length"],
)
def test_what_relay_refuses_is_a_400(
    server: tuple[SentryServer, list[bytes]], body: bytes, detail: str
) -> None:
    import fnmatch

    running, stored = server
    response = _post(running, body)
    assert response.status_code == 400, response.text
    assert fnmatch.fnmatchcase(response.json()["detail"], detail), response.json()
    assert stored == []


@pytest.mark.parametrize(("retry_after", "header"), [(2.5, "3"), (1e6, "1000000"), (0.2, "1"), (None, "60")])
def test_retry_after_is_whole_seconds_and_set_on_a_bare_429(
    server: tuple[SentryServer, list[bytes]], retry_after: float | None, header: str
) -> None:
    running, _ = server
    running.fail_next(429, retry_after=retry_after)
    response = _post(running, FORMATS["javascript: raw UTF-8 with length"])
    assert response.status_code == 429
    assert response.headers["Retry-After"] == header


def test_a_negative_retry_after_is_refused(server: tuple[SentryServer, list[bytes]]) -> None:
    running, _ = server
    with pytest.raises(ValueError, match="retry_after must be 0 or more seconds, not -1"):
        running.fail_next(429, retry_after=-1)
