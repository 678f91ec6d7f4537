"""The local ingest server: real SDKs in other processes, Sentry's protocol, faults, the CLI."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import jsonschema
import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sentry_sdk.envelope import Envelope

from pytest_sentry_check import SentryEvents
from pytest_sentry_check._gate.reports import REPORT_SCHEMA
from pytest_sentry_check._server.app import SentryServer, ServerView
from pytest_sentry_check._server.ingest import Limits

EVENT_ID = "0123456789abcdef0123456789abcdef"
ENVELOPE = b'{"event_id":"' + EVENT_ID.encode() + b'"}\n{"type":"event"}\n{"message":"hi","level":"info"}\n'

# A service as it runs in production: its own process, uvicorn, SENTRY_DSN from the environment.
SERVICE = """
import sys
import sentry_sdk
import uvicorn
from fastapi import FastAPI, Request
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

app = FastAPI(on_startup=[lambda: sentry_sdk.init(
    release="orders@2.0.0",
    integrations=[StarletteIntegration(), FastApiIntegration()],
)])


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/orders/{order_id}/refund")
async def refund(order_id: str, request: Request):
    body = await request.json()
    sentry_sdk.set_tag("feature", "refunds")
    sentry_sdk.set_context("refund", {"order": order_id, "note": body.get("note", "")})
    sentry_sdk.add_breadcrumb(message="refund requested", category="refunds")
    raise RuntimeError("refund ledger unavailable")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path, sentry_server: ServerView) -> Iterator[str]:
    """The service in a uvicorn subprocess, sending to the local server; yields its base URL."""
    (tmp_path / "service.py").write_text(SERVICE)
    port = _free_port()
    env = {**os.environ, "SENTRY_DSN": sentry_server.dsn}
    process = subprocess.Popen([sys.executable, "service.py", str(port)], cwd=tmp_path, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_uvicorn_subprocess_reports_into_the_test(service: str, sentry_events: SentryEvents) -> None:
    """The real SDK in another process, its real HTTP transport, the same queries."""
    response = httpx.post(f"{service}/orders/o-7/refund", json={"note": "customer asked"})
    assert response.status_code == 500
    event = sentry_events.wait_for(1, timeout=15, exception_type="RuntimeError")[0]
    assert event.exception_value == "refund ledger unavailable"
    assert event.tags["feature"] == "refunds"
    assert event.contexts["refund"] == {"order": "o-7", "note": "customer asked"}
    assert [b["message"] for b in event.breadcrumbs] == ["refund requested"]
    assert event.release == "orders@2.0.0"
    assert event.transaction == "/orders/{order_id}/refund"


def test_the_gate_finds_a_canary_sent_by_another_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(service=SERVICE)
    pytester.makepyfile(
        test_refund="""
        import os, socket, subprocess, sys, time
        import httpx

        def test_refund(sentry_server, sentry_events, sentry_secrets):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            env = {**os.environ, "SENTRY_DSN": sentry_server.dsn}
            process = subprocess.Popen([sys.executable, "service.py", str(port)], env=env)
            try:
                for _ in range(600):
                    try:
                        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                token = sentry_secrets.make("token")
                httpx.post(f"http://127.0.0.1:{port}/orders/o-1/refund", json={"note": "token " + token})
                sentry_events.wait_for(1, timeout=15)
            finally:
                process.terminate()
                process.wait(timeout=10)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (*",
            "  [[]critical] canary (registered secret, raw) at event:contexts.refund.note: tok…*",
        ]
    )


# -- faults: what the real SDK does when Sentry is unhealthy ---------------------------------


def _app(dsn: str) -> TestClient:
    sentry_sdk.init(dsn=dsn)
    app = FastAPI()

    @app.get("/pay")
    def pay() -> None:
        raise RuntimeError("gateway down")

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    return TestClient(app, raise_server_exceptions=False)


def test_a_rate_limit_is_honoured(sentry_server: ServerView, sentry_events: SentryEvents) -> None:
    """429 with X-Sentry-Rate-Limits: the SDK stops sending errors, and says so in a client report."""
    client = _app(sentry_server.dsn)
    sentry_server.fail_next(429, retry_after=60, rate_limits="60:error:organization")
    assert client.get("/pay").status_code == 500
    sentry_sdk.flush()
    assert client.get("/pay").status_code == 500  # the app keeps working
    assert client.get("/ok").status_code == 200
    sentry_sdk.get_client().close()  # sends the client report
    drop = sentry_events.dropped.wait_for(1, timeout=10)[0]
    assert (drop.reason, drop.category, drop.quantity) == ("ratelimit_backoff", "error", 1)
    assert len(sentry_events) == 0


@pytest.mark.parametrize("fault", ["503", "reset"])
def test_a_failing_sentry_loses_the_event_and_reports_it(
    sentry_server: ServerView, sentry_events: SentryEvents, fault: str
) -> None:
    client = _app(sentry_server.dsn)
    if fault == "reset":
        sentry_server.reset_next()
    else:
        sentry_server.fail_next(503)
    assert client.get("/pay").status_code == 500
    sentry_sdk.flush()
    assert client.get("/pay").status_code == 500
    sentry_sdk.get_client().close()
    assert [e.exception_value for e in sentry_events.wait_for(1, timeout=10)] == ["gateway down"]
    drop = sentry_events.dropped.wait_for(1, timeout=10)[0]
    assert (drop.reason, drop.category) == ("network_error", "error")


def test_a_slow_sentry_delays_but_loses_nothing(
    sentry_server: ServerView, sentry_events: SentryEvents
) -> None:
    client = _app(sentry_server.dsn)
    sentry_server.slow_next(0.5)
    assert client.get("/pay").status_code == 500
    assert client.get("/ok").status_code == 200
    assert [e.exception_value for e in sentry_events.wait_for(1, timeout=10)] == ["gateway down"]
    sentry_sdk.get_client().close()
    assert list(sentry_events.dropped) == []


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
        (b'{}\n{"type":"event"}\n{not json\n', {}, 400, "not an envelope: Expecting property name*"),
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
        (b"{}\n[1, 2]\n{}\n", {}, 400, "not an envelope: *"),
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


# -- the command line -----------------------------------------------------------------------

SENDER = """
import sys, sentry_sdk
sentry_sdk.init(dsn=sys.argv[1])
sentry_sdk.set_user({"id": "u-1", "email": "ana.lopez@shop.example"})
sentry_sdk.capture_message("checkout failed")
sentry_sdk.flush()
"""


def test_serve_stores_envelopes_and_scan_gates_on_them(tmp_path: Path) -> None:
    store = tmp_path / "envelopes"
    cli = [sys.executable, "-m", "pytest_sentry_check._cli"]
    server = subprocess.Popen([*cli, "serve", "--store", str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("pytest-sentry-check: ingest server on 127.0.0.1:")
        assert lines[2] == f"storing envelopes in {store}"
        dsn = lines[1].removeprefix("DSN: ")
        (tmp_path / "sender.py").write_text(SENDER)
        subprocess.run([sys.executable, "sender.py", dsn], cwd=tmp_path, check=True, timeout=60)
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert "stopped: 1 envelopes stored, 0 requests refused" in out
    [stored] = sorted(store.glob("*.envelope"))
    [item] = Envelope.deserialize(stored.read_bytes()).items
    assert item.payload.json is not None
    assert item.payload.json["message"] == "checkout failed"

    scan = subprocess.run(
        [*cli, "scan", str(store), "--report", "r.json", "--sarif", "r.sarif"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert scan.returncode == 1, scan.stdout + scan.stderr
    assert scan.stdout.splitlines() == [
        f"{stored}: 1 finding",
        f"  [medium] email (email address) at event:user.email: ana…[22 chars] in event {item.payload.json['event_id'][:8]}",
        "pytest-sentry-check scan: 1 envelope scanned, 1 findings, 0 allowed",
        "Scope or request data carries them: remove or mask them in before_send.",
    ]
    report = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert report["findings"][0]["phase"] == "stored"
    assert "ana.lopez" not in (tmp_path / "r.sarif").read_text()

    allowed = subprocess.run(
        [*cli, "scan", str(store), "--allow", "email"], capture_output=True, text=True, check=False
    )
    assert allowed.returncode == 0
    assert (
        allowed.stdout.splitlines()[-1]
        == "pytest-sentry-check scan: 1 envelope scanned, 0 findings, 1 allowed"
    )


def test_scan_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_sentry_check._cli", "scan", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"pytest-sentry-check scan: no such file or directory: {tmp_path / 'nowhere'}"
    )


def test_what_another_process_sends_late_stays_with_the_test_that_started_it(
    pytester: pytest.Pytester,
) -> None:
    """Each test's DSN carries its own key: a late envelope is its sender's late arrival."""
    pytester.makepyfile(
        """
        import subprocess, sys, time
        started = []

        def test_a(sentry_server):
            code = "import time, sentry_sdk; time.sleep(1.5); sentry_sdk.init(); sentry_sdk.capture_message('from a')"
            env = {"SENTRY_DSN": sentry_server.dsn, "PATH": ""}
            started.append(subprocess.Popen([sys.executable, "-c", code], env=env))

        def test_b(sentry_server, sentry_events):
            started[0].wait(timeout=30)
            time.sleep(0.5)
            assert len(sentry_events) == 0
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*::test_a: 1 envelope (event) arrived after the test ended"])


def test_a_failing_store_is_a_500_that_says_why(tmp_path: Path) -> None:
    def full_disk(raw: bytes, key: str) -> None:
        raise OSError(28, "No space left on device")

    with SentryServer(full_disk) as server:
        response = _post(server, ENVELOPE)
        assert (response.status_code, response.json()) == (
            500,
            {"detail": "could not store the envelope: [Errno 28] No space left on device"},
        )


def test_scan_refuses_what_is_not_an_envelope(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "000001-junk.envelope").write_bytes(b"\x00\x01binary junk")
    (store / "000002-dir.envelope").mkdir()
    (store / "000003-ok.envelope").write_bytes(ENVELOPE)
    cli = [sys.executable, "-m", "pytest_sentry_check._cli", "scan"]
    result = subprocess.run([*cli, str(store)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{store / '000001-junk.envelope'}: not scanned: not an envelope: Expecting value: line 1 column 1 (char 0)",
        "pytest-sentry-check scan: 1 envelope scanned, 0 findings, 0 allowed, 1 not envelopes",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([*cli, str(empty)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stdout.splitlines()[-1] == f"no *.envelope file in {empty}: nothing was scanned"
