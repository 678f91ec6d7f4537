"""docs/pitfalls.md: each pitfall of a real Sentry setup, and the failing test that catches it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

APP = """
import functools
import sentry_sdk
from contextlib import asynccontextmanager
from fastapi import FastAPI
from fastapi.testclient import TestClient

OPTIONS = dict(dsn="https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789")
TAG_ON = "isolation"


@asynccontextmanager
async def lifespan(app):
    sentry_sdk.init(**OPTIONS)
    if TAG_ON == "global":
        sentry_sdk.get_global_scope().set_tag("service", "checkout")
    else:
        sentry_sdk.set_tag("service", "checkout")  # lands on the lifespan task's scope
    yield


app = FastAPI(lifespan=lifespan)


def report_errors(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            sentry_sdk.capture_exception(exc)
            raise
    return wrapper


@app.get("/pay")
@report_errors
def pay():
    raise ValueError("card declined")


@app.get("/orders")
def orders():
    return []


def client():
    return TestClient(app, raise_server_exceptions=False)
"""


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(pitfall_app=APP)
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    return pytester


def test_a_raising_before_send_fails_the_test(app: pytest.Pytester) -> None:
    """Pitfall 1: in production the SDK drops every event silently."""
    app.makepyfile(
        """
        import pitfall_app

        def before_send(event, hint):
            return event if event["request"]["query_string"].lower() else event  # None.lower()

        pitfall_app.OPTIONS["before_send"] = before_send

        def test_pay(sentry_events):
            with pitfall_app.client() as client:
                client.get("/pay")
        """
    )
    result = app.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the Sentry SDK swallowed 2 exceptions during this test:",
            "  before_send (test_a_raising_before_send_fails_the_test.before_send) raised AttributeError: "
            "'NoneType' object has no attribute 'lower'",
            "    the SDK dropped the event: in production it never reaches Sentry.",
        ]
    )


LIFESPAN_SERVICE = """
import sys, sentry_sdk, uvicorn
from contextlib import asynccontextmanager
from fastapi import FastAPI

@asynccontextmanager
async def lifespan(app):
    sentry_sdk.init()  # SENTRY_DSN from the environment
    sentry_sdk.set_tag("set_in", "lifespan")
    sentry_sdk.get_global_scope().set_tag("service", "checkout")
    yield

app = FastAPI(lifespan=lifespan)

@app.get("/pay")
def pay():
    raise ValueError("card declined")

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def test_whether_a_lifespan_tag_reaches_request_events_under_uvicorn(
    tmp_path: Any, sentry_server: Any, sentry_events: Any
) -> None:
    """Pitfall 2, as the guides state it: a tag set with set_tag in the lifespan stays on the
    lifespan task's scope. TestClient cannot tell (its lifespan runs in the test's own scope);
    a real uvicorn process can. Measured with sentry-sdk 2.75 and uvicorn 0.54: it does reach
    them. This test tells for the versions installed."""
    (tmp_path / "service.py").write_text(LIFESPAN_SERVICE)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "SENTRY_DSN": sentry_server.dsn}
    process = subprocess.Popen([sys.executable, "service.py", str(port)], cwd=tmp_path, env=env)
    try:
        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{port}/pay", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        event = sentry_events.wait_for(1, timeout=15, exception_type=ValueError)[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert event.tags["service"] == "checkout"  # the global scope: always
    assert event.tags.get("set_in") == "lifespan"  # set_tag in the lifespan: with these versions


def test_a_decorator_that_reports_and_reraises_sends_two_events(app: pytest.Pytester) -> None:
    """Pitfall 3: the integration reports the re-raised exception again."""
    app.makepyfile(
        """
        import pitfall_app

        def test_pay_reports_once(sentry_events):
            with pitfall_app.client() as client:
                client.get("/pay")
            sentry_events.one(exception_type=ValueError)
        """
    )
    result = app.runpytest("--sentry-gate=off")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.one(exception_type=ValueError): expected exactly one event, 2 match:",
        ]
    )


def test_a_production_sample_rate_makes_transaction_tests_flaky(app: pytest.Pytester) -> None:
    """Pitfall 4: the app samples a fraction of transactions; the marker makes it every one."""
    app.makepyfile(
        """
        import pytest, pitfall_app
        pitfall_app.OPTIONS["traces_sample_rate"] = 0.000001  # production keeps very few

        def test_sampled_as_in_production(sentry_events):
            with pitfall_app.client() as client:
                client.get("/orders")
            assert sentry_events.client_options["traces_sample_rate"] == 0.000001
            sentry_events.transactions.one(name="/orders")

        @pytest.mark.sentry_check(options={"traces_sample_rate": 1.0})
        def test_every_transaction(sentry_events):
            with pitfall_app.client() as client:
                client.get("/orders")
            sentry_events.transactions.one(name="/orders")
        """
    )
    result = app.runpytest("--sentry-gate=off")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.transactions.one(name='/orders'): *",
            "E       Dropped by the SDK: 1 transaction (sample_rate).",
        ]
    )


def test_send_default_pii_false_still_sends_query_strings_and_frame_locals(app: pytest.Pytester) -> None:
    """Pitfall 5: the gate fails the test that made the app send them."""
    app.makepyfile(
        """
        import pitfall_app
        pitfall_app.OPTIONS["send_default_pii"] = False

        def test_pay():
            with pitfall_app.client() as client:
                client.get("/pay", params={"api_key": "sk_live_" + "51Hx9aZq8LmN3pQ"})
        """
    )
    result = app.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (*",
            # one group: the same place in two of its events
            "  [[]high] field (sensitive query parameter 'apikey') at event:request.query_string (2 places): "
            "sk_…[[]23 chars] in event *",
        ]
    )
    assert "51Hx9aZq8LmN3pQ" not in result.stdout.str()
