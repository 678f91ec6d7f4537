"""Extension points: detectors from conftest files, plugins and installed packages.

In a ``conftest.py`` or a pytest plugin::

    def pytest_sentry_check_detectors(config):
        return [find_internal_ids]

Outside pytest, a package can declare an entry point in the ``pytest_sentry_check.detectors``
group naming a detector callable. A detector receives a
:class:`pytest_sentry_check.ScanItem` and yields :class:`pytest_sentry_check.Finding`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pytest_sentry_check._scan.detectors import Detector

__all__ = ["pytest_sentry_check_detectors"]

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_sentry_check_detectors(config: Any) -> list[Detector]:  # type: ignore[empty-body]
    """Return detectors to run in every scan, besides the built-in rules."""
