"""The gate tests' service and suites (pytester sources), and helpers several of their files use."""

from __future__ import annotations

import json
from typing import Any

import pytest

# A service as users write them: its own init with a production DSN, a before_send that drops
# the Authorization header from the request, and a handler that reads the header into a local.
GATE_APP = """
import logging
import threading

import sentry_sdk
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"
FIXES = {}
CUSTOMER_EMAIL = "ana.lopez@" + "shop.example"  # spelled apart: pytest prints failing tests' source


def before_send(event, hint):
    (event.get("request") or {}).get("headers", {}).pop("authorization", None)
    return event


def init_sentry():
    sentry_sdk.init(
        dsn=DSN,
        before_send=before_send,
        integrations=[StarletteIntegration(), FastApiIntegration()],
        **FIXES,
    )


app = FastAPI(on_startup=[init_sentry])


@app.get("/orders")
def orders(request: Request):
    token = request.headers["authorization"]
    raise LookupError("no orders for this account")


@app.get("/ok")
def ok():
    sentry_sdk.capture_message("all good")
    return {"ok": True}


@app.get("/notify")
def notify(email: str):
    sentry_sdk.capture_message(f"could not notify {email}")
    return {"ok": False}


def client():
    return TestClient(app, raise_server_exceptions=False)
"""


TOKEN = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTcifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


EMAIL = "ana.lopez@shop.example"


# An ordinary suite: it never mentions Sentry.
SUITE = f"""
import gate_app

TOKEN = {TOKEN!r}


def test_orders_need_a_valid_account():
    with gate_app.client() as client:
        assert client.get("/orders", headers={{"Authorization": TOKEN}}).status_code == 500


def test_health():
    with gate_app.client() as client:
        assert client.get("/ok").status_code == 200
"""


NOTIFY = """
import pytest
import gate_app


def test_notify():
    with gate_app.client() as client:
        client.get("/notify", params={"email": gate_app.CUSTOMER_EMAIL})
"""


# A worker thread that sends after its test ended, while the next test runs.
LATE_SUITE = """
import threading, time
import sentry_sdk, gate_app
sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
started = []

def test_starts_a_worker():
    def later():
        time.sleep(0.3)
        sentry_sdk.capture_message("retry for " + gate_app.CUSTOMER_EMAIL)
    started.append(threading.Thread(target=later))
    started[0].start()

def test_next():
    started[0].join()
"""


def no_secret_in(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    assert "eyJzdWIiOiJ1LTcifQ" not in out
    assert EMAIL not in out


def _run_with_reports(
    gated: pytest.Pytester, *args: str
) -> tuple[pytest.RunResult, dict[str, Any], dict[str, Any]]:
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify'
        ),
    )
    result = gated.runpytest("--sentry-report=out/report.json", "--sentry-sarif=out/report.sarif", *args)
    report = json.loads((gated.path / "out" / "report.json").read_text())
    sarif = json.loads((gated.path / "out" / "report.sarif").read_text())
    return result, report, sarif
