"""The records inside a record: a transaction's spans and an event's feature flags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pytest_sentry_check._masking import shorten

from .item_types import EVENT, TRANSACTION
from .items import ScanItem
from .payload import Payload, dict_or_empty
from .queryable import RecordQueries, query_collection

__all__ = ["FeatureFlag", "TransactionSpan"]


class TransactionSpan(Payload):
    """One span of a transaction (an entry of its ``spans``): a read-only mapping, with
    properties and its :attr:`children`."""

    __slots__ = ("_siblings",)
    __noun__ = ("span", "spans")

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "op": ("exact", "op"),
        "name": ("exact", "name"),
        "description": ("text", "name", "description"),
        "status": ("exact", "status"),
        "origin": ("exact", "origin"),
        "data": ("subset", "data"),
        "attributes": ("subset", "data", "attributes"),
        "tags": ("subset_text", "tags"),
        "span_id": ("exact", "span_id"),
        "parent_span_id": ("exact", "parent_span_id"),
    }

    def __init__(self, data: Mapping[str, Any]):
        super().__init__(data)
        self._siblings: list[TransactionSpan] = [self]

    @property
    def op(self) -> str | None:
        return self._data.get("op")

    @property
    def name(self) -> str | None:
        """The span's description (``description``; ``name`` in span streaming)."""
        return self._data.get("description") or self._data.get("name")

    @property
    def status(self) -> str | None:
        return self._data.get("status")

    @property
    def origin(self) -> str | None:
        return self._data.get("origin")

    @property
    def data(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("data"))

    @property
    def tags(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("tags"))

    @property
    def span_id(self) -> str | None:
        return self._data.get("span_id")

    @property
    def parent_span_id(self) -> str | None:
        return self._data.get("parent_span_id")

    @property
    def children(self) -> RecordQueries[TransactionSpan]:
        """The spans of the same transaction whose parent is this one, queryable."""
        children = [s for s in self._siblings if self.span_id and s.parent_span_id == self.span_id]
        return query_collection(children, TransactionSpan, f"TransactionSpan({self.name!r}).children")

    def envelope_items(self) -> list[ScanItem]:
        """This span as a transaction's item would carry it, for ``scan``."""
        return [ScanItem(TRANSACTION.name, {"spans": [dict(self._data)]})]

    def summary(self) -> str:
        return f"span {shorten(self.name or '', 50)!r} (op={self.op}; status={self.status})"


class FeatureFlag(Payload):
    """A feature flag the application evaluated before an event: ``flag`` and ``result``."""

    __slots__ = ()
    __noun__ = ("feature flag", "feature flags")

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "flag": ("exact", "flag"),
        "result": ("exact", "result"),
    }

    @property
    def flag(self) -> str | None:
        return self._data.get("flag")

    @property
    def result(self) -> Any:
        return self._data.get("result")

    def envelope_items(self) -> list[ScanItem]:
        """This flag as an event's item would carry it, for ``scan``."""
        return [ScanItem(EVENT.name, {"contexts": {"flags": {"values": [dict(self._data)]}}})]

    def summary(self) -> str:
        return f"flag {shorten(self.flag or '', 50)!r} = {shorten(self.result, 20)}"
