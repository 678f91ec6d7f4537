"""The init call itself: release, environment, privacy settings."""


def test_release_and_environment(client, sentry_events):
    options = sentry_events.client_options
    assert options["release"] == "checkout@2.3.1"
    assert options["environment"] == "production"
    assert options["send_default_pii"] is False
    assert options["max_breadcrumbs"] == 50


def test_environment_comes_from_the_environment(monkeypatch, sentry_events):
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    from checkout.app import app
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/boom")
    assert sentry_events.one().environment == "staging"
