"""The plugin's warning category (no pytest import: xdist rebuilds it on the controller by name)."""

from __future__ import annotations

__all__ = ["SentryCheckWarning"]


class SentryCheckWarning(UserWarning):
    """Something the application's Sentry integration did that a test should know about: an
    exception the SDK swallowed (``sdk_errors="warn"``) or a leak (``gate="warn"``)."""

    __module__ = "pytest_sentry_check"
