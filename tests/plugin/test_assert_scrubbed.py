"""assert_scrubbed(sentry_events) in a user's test: the failure names the leak and never prints it."""

from __future__ import annotations

import pytest

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")


def test_a_users_test_fails_on_the_leak_without_printing_it(pytester: pytest.Pytester) -> None:
    """assert_scrubbed(sentry_events) in a user's test: exact lines, no whole secret anywhere in the output."""
    pytester.makepyfile(
        """
        import sentry_sdk
        from fastapi import FastAPI, Request
        from fastapi.testclient import TestClient
        from pytest_sentry_check import assert_scrubbed
        import secrets

        app = FastAPI()

        @app.post("/login")
        async def login(request: Request):
            body = await request.json()
            raise RuntimeError("bad login")

        def test_login_does_not_leak(sentry_events, sentry_secrets):
            pw = sentry_secrets.make("password")
            token = sentry_secrets.add("tok_live_" + secrets.token_hex(6))
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            with TestClient(app, raise_server_exceptions=False) as client:
                client.post("/login", json={"email": "a@b.example", "password": pw},
                            headers={"Authorization": f"Bearer {token}"})
            open("generated.txt", "w").write(f"{pw} {token}")
            assert_scrubbed(sentry_events)
        """
    )
    result = pytester.runpytest("-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert_scrubbed: * findings in what the application sent to Sentry, "
            "* leak groups:",
            # one line per rule and path pattern: the token in the headers of every frame's scope
            "E         [[]critical] canary (registered secret, raw) at "
            "event:exception.values.*.stacktrace.frames.*.vars.scope.headers.*.* (* places): tok…[[]21 chars]",
        ]
    )
    result.stdout.fnmatch_lines(["E         ... and * more leak groups (* findings)"])
    output = result.stdout.str() + result.stderr.str()
    password, token = (pytester.path / "generated.txt").read_text().split()
    assert token not in output
    assert password not in output
