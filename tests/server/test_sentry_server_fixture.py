"""The sentry_server fixture: SDKs in other processes report into the test, its gate, its late arrivals."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pytest_sentry_check import SentryEvents
from pytest_sentry_check._server.app import ServerView

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
