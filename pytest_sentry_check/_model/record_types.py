"""The record class of each item-type entry, by the name the registry gives it."""

from __future__ import annotations

from . import records, telemetry

__all__ = ["record_class"]


def record_class(name: str) -> type:
    """The record class an item-type entry names (``ItemType.record``)."""
    record_type = getattr(records, name, None) or getattr(telemetry, name)
    assert isinstance(record_type, type)
    return record_type
