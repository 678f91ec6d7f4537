"""The query interface of the collections inside a record: a transaction's spans, a span's
children, an event's feature flags.

Factored out so that records need not import the query stage: records live here, in
``_model``; ``Records``, the class that queries them, lives in ``_query``, a higher stage. The
query stage registers the factory of those collections when it is imported, which is before any
record reaches a user (``sentry_events`` and ``capture()`` are query objects, and the package's
public record classes import it too). Until then a record's inner collection is a plain list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar, cast, overload

from .items import ScanItem

__all__ = ["Hints", "RecordQueries", "query_collection", "register_collection_factory"]

R = TypeVar("R")

#: Extra lines for a query's miss message, given the query's criteria.
Hints = Callable[[Mapping[str, Any]], list[str]]


class RecordQueries(Protocol[R]):
    """A read-only sequence of records with the queries of ``sentry_events``' collections
    (``Records`` has them all; this is its shape, for the records' type annotations)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[R]: ...
    def __contains__(self, value: object) -> bool: ...
    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> list[R]: ...
    def filter(self, **criteria: Any) -> RecordQueries[R]: ...
    def one(self, **criteria: Any) -> R: ...
    def first(self, **criteria: Any) -> R: ...
    def assert_none(self, *, within: float = 0.0, **criteria: Any) -> None: ...
    def wait_for(self, count: int = 1, timeout: float = 5.0, **criteria: Any) -> RecordQueries[R]: ...
    def snapshot(self, *, keep: Iterable[str] = (), drop: Iterable[str] = ()) -> list[dict[str, Any]]: ...
    def envelope_items(self) -> Iterator[ScanItem]: ...


#: (records, record type, expression shown in messages, hints) -> the collection
Factory = Callable[[list[Any], type, str, "Hints | None"], RecordQueries[Any]]

_factories: list[Factory] = []


def register_collection_factory(factory: Factory) -> None:
    """Called once by the query stage: how inner collections are made from now on."""
    _factories[:] = [factory]


def query_collection(
    records: list[R], record_type: type, expression: str, hints: Hints | None = None
) -> RecordQueries[R]:
    """A fixed, queryable collection of ``records`` (a plain list before the query stage is
    imported)."""
    if _factories:
        return cast("RecordQueries[R]", _factories[0](records, record_type, expression, hints))
    return cast("RecordQueries[R]", records)
