"""pytest-sentry-check: prove in your test-suite what your application sends to Sentry.

The ``sentry_events`` fixture is the main entry point; :func:`capture` gives the same object
outside pytest.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("pytest_sentry_check._query", "pytest_sentry_check.scan")

from ._capture import CaptureTransport  # noqa: E402
from ._query import Records, SentryEvents  # noqa: E402
from ._records import (  # noqa: E402
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
from ._session import capture  # noqa: E402
from ._store import Dropped, SdkError  # noqa: E402
from ._validate import Problem, assert_valid, validate  # noqa: E402
from ._warnings import SentryCheckWarning  # noqa: E402
from .scan import Finding, assert_scrubbed, scan  # noqa: E402

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

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
