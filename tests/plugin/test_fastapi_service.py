"""A FastAPI service that calls sentry_sdk.init itself (in its lifespan, with a real DSN)."""

from __future__ import annotations

import pytest


def test_the_issue_example_passes(service: pytest.Pytester) -> None:
    """The query API of the contract works on what a real service sends."""
    service.makepyfile(
        """
        def test_login_failure_is_reported(client, sentry_events):
            client.post("/login", json={"email": "a@b.example", "password": "x"})
            event = sentry_events.one(exception_type=RuntimeError, tags={"feature": "auth"})
            assert event.level == "error"
            assert event.exception_value == "login backend unavailable"
            assert event.request["url"].endswith("/login")
            assert event.transaction == "/login"
            assert [b["message"] for b in event.breadcrumbs] == ["login attempt"]
            assert event.user["id"] == "u1"
            assert event.release == "checkout@1.4.2"
            assert event.environment == "production"
            assert event["tags"]["feature"] == "auth"
            assert dict(event)["event_id"] == event.event_id
        """
    )
    # The service sends the email and password in frame locals: the gate's tests cover that.
    service.runpytest("--sentry-gate=off").assert_outcomes(passed=1)


def test_transactions_and_spans_with_overridden_sample_rate(service: pytest.Pytester) -> None:
    """options= overrides the app's 25% sampling, so the transaction test is deterministic."""
    service.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(options={"traces_sample_rate": 1.0})
        @pytest.mark.parametrize("attempt", range(8))
        def test_transaction(client, sentry_events, attempt):
            client.post("/login", json={})
            tx = sentry_events.transactions.one(name="/login")
            assert [s["op"] for s in tx.spans if s["op"] == "db.query"] == ["db.query"]
            assert tx.op == "http.server"
            assert tx.status == "internal_error"
            assert sentry_events.client_options["traces_sample_rate"] == 0.25
        """
    )
    service.runpytest().assert_outcomes(passed=8)


def test_client_options_are_the_apps_own(service: pytest.Pytester) -> None:
    """client_options shows what the app configured, so config code can be tested."""
    service.makepyfile(
        """
        import service_sentry

        def test_config(client, sentry_events):
            options = sentry_events.client_options
            assert options["environment"] == "production"
            assert options["release"] == "checkout@1.4.2"
            assert options["before_send"] is service_sentry.before_send
            assert options["dsn"].startswith("https://3f1c2a9d8e7b4c5a@")
            assert {type(i).__name__ for i in options["integrations"]} == {
                "StarletteIntegration", "FastApiIntegration"}
        """
    )
    service.runpytest().assert_outcomes(passed=1)


def test_one_reports_every_candidate_and_why_it_failed(service: pytest.Pytester) -> None:
    """When .one() misses, the message lists what was captured and which criteria failed."""
    service.makepyfile(
        """
        import sentry_sdk

        import pytest
        pytestmark = pytest.mark.sentry_check(options={"traces_sample_rate": 0.0})

        def test_miss(client, sentry_events):
            client.post("/login", json={"email": "a@b.example"})
            sentry_sdk.capture_message("cache warm", level="warning")
            sentry_events.one(exception_type=ValueError, tags={"feature": "billing"})
        """
    )
    result = service.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.one(exception_type=ValueError, "
            "tags={'feature': 'billing'}): no event matches, amongst 2 events captured:",
            "E         1. RuntimeError: login backend unavailable (level=error; "
            "transaction='/login'; tags: feature=auth) at service_app.py:26 in login",
            "E            - exception_type: expected ValueError, got RuntimeError",
            "E            - tags[\"feature\"]: expected 'billing', got 'auth'",
            "E         2. message 'cache warm' (level=warning)",
            "E            - exception_type: expected ValueError, the event has no exception",
            'E            - tags["feature"]: missing (present: none)',
            "E       See https://pytest-sentry-check.readthedocs.io/en/latest/querying/#when-a-query-fails for every criterion and how each one matches.",
        ],
        consecutive=True,
    )


def test_one_with_several_matches_lists_them(service: pytest.Pytester) -> None:
    """Two matches for .one() is a failure that shows both and how to tell them apart."""
    service.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.sentry_check(options={"traces_sample_rate": 0.0})

        def test_two(client, sentry_events):
            client.post("/login", json={})
            client.post("/login", json={})
            sentry_events.one(level="error")
        """
    )
    result = service.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.one(level='error'): expected exactly one event, 2 match:",
            "E         1. RuntimeError: login backend unavailable (*",
            "E         2. RuntimeError: login backend unavailable (*",
            "E       Add criteria that tell them apart, or use .filter(...) to check them all.",
        ],
        consecutive=True,
    )


def test_nothing_captured_says_so_and_hints_at_dropped(service: pytest.Pytester) -> None:
    """With nothing captured, the message says what the SDK dropped instead."""
    service.makepyfile(
        """
        import pytest
        import service_sentry

        def drop_all(event, hint):
            return None

        @pytest.mark.sentry_check(options={"traces_sample_rate": 0.0})
        def test_dropped(client, sentry_events, monkeypatch):
            import sentry_sdk
            sentry_sdk.get_client().options["before_send"] = drop_all
            client.post("/login", json={})
            sentry_events.one(exception_type=RuntimeError)
        """
    )
    result = service.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.one(exception_type=RuntimeError): no event was captured.",
            "E       Dropped by the SDK: 1 error (before_send).",
        ],
        consecutive=True,
    )


def test_unknown_criterion_is_a_type_error_listing_the_valid_ones(service: pytest.Pytester) -> None:
    """A misspelt criterion fails at once, naming every valid one."""
    service.makepyfile(
        """
        def test_typo(sentry_events):
            sentry_events.one(tag={"a": "b"})
        """
    )
    result = service.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       TypeError: sentry_events.one() got an unknown criterion 'tag'; events can be "
            "matched on: contexts, environment, exception_type, exception_value, extra, "
            "fingerprint, flags, level, message, release, request, server_name, tags, transaction, user, where"
        ]
    )
