"""pytest-sentry-check: prove in your test-suite what your application sends to Sentry.

The ``sentry_events`` fixture is the main entry point; :func:`capture` gives the same object
outside pytest.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec, PathFinder
from typing import TYPE_CHECKING, Any


class _StandardLoading:
    """Finds this package's modules with the standard path finder, ahead of pytest's
    assertion-rewriting import hook: pytest would rewrite every module of a plugin's
    distribution (its asserts are internal invariants here) and load each through its own,
    slower loader; the standard one uses the compiled bytecode installed with the package."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if not fullname.startswith("pytest_sentry_check.") or path is None:
            return None
        return PathFinder.find_spec(fullname, path, target)


if not any(isinstance(finder, _StandardLoading) for finder in sys.meta_path):
    sys.meta_path.insert(0, _StandardLoading())

if TYPE_CHECKING:
    from ._capture.dropped import Dropped, SdkError
    from ._capture.store import follow_running_test
    from ._capture.transport import CaptureTransport
    from ._lifespan import lifespan
    from ._model.inner import FeatureFlag, TransactionSpan
    from ._model.items import Leaf, ScanItem, ScanTarget
    from ._model.queryable import RecordQueries
    from ._model.records import Event, Payload, Transaction
    from ._model.replays import Replay, ReplaySegment
    from ._model.telemetry import Attachment, CheckIn, Feedback, LogRecord, Metric, Profile, Session, Span
    from ._model.validation import Problem, assert_valid, validate
    from ._query.collections import Records
    from ._query.events import SentryEvents
    from ._query.standalone import capture
    from ._rules.canaries import CANARY_KINDS
    from ._rules.fields import DEFAULT_FIELDS
    from ._rules.patterns import PATTERN_RULES, PatternRule
    from ._run.options import CheckOptions
    from ._scan.api import assert_scrubbed, scan
    from ._scan.detectors import DEFAULT_DETECTORS, Detector
    from ._scan.finding import SEVERITIES, Finding
    from ._scan.secrets import SecretRegistry
    from ._server.app import ServerView
    from ._warnings import SentryCheckWarning

    __version__: str

__all__ = [
    "CANARY_KINDS",
    "DEFAULT_DETECTORS",
    "DEFAULT_FIELDS",
    "PATTERN_RULES",
    "SEVERITIES",
    "Attachment",
    "CaptureTransport",
    "CheckIn",
    "CheckOptions",
    "Detector",
    "Dropped",
    "Event",
    "FeatureFlag",
    "Feedback",
    "Finding",
    "Leaf",
    "LogRecord",
    "Metric",
    "PatternRule",
    "Payload",
    "Problem",
    "Profile",
    "RecordQueries",
    "Records",
    "Replay",
    "ReplaySegment",
    "ScanItem",
    "ScanTarget",
    "SdkError",
    "SecretRegistry",
    "SentryCheckWarning",
    "SentryEvents",
    "ServerView",
    "Session",
    "Span",
    "Transaction",
    "TransactionSpan",
    "__version__",
    "assert_scrubbed",
    "assert_valid",
    "capture",
    "follow_running_test",
    "lifespan",
    "scan",
    "validate",
]

# Where each public name lives. They are imported on first use: pytest loads this package as a
# plugin in every run, and most runs never need the query, scan or validation modules.
_HOMES = {
    "CaptureTransport": "_capture.transport",
    "Dropped": "_capture.dropped",
    "SdkError": "_capture.dropped",
    "follow_running_test": "_capture.store",
    "lifespan": "_lifespan",
    **dict.fromkeys(("Leaf", "ScanItem", "ScanTarget"), "_model.items"),
    **dict.fromkeys(("Event", "Payload", "Transaction"), "_model.records"),
    **dict.fromkeys(("FeatureFlag", "TransactionSpan"), "_model.inner"),
    "RecordQueries": "_model.queryable",
    **dict.fromkeys(
        ("Attachment", "CheckIn", "Feedback", "LogRecord", "Metric", "Profile", "Session", "Span"),
        "_model.telemetry",
    ),
    **dict.fromkeys(("Replay", "ReplaySegment"), "_model.replays"),
    **dict.fromkeys(("Problem", "assert_valid", "validate"), "_model.validation"),
    "Records": "_query.collections",
    "SentryEvents": "_query.events",
    "capture": "_query.standalone",
    "CANARY_KINDS": "_rules.canaries",
    "DEFAULT_FIELDS": "_rules.fields",
    "PATTERN_RULES": "_rules.patterns",
    "PatternRule": "_rules.patterns",
    "CheckOptions": "_run.options",
    "assert_scrubbed": "_scan.api",
    "scan": "_scan.api",
    "DEFAULT_DETECTORS": "_scan.detectors",
    "Detector": "_scan.detectors",
    "SEVERITIES": "_scan.finding",
    "Finding": "_scan.finding",
    "SecretRegistry": "_scan.secrets",
    "ServerView": "_server.app",
    "SentryCheckWarning": "_warnings",
}


if not TYPE_CHECKING:  # type checkers see the names above; a misspelt one is an error

    def __getattr__(name: str) -> Any:
        if name == "__version__":
            from importlib.metadata import PackageNotFoundError, version

            try:
                return version("pytest-sentry-check")
            except PackageNotFoundError:  # a source tree that was never installed
                return "0+unknown"
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        # Not cached here: pytester's in-process runs restore sys.modules, and a module imported
        # again must not leave this package handing out the classes of its first copy.
        module = importlib.import_module(f".{home}", __name__)
        if home.startswith("_model."):  # records' inner collections are made by the query stage
            importlib.import_module("._query.collections", __name__)
        for public, where in _HOMES.items():
            value = getattr(module, public) if where == home else None
            if isinstance(value, type) and not getattr(value, "_is_protocol", False):
                value.__module__ = __name__  # shown as pytest_sentry_check.Event
        return getattr(module, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
