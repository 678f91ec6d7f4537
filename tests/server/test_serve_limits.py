"""``pytest-sentry-check serve --limit NAME=VALUE --read-timeout SECONDS``: a real server process,
real sockets on loopback; each refused request is answered and printed with the option that
raises its limit."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from _envelopes import ENVELOPE, EVENT_ID

from pytest_sentry_check._cli import main
from pytest_sentry_check._server.ingest import Limits

CLI = [sys.executable, "-m", "pytest_sentry_check._cli"]
KEY = "5e7c1a2b9d8f4e6a8b0c1d2e3f4a5b6c"  # serve's default key
AUTH = f"Sentry sentry_key={KEY}, sentry_version=7"


def _envelope_of(size: int) -> bytes:
    """A valid envelope of exactly ``size`` bytes: one attachment of ``x``."""
    head = b'{}\n{"type":"attachment","length":%d}\n'
    length = size - len(head % 0) - 1
    length -= len(str(length)) - 1
    body = head % length + b"x" * length + b"\n"
    assert len(body) == size
    return body


def _stalled_body(port: int) -> bytes | None:
    """Send a request's headers and part of its 1,000-byte body, then nothing; what the server
    sent before it closed the connection (None if it was still open after 20 s)."""
    head = (
        f"POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Sentry-Auth: {AUTH}\r\n"
        "Content-Length: 1000\r\n\r\n{}\n"
    )
    received = b""
    deadline = time.monotonic() + 20
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
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


def test_serve_applies_its_limit_and_read_timeout(tmp_path: Path) -> None:
    """``--limit body=1KiB``: a 2 KiB envelope is refused (413), a small one stored;
    ``--read-timeout 0.5``: a stalled body is answered 408. The output says each, and how to
    raise the limit."""
    store = tmp_path / "envelopes"
    server = subprocess.Popen(
        [*CLI, "serve", "--store", str(store), "--limit", "body=1KiB", "--read-timeout", "0.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        started = [server.stdout.readline().rstrip("\n") for _ in range(4)]
        port = int(started[0].rpartition(":")[2])
        url = f"http://127.0.0.1:{port}/api/1/envelope/"
        small = httpx.post(url, content=ENVELOPE, headers={"X-Sentry-Auth": AUTH}, timeout=30)
        big = httpx.post(url, content=_envelope_of(2048), headers={"X-Sentry-Auth": AUTH}, timeout=30)
        stalled = _stalled_body(port)
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert started == [
        f"pytest-sentry-check: ingest server on 127.0.0.1:{port}",
        f"DSN: http://{KEY}@127.0.0.1:{port}/1",
        f"storing envelopes in {store}",
        "limits: body=1KiB decompressed=32MiB items=1000 json_values=250000; read timeout 0.5 s",
    ]
    assert (small.status_code, small.json()) == (200, {"id": EVENT_ID})
    assert (big.status_code, big.json()) == (413, {"detail": "body of 2048 bytes is over the limit of 1024"})
    assert stalled is not None, "the stalled connection was still open after 20 s"
    head, _, body = stalled.partition(b"\r\n\r\n")
    assert head.splitlines()[0] == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(body) == {"detail": "the request body did not arrive within 0.5 s"}
    assert out.splitlines() == [
        "refused a request: 413 body of 2048 bytes is over the limit of 1024 "
        "(raise it with --limit body=SIZE)",
        "refused a request: 408 the request body did not arrive within 0.5 s "
        "(raise it with --read-timeout SECONDS)",
        "stopped: 1 envelopes stored, 2 requests refused",
    ]
    [stored] = sorted(store.glob("*.envelope"))
    assert stored.read_bytes() == ENVELOPE


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--limit", "body=64MB"],
            "argument --limit: limit body: expected a size above 0, in bytes (1048576) or with KiB, "
            "MiB or GiB (64MiB), not '64MB'",
        ),
        (
            ["--limit", "items=2", "--limit", "size=1"],
            "argument --limit: unknown limit 'size': the limits are body and decompressed (sizes in "
            "bytes: 1048576, or with KiB, MiB or GiB: 64MiB), items and json_values (whole numbers)",
        ),
        (
            ["--limit", "items"],
            "argument --limit: expected NAME=VALUE, not 'items': the limits are body and decompressed "
            "(sizes in bytes: 1048576, or with KiB, MiB or GiB: 64MiB), items and json_values (whole "
            "numbers)",
        ),
        (
            ["--read-timeout", "0"],
            "argument --read-timeout: expected a number of seconds above 0 (such as 5 or 0.5), not '0'",
        ),
        (
            ["--read-timeout", "soon"],
            "argument --read-timeout: expected a number of seconds above 0 (such as 5 or 0.5), not 'soon'",
        ),
    ],
    ids=["size unit", "unknown name", "no value", "zero seconds", "not seconds"],
)
def test_a_bad_limit_or_read_timeout_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], error: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--store", str(tmp_path / "store"), *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: pytest-sentry-check serve ")
    assert err[-1] == f"pytest-sentry-check serve: error: {error}"
    assert not (tmp_path / "store").exists()  # nothing started


def test_help_documents_the_limits_and_the_read_timeout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "--limit NAME=VALUE raise or lower a limit of one request (repeatable): body and decompressed "
        "are sizes in bytes or with KiB, MiB or GiB (64MiB), items and json_values whole numbers "
        f"(defaults: {Limits().settings()})"
    ) in text
    assert (
        "--read-timeout SECONDS how long a client may take to send a request's headers, then its "
        "body (default 5); a stalled body is answered 408"
    ) in text
