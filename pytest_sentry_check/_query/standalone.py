"""``capture()``: what the ``sentry_events`` fixture gives, outside pytest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from pytest_sentry_check._capture.install import current_installation, install, uninstall
from pytest_sentry_check._capture.session import CaptureSession

from .events import SentryEvents

__all__ = ["capture"]


@contextlib.contextmanager
def capture(options: Mapping[str, Any] | None = None, *, isolate: bool = True) -> Iterator[SentryEvents]:
    """Capture what the SDK sends inside the block, without pytest.

    Args:
        options: client options applied on top of the application's own
            (e.g. ``{"traces_sample_rate": 1.0}``) while the block runs.
        isolate: run the block in forked SDK scopes, so scope data set inside stays inside.

    The SDK is patched for the block if pytest-sentry-check is not already active.
    """
    installation = current_installation()
    own = installation is None
    if installation is None:
        installation = install()
    session = CaptureSession(installation, "capture()", options, isolate)
    try:
        session.open()
        yield SentryEvents(session.capture)
    finally:
        try:
            session.close()
        finally:
            if own:
                uninstall(installation)
