"""capture() works without pytest's hooks: the structlog-style context manager."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_capture_outside_pytest() -> None:
    """A plain script captures, isolates scope data, and restores the SDK afterwards."""
    script = textwrap.dedent(
        """
        import sentry_sdk, sentry_sdk.client
        from pytest_sentry_check import capture

        original = sentry_sdk.client.make_transport
        with capture({"traces_sample_rate": 1.0}) as events:
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=0.0)
            sentry_sdk.set_tag("inside", "yes")
            with sentry_sdk.start_transaction(name="script"):
                sentry_sdk.capture_message("from a script")
            assert events.one(tags={"inside": "yes"}).message == "from a script"
            assert events.transactions.one(name="script")
            assert events.client_options["traces_sample_rate"] == 0.0
        assert sentry_sdk.client.make_transport is original
        assert "inside" not in sentry_sdk.get_isolation_scope()._tags
        print("OK")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OK"


def test_nested_captures_both_see_the_inner_events() -> None:
    """An inner capture() inside a test still feeds the test's own capture."""
    import sentry_sdk

    from pytest_sentry_check import capture

    with capture() as outer:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        with capture() as inner:
            sentry_sdk.capture_message("inner")
        sentry_sdk.capture_message("outer")
        assert [e.message for e in inner] == ["inner"]
        assert [e.message for e in outer] == ["inner", "outer"]
