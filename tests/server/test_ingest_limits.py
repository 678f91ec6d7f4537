"""The ingest server's limits: sizes, items and JSON values are checked before anything is built.

No test here measures memory or time (benchmarks/bench_server_memory.py does); each asserts the
answer a hostile or oversized body gets, and that nothing was stored.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest
from _envelopes import ENVELOPE, EVENT_ID

from pytest_sentry_check._server.app import SentryServer
from pytest_sentry_check._server.ingest import IngestError, Limits, decode_body, parse_body

MB = 1_000_000


def _post(server: SentryServer, body: bytes, endpoint: str = "envelope", **headers: str) -> httpx.Response:
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
    return httpx.post(
        f"http://127.0.0.1:{server.port}/api/1/{endpoint}/",
        content=body,
        headers={**auth, **headers},
        timeout=60,
    )


def _list_bomb(size: int) -> bytes:
    """An envelope of ``size`` bytes whose event is ``{"extra":[[],[],...]}``: 3 bytes a list,
    which Python would hold in about 64."""
    head, tail = b'{}\n{"type":"event"}\n{"extra":[', b"[]]}\n"
    return head + b"[]," * ((size - len(head) - len(tail)) // 3) + tail


@pytest.fixture
def default() -> Iterator[tuple[SentryServer, list[bytes]]]:
    """A server with the default limits, storing into a list."""
    stored: list[bytes] = []
    server = SentryServer(lambda raw, key: stored.append(raw)).start()
    try:
        yield server, stored
    finally:
        server.stop()


@pytest.fixture
def small() -> Iterator[tuple[SentryServer, list[bytes]]]:
    """A server with small limits: 10 items and 1,000 JSON values an envelope."""
    stored: list[bytes] = []
    limits = Limits(body=64 * 1024, decompressed=256 * 1024, items=10, json_values=1000)
    server = SentryServer(lambda raw, key: stored.append(raw), limits=limits).start()
    try:
        yield server, stored
    finally:
        server.stop()


def test_the_default_limits() -> None:
    assert Limits() == Limits(body=32 * 2**20, decompressed=32 * 2**20, items=1000, json_values=250_000)


def test_the_issues_bomb_is_refused_before_it_is_decompressed(
    default: tuple[SentryServer, list[bytes]],
) -> None:
    """40 MB of ``[],`` in 39 KiB of gzip: it took 1.2 GB of the test process, and was stored."""
    server, stored = default
    bomb = gzip.compress(_list_bomb(40 * MB), mtime=0)
    assert len(bomb) < 40 * 1024
    response = _post(server, bomb, **{"Content-Encoding": "gzip"})
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "body decompresses to over 33554432 bytes"},
    )
    assert stored == []
    assert _post(server, ENVELOPE).status_code == 200  # and the server still works


def test_a_bomb_within_the_size_limit_is_refused_by_its_count_of_values(
    default: tuple[SentryServer, list[bytes]],
) -> None:
    server, stored = default
    bomb = gzip.compress(_list_bomb(Limits().decompressed - 4096), mtime=0)
    response = _post(server, bomb, **{"Content-Encoding": "gzip"})
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "item 0 (event) takes the envelope over 250000 JSON values"},
    )
    assert stored == []


def _event(values: int) -> bytes:
    """An event payload counted as ``values``: ``{"a":[0,0,...]}``."""
    return b'{"a":[' + b"0," * (values - 3) + b"0]}"


@pytest.mark.parametrize(
    ("body", "endpoint", "detail"),
    [
        (
            b'{}\n{"type":"event"}\n' + _event(1001) + b"\n",
            "envelope",
            "item 0 (event) takes the envelope over 1000 JSON values",
        ),
        (
            # each item counts: envelope header 2, item headers 2, payloads 400
            b"{}\n"
            + b'{"type":"event"}\n'
            + _event(400)
            + b"\n"
            + b'{"type":"event"}\n'
            + _event(400)
            + b"\n"
            b'{"type":"event"}\n' + _event(400) + b"\n",
            "envelope",
            "item 2 (event) takes the envelope over 1000 JSON values",
        ),
        (
            b'{"trace":' + _event(1000) + b'}\n{"type":"event"}\n{}\n',
            "envelope",
            "envelope header takes the envelope over 1000 JSON values",
        ),
        (
            b'{}\n{"type":"attachment","length":1,"x":' + _event(1000) + b"}\nx\n",
            "envelope",
            "item 0 header takes the envelope over 1000 JSON values",
        ),
        (_event(1001), "store", "event takes the envelope over 1000 JSON values"),
        (
            # commas inside strings count too: the count is made before anything is parsed
            b'{}\n{"type":"event"}\n{"message":"' + b"," * 1000 + b'"}\n',
            "envelope",
            "item 0 (event) takes the envelope over 1000 JSON values",
        ),
        (
            b"{}\n" + b'{"type":"attachment","length":1}\nx\n' * 11,
            "envelope",
            "envelope has more than 10 items",
        ),
    ],
    ids=[
        "one event",
        "three events together",
        "envelope header",
        "item header",
        "store endpoint",
        "commas in a string",
        "too many items",
    ],
)
def test_over_the_limits_is_a_413_and_nothing_is_stored(
    small: tuple[SentryServer, list[bytes]], body: bytes, endpoint: str, detail: str
) -> None:
    server, stored = small
    response = _post(server, body, endpoint)
    assert (response.status_code, response.json()) == (413, {"detail": detail})
    assert stored == []


@pytest.mark.parametrize(
    "body",
    [
        b'{}\n{"type":"event"}\n' + _event(996) + b"\n",
        b"{}\n" + b'{"type":"attachment","length":1}\nx\n' * 10,
    ],
    ids=["the most values", "the most items"],
)
def test_at_the_limits_is_accepted(small: tuple[SentryServer, list[bytes]], body: bytes) -> None:
    server, stored = small
    assert _post(server, body).status_code == 200
    assert stored == [body]


def test_a_plain_body_over_the_decompressed_limit_is_refused() -> None:
    stored: list[bytes] = []
    limits = Limits(body=1024, decompressed=512)
    with SentryServer(lambda raw, key: stored.append(raw), limits=limits) as server:
        body = b'{}\n{"type":"attachment","length":600}\n' + b"x" * 600 + b"\n"
        response = _post(server, body)
    assert (response.status_code, response.json()) == (
        413,
        {"detail": f"envelope of {len(body)} bytes is over the limit of 512"},
    )
    assert stored == []


def test_a_wide_character_across_a_decoding_chunk_is_accepted(
    default: tuple[SentryServer, list[bytes]],
) -> None:
    """JSON texts are checked to be UTF-8 1 MiB at a time: a character across two is whole."""
    server, stored = default
    head = b'{}\n{"type":"event"}\n'
    payload = b'{"message":"' + b"a" * (2**20 - 13) + "\U0001f4a5 done".encode() + b'"}'
    assert payload[2**20 - 1 : 2**20 + 3] == "\U0001f4a5".encode()  # across the first MiB
    body = head + payload + b"\n"
    assert _post(server, body).status_code == 200
    assert stored == [body]


def test_bytes_that_are_not_utf8_are_placed_in_the_whole_text(
    default: tuple[SentryServer, list[bytes]],
) -> None:
    server, stored = default
    payload = b'{"message":"' + b"a" * (3 * 2**20) + b'\xff"}'
    response = _post(server, b'{}\n{"type":"event"}\n' + payload + b"\n")
    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "item 0 (event) is not valid JSON: UnicodeDecodeError: 'utf-8' codec can't decode "
            f"byte 0xff in position {3 * 2**20 + 12}: invalid start byte"
        },
    )
    assert stored == []


def test_an_item_type_outside_ascii_is_named_as_sent(small: tuple[SentryServer, list[bytes]]) -> None:
    server, stored = small
    response = _post(server, '{}\n{"type":"événement","length":-1}\n{}\n'.encode())
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "item 0 (événement): length must be a whole number of bytes, not -1"},
    )
    assert stored == []


def test_the_store_endpoint_stores_the_event_as_sent(default: tuple[SentryServer, list[bytes]]) -> None:
    server, stored = default
    event = b'{ "event_id": "' + EVENT_ID.encode() + b'",\n  "message": "caf\xc3\xa9" }'
    response = _post(server, event, "store", **{"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, {"id": EVENT_ID})
    assert stored == [
        b'{"event_id":"'
        + EVENT_ID.encode()
        + b'"}\n{"type":"event","length":%d}\n' % len(event)
        + event
        + b"\n"
    ]


@pytest.mark.parametrize(
    ("body", "encoding", "limit"),
    [
        (b"x" * 2049, "", "body"),
        (b'{}\n{"type":"attachment","length":1100}\n' + b"x" * 1100 + b"\n", "", "decompressed"),
        (
            gzip.compress(b'{}\n{"type":"attachment","length":1100}\n' + b"x" * 1100 + b"\n"),
            "gzip",
            "decompressed",
        ),
        (b"{}\n" + b'{"type":"attachment","length":1}\nx\n' * 3, "", "items"),
        (b'{}\n{"type":"event"}\n' + _event(101) + b"\n", "", "json_values"),
        (b"{}\n{not json\n", "", None),
    ],
    ids=["body", "decompressed", "decompressed gzip", "items", "json_values", "not a limit"],
)
def test_a_refusal_names_the_limit_it_went_over(body: bytes, encoding: str, limit: str | None) -> None:
    """What ``serve`` reads to say which ``--limit`` raises it."""
    limits = Limits(body=2048, decompressed=1024, items=2, json_values=100)
    with pytest.raises(IngestError) as raised:
        parse_body(decode_body(body, encoding, limits), "", "envelope", limits)
    assert raised.value.limit == limit


def test_on_refused_hears_each_refusal_but_no_injected_fault() -> None:
    refused: list[IngestError] = []
    limits = Limits(items=1)
    with SentryServer(lambda raw, key: None, limits=limits, on_refused=refused.append) as server:
        server.fail_next(503)
        assert _post(server, ENVELOPE).status_code == 503
        assert _post(server, b"{}\n" + b'{"type":"attachment","length":1}\nx\n' * 2).status_code == 413
        assert _post(server, ENVELOPE).status_code == 200
    assert [(e.status, e.message, e.limit) for e in refused] == [
        (413, "envelope has more than 1 items", "items")
    ]
