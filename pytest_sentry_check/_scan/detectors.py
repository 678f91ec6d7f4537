"""Detectors: the built-in rule ids, the callable protocol, and the detectors plugins add.

Plugins add detectors with the ``pytest_sentry_check_detectors`` hook (the pytest plugin sets
them here) or the ``pytest_sentry_check.detectors`` entry-point group of an installed package.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Protocol

from pytest_sentry_check._model.items import ScanItem
from pytest_sentry_check._rules.patterns import PATTERN_RULES

from .finding import Finding

__all__ = [
    "DEFAULT_DETECTORS",
    "ENTRY_POINT_GROUP",
    "Detector",
    "extra_detectors",
    "set_plugin_detectors",
]

#: Rule ids run when ``detectors`` is not given (``user-path`` is opt-in).
DEFAULT_DETECTORS: tuple[str, ...] = ("canary", "field", *(rule.id for rule in PATTERN_RULES))
#: The entry-point group through which installed packages add detectors.
ENTRY_POINT_GROUP = "pytest_sentry_check.detectors"


class Detector(Protocol):
    """A detector: a callable receiving one item and yielding findings.

    Register one with the ``pytest_sentry_check_detectors`` hook, the
    ``pytest_sentry_check.detectors`` entry-point group, or pass it in ``detectors=``.
    """

    def __call__(self, item: ScanItem, /) -> Iterable[Finding]: ...


_plugin_detectors: list[Detector] = []
_entry_point_detectors: list[Detector] | None = None


def set_plugin_detectors(detectors: Iterable[Detector]) -> list[Detector]:
    """Set the detectors contributed by pytest plugins (the hook); returns the previous ones."""
    previous = list(_plugin_detectors)
    _plugin_detectors[:] = list(detectors)
    return previous


def extra_detectors() -> list[Detector]:
    """Plugin detectors, and the entry points' (read on first use: listing every installed
    distribution is not free, and most runs never scan)."""
    global _entry_point_detectors
    if _entry_point_detectors is None:
        _entry_point_detectors = [entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)]
    return [*_entry_point_detectors, *_plugin_detectors]
