"""snapshot() with syrupy: a snapshot is written, matches on the next run, and a change fails."""

from __future__ import annotations

import pytest


def test_it_works_with_syrupy(pytester: pytest.Pytester) -> None:
    pytest.importorskip("syrupy")
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_checkout(sentry_init, sentry_events, snapshot):
            sentry_init(release="checkout@1.0.0")
            sentry_sdk.set_tag("feature", "checkout")
            sentry_sdk.capture_message("payment provider timeout", level="warning")
            assert sentry_events.one().snapshot(drop=["contexts", "extra"]) == snapshot
        """
    )
    pytester.runpytest("--snapshot-update").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    source = (pytester.path / "test_it_works_with_syrupy.py").read_text()
    (pytester.path / "test_it_works_with_syrupy.py").write_text(source.replace('"warning"', '"error"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*'level': 'error'*"])
