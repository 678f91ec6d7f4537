"""The record class of each item-type entry, by the name the registry gives it."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["record_class"]

# Through sys.modules, not ``from . import records``: that reads the package's attribute, which
# pytester's in-process runs leave pointing at a copy of the module they dropped.
_records = importlib.import_module(".records", __package__)
_telemetry = importlib.import_module(".telemetry", __package__)
_replays = importlib.import_module(".replays", __package__)


def record_class(name: str) -> type[Any]:
    """The record class an item-type entry names (``ItemType.record``)."""
    record_type = getattr(_records, name, None) or getattr(_telemetry, name, None) or getattr(_replays, name)
    assert isinstance(record_type, type)
    return record_type
