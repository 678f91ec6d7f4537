"""``Capture.add_pump``: a source that delivers only while the waiting thread runs it (a
Playwright page's routes) is run by ``wait`` and so by every ``wait_for``."""

from __future__ import annotations

import threading

import pytest
import sentry_sdk

from pytest_sentry_check import capture


def test_wait_for_runs_the_pumps_on_the_waiting_thread() -> None:
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        turns: list[tuple[float, int]] = []

        def pump(seconds: float) -> None:
            turns.append((seconds, threading.get_ident()))
            if len(turns) == 3:  # the source delivers on its third turn
                sentry_sdk.capture_message("from the page")

        remove = events._capture_ref.add_pump(pump)
        assert events.wait_for(message="from the page", timeout=5.0)[0].message == "from the page"
        assert len(turns) == 3
        assert {ident for _, ident in turns} == {threading.get_ident()}
        assert all(0 < seconds <= 0.05 for seconds, _ in turns)

        remove()
        with pytest.raises(AssertionError):
            events.wait_for(message="never sent", timeout=0.1)
        assert len(turns) == 3  # removed: not run again
