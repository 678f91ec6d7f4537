"""The ingest server on its own: Sentry's protocol over HTTP, bad requests, lifecycle and load."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
from _envelopes import ENVELOPE, EVENT_ID
from sentry_sdk.envelope import Envelope

from pytest_sentry_check._server.app import SentryServer
from pytest_sentry_check._server.ingest import Limits

# -- the protocol, with httpx -----------------------------------------------------------------


@pytest.fixture
def standalone() -> Iterator[tuple[SentryServer, list[bytes]]]:
    """A server of its own (small limits), storing into a list."""
    stored: list[bytes] = []
    server = SentryServer(
        lambda raw, key: stored.append(raw), limits=Limits(body=64 * 1024, decompressed=256 * 1024)
    ).start()
    try:
        yield server, stored
    finally:
        server.stop()


def _post(server: SentryServer, body: bytes, endpoint: str = "envelope", **headers: str) -> httpx.Response:
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
    return httpx.post(
        f"http://127.0.0.1:{server.port}/api/1/{endpoint}/", content=body, headers={**auth, **headers}
    )


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("", lambda b: b),
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
    ],
)
def test_every_encoding_the_sdk_sends_is_accepted(
    standalone: tuple[SentryServer, list[bytes]], encoding: str, compress: Any
) -> None:
    server, stored = standalone
    response = _post(server, compress(ENVELOPE), **({"Content-Encoding": encoding} if encoding else {}))
    assert (response.status_code, response.json()) == (200, {"id": EVENT_ID})
    assert stored == [ENVELOPE]


def test_the_store_endpoint_takes_a_json_event(standalone: tuple[SentryServer, list[bytes]]) -> None:
    server, stored = standalone
    event = {"event_id": EVENT_ID, "message": "legacy", "level": "warning"}
    response = _post(server, json.dumps(event).encode(), "store", **{"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, {"id": EVENT_ID})
    [item] = Envelope.deserialize(stored[0]).items
    assert (item.type, item.payload.json) == ("event", event)


def test_sentry_key_in_the_query_string_is_accepted(standalone: tuple[SentryServer, list[bytes]]) -> None:
    server, stored = standalone
    url = f"http://127.0.0.1:{server.port}/api/1/envelope/?sentry_key={server.public_key}&sentry_version=7"
    assert httpx.post(url, content=ENVELOPE).status_code == 200
    assert len(stored) == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "detail"),
    [
        (
            ENVELOPE,
            {"X-Sentry-Auth": ""},
            401,
            "missing authorization information (X-Sentry-Auth or sentry_key)",
        ),
        (ENVELOPE, {"X-Sentry-Auth": "Sentry sentry_key=wrong, sentry_version=7"}, 401, "unknown public key"),
        (gzip.compress(ENVELOPE, mtime=0)[:-12], {"Content-Encoding": "gzip"}, 400, "gzip body is truncated"),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, 400, "gzip body could not be decompressed: *"),
        (
            ENVELOPE,
            {"Content-Encoding": "zstd"},
            415,
            "unsupported Content-Encoding 'zstd' (gzip, deflate, br or none)",
        ),
        (
            ENVELOPE,
            {"Content-Type": "multipart/form-data; boundary=x"},
            415,
            "multipart/form-data is not accepted here*",
        ),
        (b"garbage", {}, 400, "not an envelope: *"),
        (
            b'{}\n{"type":"event","length":500}\n{"a":1}\n',
            {},
            400,
            "item 0 (event) declares 500 bytes, has 7",
        ),
        (b'{}\n{"type":"event"}\n{not json\n', {}, 400, "item 0 (event) is not valid JSON: *"),
        (b'{}\n{"type":"log","length":9}\n{not json\n', {}, 400, "item 0 (log) is not valid JSON: *"),
        (b"x" * (65 * 1024), {}, 413, "body * is over the limit of 65536*"),
        (
            gzip.compress(b"x" * (300 * 1024), mtime=0),
            {"Content-Encoding": "gzip"},
            413,
            "body decompresses to over 262144 bytes",
        ),
        (
            gzip.compress(ENVELOPE, mtime=0) + b"junk",
            {"Content-Encoding": "gzip"},
            400,
            "gzip body has 4 bytes after its end*",
        ),
        (b"{}\n[1, 2]\n{}\n", {}, 400, "item 0: its header is not a JSON object with a type"),
        (
            b'{}\n{"type": [1], "length": 2}\n{}\n',
            {},
            400,
            "item 0: its header is not a JSON object with a type",
        ),
        (
            b"[" * 60_000,
            {"Content-Type": "application/json"},
            400,
            "event is not valid JSON: RecursionError*",
        ),
        (
            brotli.compress(b"\0" * (8 * 1024 * 1024)),
            {"Content-Encoding": "br"},
            413,
            "body decompresses to over 262144 bytes",
        ),
    ],
    ids=[
        "no key",
        "wrong key",
        "truncated gzip",
        "not gzip",
        "unknown encoding",
        "multipart",
        "garbage",
        "length mismatch",
        "item not json",
        "log item not json",
        "oversize",
        "gzip bomb",
        "gzip trailing data",
        "item header a list",
        "item type a list",
        "deep nesting",
        "brotli bomb",
    ],
)
def test_bad_requests_get_a_clear_4xx_and_nothing_is_stored(
    standalone: tuple[SentryServer, list[bytes]],
    body: bytes,
    headers: dict[str, str],
    status: int,
    detail: str,
) -> None:
    import fnmatch

    server, stored = standalone
    response = _post(server, body, **headers)
    assert response.status_code == status
    assert fnmatch.fnmatchcase(response.json()["detail"], detail), response.json()
    assert stored == []
    assert _post(server, ENVELOPE).status_code == 200  # and the server still works


def test_an_unknown_project_is_refused(standalone: tuple[SentryServer, list[bytes]]) -> None:
    server, stored = standalone
    url = f"http://127.0.0.1:{server.port}/api/99/envelope/?sentry_key={server.public_key}"
    response = httpx.post(url, content=ENVELOPE)
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "unknown project '99' (this server has '1')"},
    )
    assert stored == []


# -- lifecycle and load ---------------------------------------------------------------------


def test_stopping_leaves_no_thread_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    server = SentryServer(lambda raw, key: None).start()
    port = server.port
    assert _post(server, ENVELOPE).status_code == 200
    server.stop()
    assert set(threading.enumerate()) <= before
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
        sock.bind(("127.0.0.1", port))  # free again
    server.stop()  # idempotent


POSTER = """
import sys, httpx
port, key, count, worker = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
url = f"http://127.0.0.1:{port}/api/1/envelope/"
headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
with httpx.Client(timeout=30) as client:
    for n in range(count):
        body = ('{"event_id":"%032x"}\\n{"type":"event"}\\n{"message":"%s-%d"}\\n' % (n, worker, n)).encode()
        assert client.post(url, content=body, headers=headers).status_code == 200
"""


def test_eight_processes_posting_a_thousand_envelopes_each_lose_none(tmp_path: Path) -> None:
    """Loopback only, bounded: 8 x 1,000 small envelopes, each subprocess given 120 s at most."""
    received: list[bytes] = []
    lock = threading.Lock()

    def store(raw: bytes, key: str) -> None:
        with lock:
            received.append(raw)

    (tmp_path / "poster.py").write_text(POSTER)
    with SentryServer(store) as server:
        posters = [
            subprocess.Popen(
                [sys.executable, "poster.py", str(server.port), server.public_key, "1000", f"w{n}"],
                cwd=tmp_path,
            )
            for n in range(8)
        ]
        assert [p.wait(timeout=120) for p in posters] == [0] * 8
    assert len(received) == 8000
    messages = {json.loads(raw.split(b"\n")[2])["message"] for raw in received}
    assert messages == {f"w{w}-{n}" for w in range(8) for n in range(1000)}


def test_a_failing_store_is_a_500_that_says_why(tmp_path: Path) -> None:
    def full_disk(raw: bytes, key: str) -> None:
        raise OSError(28, "No space left on device")

    with SentryServer(full_disk) as server:
        response = _post(server, ENVELOPE)
        assert (response.status_code, response.json()) == (
            500,
            {"detail": "could not store the envelope: [Errno 28] No space left on device"},
        )
