"""Live, read-only collections of captured records, and the messages when a query misses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

from pytest_sentry_check._capture.dropped import Dropped
from pytest_sentry_check._capture.store import Capture
from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._model.item_types import item_type_of_class
from pytest_sentry_check._model.items import ScanItem, items_of
from pytest_sentry_check._model.queryable import Hints, RecordQueries, register_collection_factory

from .criteria import MODIFIERS, check_record, criteria_for, describe_criteria

__all__ = ["Records", "count_of", "nouns"]

R = TypeVar("R")

_MAX_LISTED = 10
_DOCS = doc_url("querying.md", "when-a-query-fails")

_DROPPED_NOUN = ("dropped record", "dropped records")


def nouns(record_type: type) -> tuple[str, str]:
    """Singular and plural of a record type, for messages."""
    noun = getattr(record_type, "__noun__", None)
    if noun is not None:
        return (str(noun[0]), str(noun[1]))
    entry = item_type_of_class(record_type)
    return entry.noun if entry is not None else _DROPPED_NOUN


def count_of(n: int, record_type: type) -> str:
    singular, plural = nouns(record_type)
    return f"{n} {singular if n == 1 else plural}"


def _summary(record: Any) -> str:
    if isinstance(record, Dropped):
        return f"{record.quantity} {record.category} dropped (reason {record.reason})"
    return str(record.summary())


class Records(Sequence[R], Generic[R]):
    """An ordered, read-only collection of captured records that can be queried.

    The collections of :class:`SentryEvents` are live: they show what has arrived so far
    each time they are read. ``filter()`` returns a fixed snapshot, and so are the
    collections inside a record (``tx.spans``, ``span.children``, ``event.flags``).
    """

    def __init__(
        self,
        load: Callable[[], list[R]],
        record_type: type,
        expression: str,
        capture: Capture | None = None,
        context: Callable[[type], list[str]] | None = None,
        *,
        hints: Hints | None = None,
        on_match: Callable[[list[R]], None] | None = None,
    ):
        self._load = load
        self._type = record_type
        self._expression = expression
        self._capture = capture
        self._context = context
        self._hints = hints
        self._on_match = on_match

    def _matched(self, records: list[R]) -> list[R]:
        """Records a query hands back (strict mode: they count as expected)."""
        if self._on_match is not None:
            self._on_match(records)
        return records

    def _fixed(self, records: list[R], expression: str, criteria: Mapping[str, Any]) -> Records[R]:
        hints, outer = None, self._hints
        if outer is not None:  # a later query's hints read the records this one kept

            def hints(more: Mapping[str, Any]) -> list[str]:
                return outer({**criteria, **more})

        return Records(
            lambda: list(records),
            self._type,
            expression,
            None,
            self._context,
            hints=hints,
            on_match=self._on_match,
        )

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> list[R]: ...
    def __getitem__(self, index: int | slice) -> R | list[R]:
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self) -> Iterator[R]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Records, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        records = self._load()
        return f"<{self._expression}: {count_of(len(records), self._type)}>"

    def envelope_items(self) -> Iterator[ScanItem]:
        """The items of these records, for ``scan``, ``assert_scrubbed`` and ``validate``."""
        for record in self._load():
            yield from items_of(record)

    # -- queries -------------------------------------------------------------------------

    def _validate(self, method: str, criteria: Mapping[str, Any]) -> None:
        __tracebackhide__ = True
        checks = criteria_for(self._type)
        unknown = [name for name in criteria if name not in checks and name not in MODIFIERS]
        if unknown:
            raise TypeError(
                f"{self._expression}.{method}() got an unknown criterion "
                f"{', '.join(map(repr, unknown))}; {nouns(self._type)[1]} can be matched on: "
                f"{', '.join(sorted(checks))}"
            )

    def _split(self, criteria: Mapping[str, Any]) -> tuple[list[R], list[tuple[R, list[str]]]]:
        checks = criteria_for(self._type)
        matching: list[R] = []
        others: list[tuple[R, list[str]]] = []
        for record in self._load():
            failures = check_record(record, checks, criteria)
            if failures:
                others.append((record, failures))
            else:
                matching.append(record)
        return matching, others

    def snapshot(self, *, keep: Iterable[str] = (), drop: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Every record normalized for snapshot tests (see ``Payload.snapshot``); placeholders
        are numbered across the collection, so shared ids stay shared."""
        from pytest_sentry_check._model.snapshot import snapshot

        seen: dict[tuple[str, str], int] = {}
        return [snapshot(dict(record), keep=keep, drop=drop, seen=seen) for record in self]  # type: ignore[call-overload]

    def filter(self, **criteria: Any) -> Records[R]:
        """The records matching every criterion, as a fixed collection."""
        __tracebackhide__ = True
        self._validate("filter", criteria)
        matching, _ = self._split(criteria)
        return self._fixed(
            self._matched(matching), f"{self._expression}.filter({describe_criteria(criteria)})", criteria
        )

    def one(self, **criteria: Any) -> R:
        """The only record matching every criterion; ``AssertionError`` if none or several do."""
        __tracebackhide__ = True
        self._validate("one", criteria)
        matching, others = self._split(criteria)
        if len(matching) == 1:
            return self._matched(matching)[0]
        call = f"{self._expression}.one({describe_criteria(criteria)})"
        if matching:
            raise AssertionError(
                self._report(
                    f"{call}: expected exactly one {nouns(self._type)[0]}, {len(matching)} match:",
                    [(record, []) for record in matching],
                    ["Add criteria that tell them apart, or use .filter(...) to check them all."],
                )
            )
        raise AssertionError(self._miss(call, others, criteria))

    def first(self, **criteria: Any) -> R:
        """The first record matching every criterion; ``AssertionError`` if none does."""
        __tracebackhide__ = True
        self._validate("first", criteria)
        matching, others = self._split(criteria)
        if matching:
            return self._matched(matching)[0]
        raise AssertionError(
            self._miss(f"{self._expression}.first({describe_criteria(criteria)})", others, criteria)
        )

    def assert_none(self, *, within: float = 0.0, **criteria: Any) -> None:
        """``AssertionError`` listing the records that match every criterion, if any do.

        With ``within=seconds`` (on a live collection), keeps watching what arrives for that
        long and fails as soon as a match does: for what a thread or a task might still send.
        """
        __tracebackhide__ = True
        self._validate("assert_none", criteria)
        if within < 0:
            raise ValueError(f"{self._expression}.assert_none(within=...) takes seconds >= 0, not {within}")
        if within and self._capture is not None:
            self._capture.wait(lambda: bool(self._split(criteria)[0]), within)
        matching, _ = self._split(criteria)
        if matching:
            noun = nouns(self._type)
            arguments = ", ".join(
                filter(None, [describe_criteria(criteria), f"within={within:g}" if within else ""])
            )
            raise AssertionError(
                self._report(
                    f"{self._expression}.assert_none({arguments}): expected no "
                    f"{noun[0]} to match, {len(matching)} "
                    f"{'does' if len(matching) == 1 else 'do'}:",
                    [(record, []) for record in matching],
                    [],
                )
            )

    def wait_for(self, count: int = 1, timeout: float = 5.0, **criteria: Any) -> Records[R]:
        """Wait until ``count`` records match (for events sent from threads or tasks).

        Returns the matching records; ``AssertionError`` after ``timeout`` seconds. A fixed
        collection (``filter()``'s, ``tx.spans``) cannot grow: it answers at once.
        """
        __tracebackhide__ = True
        self._validate("wait_for", criteria)
        if self._capture is not None:
            self._capture.wait(lambda: len(self._split(criteria)[0]) >= count, timeout)
        matching, others = self._split(criteria)
        if len(matching) >= count:
            return self._fixed(
                self._matched(matching),
                f"{self._expression}.wait_for({describe_criteria(criteria)})",
                criteria,
            )
        arguments = ", ".join(
            filter(None, [f"count={count}, timeout={timeout}", describe_criteria(criteria)])
        )
        noun = nouns(self._type)[1]
        within = (
            f"arrived within {timeout:g} s"
            if self._capture is not None
            else "(a fixed collection: nothing more arrives)"
        )
        head = (
            f"{self._expression}.wait_for({arguments}): {len(matching)} of {count} matching {noun} {within}"
        )
        candidates: list[tuple[R, list[str]]] = [(record, []) for record in matching] + others
        if not candidates:
            raise AssertionError(
                "\n".join([f"{head}; nothing else was captured.", *self._context_lines(criteria)])
            )
        raise AssertionError(
            self._report(
                f"{head}; amongst {count_of(len(candidates), self._type)}:", candidates, [], criteria
            )
        )

    # -- messages ------------------------------------------------------------------------

    def _context_lines(self, criteria: Mapping[str, Any] | None = None) -> list[str]:
        """What explains a miss: the hints for these criteria first (where the records are),
        then what else the test captured, dropped or swallowed."""
        lines = self._context(self._type) if self._context is not None else []
        if self._hints is not None and criteria is not None:
            lines = [*self._hints(criteria), *lines]
        return lines

    def _miss(self, call: str, others: list[tuple[R, list[str]]], criteria: Mapping[str, Any]) -> str:
        noun = nouns(self._type)
        if not others:
            lines = [f"{call}: no {noun[0]} was captured.", *self._context_lines(criteria)]
            return "\n".join(lines)
        return self._report(
            f"{call}: no {noun[0]} matches, amongst {count_of(len(others), self._type)} captured:",
            others,
            [f"See {_DOCS} for every criterion and how each one matches."],
            criteria,
        )

    def _report(
        self,
        head: str,
        rows: list[tuple[R, list[str]]],
        tail: list[str],
        criteria: Mapping[str, Any] | None = None,
    ) -> str:
        lines = [head]
        for number, (record, failures) in enumerate(rows[:_MAX_LISTED], start=1):
            lines.append(f"  {number}. {_summary(record)}")
            lines.extend(f"     - {failure}" for failure in failures)
        if len(rows) > _MAX_LISTED:
            lines.append(f"  ... and {len(rows) - _MAX_LISTED} more")
        lines.extend(self._context_lines(criteria))
        lines.extend(tail)
        return "\n".join(lines)


def _inner_collection(
    records: list[Any], record_type: type, expression: str, hints: Hints | None
) -> RecordQueries[Any]:
    """The collections inside a record (``tx.spans``, ``span.children``, ``event.flags``)."""
    return Records(lambda: list(records), record_type, expression, hints=hints)


register_collection_factory(_inner_collection)
