"""The sentry_datascrubbing ini key: the project's settings for stored_after_relay and stage='server'."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sentry_relay", reason="the relay extra (Linux and macOS wheels)")

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off", options={"send_default_pii": False})


def test_the_ini_names_the_projects_settings(pytester: pytest.Pytester) -> None:
    """sentry_datascrubbing: the project's settings for stored_after_relay and stage='server'."""
    pytester.makefile(".json", privacy='{"sensitiveFields": ["email"]}')
    pytester.makeini("[pytest]\nsentry_datascrubbing = privacy.json\n")
    pytester.makepyfile(
        """
        import sentry_sdk
        from pytest_sentry_check import scan

        def test_profile(sentry_init, sentry_events):
            sentry_init()
            sentry_sdk.set_user({"id": "u-1", "email": "ana.lopez" + "@shop.example"})
            sentry_sdk.capture_message("profile update failed")
            assert "user.email" not in {f.path for f in scan(sentry_events, stage="server")}
        """
    )
    result = pytester.runpytest("--sentry-gate=warn", "--sentry-report=r.json")
    result.assert_outcomes(passed=1, warnings=1)
    [finding] = [
        g
        for g in json.loads((pytester.path / "r.json").read_text())["groups"]
        if g["pattern"] == "user.email"
    ]
    assert finding["stored_after_relay"] is False  # the project scrubs "email" fields
    pytester.makeini("[pytest]\nsentry_datascrubbing = missing.json\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sentry_datascrubbing: */missing.json: *No such file or directory*"])
