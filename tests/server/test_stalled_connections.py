"""Clients that connect and stall: the ingest server closes them after its read timeout."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from _envelopes import ENVELOPE, EVENT_ID

from pytest_sentry_check._server.app import SentryServer

STALLED = 50  # sockets; loopback only, each read for 20 s at most, all closed at the end


@pytest.fixture
def quick() -> Iterator[tuple[SentryServer, list[bytes]]]:
    """A server of its own whose clients have 1 s to send a request."""
    stored: list[bytes] = []
    server = SentryServer(lambda raw, key: stored.append(raw), read_timeout=1.0).start()
    try:
        yield server, stored
    finally:
        server.stop()


def _post(server: SentryServer, body: bytes) -> httpx.Response:
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
    return httpx.post(f"http://127.0.0.1:{server.port}/api/1/envelope/", content=body, headers=auth)


def _until_closed(sock: socket.socket, deadline: float) -> bytes | None:
    """What the server sent before closing the connection; None if it was still open at the
    deadline."""
    received = b""
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return None
        except ConnectionResetError:
            return received
        if not data:
            return received
        received += data


def test_stalled_connections_are_closed_and_others_are_served(
    quick: tuple[SentryServer, list[bytes]],
) -> None:
    server, stored = quick
    head = (
        b"POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"X-Sentry-Auth: Sentry sentry_key=" + server.public_key.encode() + b", sentry_version=7\r\n"
    )
    stalls = {
        "nothing": b"",
        "half a header": head,
        "a stalled body": head + b"Content-Length: 1000\r\n\r\n{}\n",
    }
    sockets: list[tuple[str, socket.socket]] = []
    try:
        for n in range(STALLED):
            kind = list(stalls)[n % len(stalls)]
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sockets.append((kind, sock))
            sock.sendall(stalls[kind])
        # while all of them stall, a client that sends its request is served
        response = _post(server, ENVELOPE)
        assert (response.status_code, response.json()) == (200, {"id": EVENT_ID})
        deadline = time.monotonic() + 20
        answers = {kind: set() for kind in stalls}
        for kind, sock in sockets:
            answers[kind].add(_until_closed(sock, deadline))
    finally:
        for _, sock in sockets:
            sock.close()
    assert None not in set().union(*answers.values()), "a connection was still open after 20 s"
    assert answers["nothing"] == {b""}
    assert answers["half a header"] == {b""}
    [answer] = answers["a stalled body"]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.splitlines()[0] == b"HTTP/1.1 408 Request Timeout"
    assert b"connection: close" in head.lower().splitlines()
    assert json.loads(body) == {"detail": "the request body did not arrive within 1 s"}
    assert stored == [ENVELOPE]
    assert (server.accepted, server.rejected) == (1, len(sockets) // 3)


def test_a_client_that_keeps_its_connection_is_served_again_in_time(
    quick: tuple[SentryServer, list[bytes]],
) -> None:
    server, stored = quick
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
    url = f"http://127.0.0.1:{server.port}/api/1/envelope/"
    with httpx.Client(timeout=10) as client:
        assert client.post(url, content=ENVELOPE, headers=auth).status_code == 200
        time.sleep(0.3)  # idle, within the timeout: the same connection serves the next request
        assert client.post(url, content=ENVELOPE, headers=auth).status_code == 200
    assert stored == [ENVELOPE, ENVELOPE]


def test_a_slow_answer_is_not_a_stalled_client(quick: tuple[SentryServer, list[bytes]]) -> None:
    """The timeout is the client's: an answer the server delays (slow_next) is still given."""
    server, stored = quick
    server.slow_next(1.5)
    assert _post(server, ENVELOPE).status_code == 200
    assert stored == [ENVELOPE]


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_the_read_timeout_is_positive(timeout: float) -> None:
    with pytest.raises(ValueError) as raised:
        SentryServer(lambda raw, key: None, read_timeout=timeout)
    assert str(raised.value) == f"read_timeout must be a positive number of seconds, not {timeout!r}"
