"""Extension points: detectors from conftest files, plugins and installed packages.

In a ``conftest.py`` or a pytest plugin::

    def pytest_sentry_check_detectors(config):
        return [find_internal_ids]

Outside pytest, a package can declare an entry point in the ``pytest_sentry_check.detectors``
group naming a detector callable. A detector receives a
:class:`pytest_sentry_check.scan.ScanItem` and yields :class:`pytest_sentry_check.scan.Finding`.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .scan import Detector

hookspec = pluggy.HookspecMarker("pytest")

ENTRY_POINT_GROUP = "pytest_sentry_check.detectors"


@hookspec
def pytest_sentry_check_detectors(config: Any) -> list[Detector]:  # type: ignore[empty-body]
    """Return detectors to run in every scan, besides the built-in rules."""


def entry_point_detectors() -> list[Detector]:
    """Detectors that installed packages declare in the ``pytest_sentry_check.detectors`` group."""
    return [entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)]
