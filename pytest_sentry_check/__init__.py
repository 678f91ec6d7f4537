"""pytest-sentry-check: prove in your test-suite what your application sends to Sentry.

The ``sentry_events`` fixture is the main entry point; :func:`capture` gives the same object
outside pytest.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

import pytest

pytest.register_assert_rewrite("pytest_sentry_check._query", "pytest_sentry_check.scan")

if TYPE_CHECKING:
    from ._capture import CaptureTransport
    from ._dropped import Dropped, SdkError
    from ._query import Records, SentryEvents
    from ._records import (
        Attachment,
        CheckIn,
        Event,
        LogRecord,
        Metric,
        Payload,
        Profile,
        Session,
        Span,
        Transaction,
    )
    from ._session import capture
    from ._validate import Problem, assert_valid, validate
    from ._warnings import SentryCheckWarning
    from .scan import Finding, assert_scrubbed, scan

__all__ = [
    "Attachment",
    "CaptureTransport",
    "CheckIn",
    "Dropped",
    "Event",
    "Finding",
    "LogRecord",
    "Metric",
    "Payload",
    "Problem",
    "Profile",
    "Records",
    "SdkError",
    "SentryCheckWarning",
    "SentryEvents",
    "Session",
    "Span",
    "Transaction",
    "assert_scrubbed",
    "assert_valid",
    "capture",
    "scan",
    "validate",
]

# Where each public name lives. They are imported on first use: pytest loads this package as a
# plugin in every run, and most runs never need the query, scan or validation modules.
_HOMES = {
    "CaptureTransport": "_capture",
    "Records": "_query",
    "SentryEvents": "_query",
    **dict.fromkeys(("Attachment", "CheckIn", "Event", "LogRecord", "Metric"), "_records"),
    **dict.fromkeys(("Payload", "Profile", "Session", "Span", "Transaction"), "_records"),
    "capture": "_session",
    "Dropped": "_dropped",
    "SdkError": "_dropped",
    "Problem": "_validate",
    "assert_valid": "_validate",
    "validate": "_validate",
    "SentryCheckWarning": "_warnings",
    "Finding": "scan",
    "assert_scrubbed": "scan",
    "scan": "scan",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    # Not cached here: pytester's in-process runs restore sys.modules, and a module imported
    # again must not leave this package handing out the classes of its first copy.
    module = importlib.import_module(f".{home}", __name__)
    for public, where in _HOMES.items():
        value = getattr(module, public) if where == home else None
        if isinstance(value, type):
            value.__module__ = __name__  # shown as pytest_sentry_check.Event
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the ``pytest_sentry_check.scan`` subpackage binds it here as ``scan``; the
        # package's public ``scan`` stays the function.
        if name == "scan" and isinstance(value, types.ModuleType):
            value = value.scan
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
