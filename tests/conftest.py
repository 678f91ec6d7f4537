from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator

# Imported here, in the outer process, so pytester's in-process runs share them: sentry-sdk
# patches a framework once per process, and pytester drops modules a run imported first.
import fastapi
import fastapi.testclient  # noqa: F401
import httpx  # noqa: F401
import pytest
import sentry_sdk
import sentry_sdk.integrations.asyncio
import sentry_sdk.integrations.fastapi
import sentry_sdk.integrations.logging
import sentry_sdk.integrations.starlette
import sentry_sdk.integrations.threading
import starlette.testclient  # noqa: F401
from hypothesis import settings

# CI runs the property tests with a fixed seed (reproducible landings); locally they explore.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _inner_runs_keep_their_order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs in random order (pytest-randomly); the suites that tests run with pytester
    are written in order (a thread one test starts, the next one joins). pytest-playwright is
    off there too (a test that needs it passes ``-p playwright``): see pyproject.toml's addopts.
    So is hypothesis's plugin: no inner suite uses it, and loading it imports all of hypothesis,
    0.8 s of CPU in every inner process (each xdist worker too)."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly -p no:playwright -p no:hypothesispytest")


# A FastAPI service in the style real users write: its own sentry module, init in the
# lifespan with a production DSN, a hand-written before_send, helpers for scope data.
SERVICE_SENTRY = """
import os
import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

DSN = os.environ.get("SERVICE_SENTRY_DSN", "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789")


def before_send(event, hint):
    request = event.get("request", {})
    headers = request.get("headers", {})
    headers.pop("Authorization", None)
    headers.pop("authorization", None)
    return event


def init_sentry(**extra):
    sentry_sdk.init(
        dsn=DSN,
        environment=os.environ.get("APP_ENV", "production"),
        release="checkout@1.4.2",
        traces_sample_rate=0.25,
        before_send=before_send,
        integrations=[StarletteIntegration(), FastApiIntegration()],
        **extra,
    )


def set_user_context(user_id, email=None):
    sentry_sdk.set_user({"id": user_id, "email": email})


def add_breadcrumb(message, category="app"):
    sentry_sdk.add_breadcrumb(message=message, category=category, level="info")
"""

SERVICE_APP = """
from contextlib import asynccontextmanager

import sentry_sdk
from fastapi import FastAPI, Request

import service_sentry


@asynccontextmanager
async def lifespan(app):
    service_sentry.init_sentry()
    yield


app = FastAPI(lifespan=lifespan)


@app.post("/login")
async def login(request: Request):
    body = await request.json()
    service_sentry.add_breadcrumb("login attempt", category="auth")
    service_sentry.set_user_context("u1", body.get("email"))
    sentry_sdk.set_tag("feature", "auth")
    with sentry_sdk.start_span(op="db.query", name="SELECT user"):
        pass
    raise RuntimeError("login backend unavailable")


@app.get("/ok")
def ok():
    sentry_sdk.capture_message("all good", level="info")
    return {"ok": True}
"""


@pytest.fixture
def service(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory holding the example service (``service_app``, ``service_sentry``)."""
    pytester.makepyfile(
        service_sentry=textwrap.dedent(SERVICE_SENTRY), service_app=textwrap.dedent(SERVICE_APP)
    )
    pytester.makeconftest(
        """
        import pytest
        from fastapi.testclient import TestClient
        from service_app import app

        @pytest.fixture
        def client():
            with TestClient(app, raise_server_exceptions=False) as client:
                yield client
        """
    )
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    return pytester


@pytest.fixture(autouse=True)
def _clean_global_scope() -> Iterator[None]:
    """pytester's in-process runs share the SDK's process-wide global scope; reset it after each."""
    yield
    sentry_sdk.get_global_scope().clear()
    sentry_sdk.get_global_scope().set_client(None)
