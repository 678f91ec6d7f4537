"""Live, read-only collections of captured records, and the messages when a query misses."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, overload

import sentry_sdk
from sentry_sdk.envelope import Envelope

from ._capture import CaptureTransport, flush_pending
from ._criteria import MODIFIERS, check_record, criteria_for, describe_criteria
from ._dropped import Dropped, SdkError
from ._masking import shorten
from ._records import (
    Attachment,
    CheckIn,
    Event,
    LogRecord,
    Metric,
    Profile,
    Session,
    Span,
    Transaction,
)
from ._store import Capture, ReceivedEnvelope

__all__ = ["Records", "SentryEvents"]

R = TypeVar("R")

_MAX_LISTED = 10
_DOCS = "docs/querying.md#when-a-query-fails"

#: The client-report categories that explain a missing record of each type.
_DROP_CATEGORIES: dict[type, tuple[str, ...]] = {
    Event: ("error", "default"),
    Transaction: ("transaction",),
    LogRecord: ("log_item",),
    Metric: ("trace_metric",),
    Span: ("span",),
    CheckIn: ("monitor",),
    Session: ("session",),
    Profile: ("profile", "profile_chunk"),
    Attachment: ("attachment",),
}

_NOUNS: dict[type, tuple[str, str]] = {
    Event: ("event", "events"),
    Transaction: ("transaction", "transactions"),
    LogRecord: ("log", "logs"),
    Metric: ("metric", "metrics"),
    Span: ("span", "spans"),
    CheckIn: ("check-in", "check-ins"),
    Session: ("session", "sessions"),
    Profile: ("profile", "profiles"),
    Attachment: ("attachment", "attachments"),
    Dropped: ("dropped record", "dropped records"),
}


def _count(n: int, record_type: type) -> str:
    singular, plural = _NOUNS[record_type]
    return f"{n} {singular if n == 1 else plural}"


def _summary(record: Any) -> str:
    if isinstance(record, Dropped):
        return f"{record.quantity} {record.category} dropped (reason {record.reason})"
    return str(record.summary())


class Records(Sequence[R], Generic[R]):
    """An ordered, read-only collection of captured records that can be queried.

    The collections of :class:`SentryEvents` are live: they show what has arrived so far
    each time they are read. ``filter()`` returns a fixed snapshot.
    """

    def __init__(
        self,
        load: Callable[[], list[R]],
        record_type: type,
        expression: str,
        capture: Capture | None = None,
        context: Callable[[type], list[str]] | None = None,
    ):
        self._load = load
        self._type = record_type
        self._expression = expression
        self._capture = capture
        self._context = context

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
        return f"<{self._expression}: {_count(len(records), self._type)}>"

    # -- queries -------------------------------------------------------------------------

    def _validate(self, method: str, criteria: Mapping[str, Any]) -> None:
        __tracebackhide__ = True
        checks = criteria_for(self._type)
        unknown = [name for name in criteria if name not in checks and name not in MODIFIERS]
        if unknown:
            raise TypeError(
                f"{self._expression}.{method}() got an unknown criterion "
                f"{', '.join(map(repr, unknown))}; {_NOUNS[self._type][1]} can be matched on: "
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
        from ._snapshot import snapshot

        seen: dict[tuple[str, str], int] = {}
        return [snapshot(dict(record), keep=keep, drop=drop, seen=seen) for record in self]  # type: ignore[call-overload]

    def filter(self, **criteria: Any) -> Records[R]:
        """The records matching every criterion, as a fixed collection."""
        __tracebackhide__ = True
        self._validate("filter", criteria)
        matching, _ = self._split(criteria)
        return Records(
            lambda: list(matching),
            self._type,
            f"{self._expression}.filter({describe_criteria(criteria)})",
            None,
            self._context,
        )

    def one(self, **criteria: Any) -> R:
        """The only record matching every criterion; ``AssertionError`` if none or several do."""
        __tracebackhide__ = True
        self._validate("one", criteria)
        matching, others = self._split(criteria)
        if len(matching) == 1:
            return matching[0]
        call = f"{self._expression}.one({describe_criteria(criteria)})"
        if matching:
            raise AssertionError(
                self._report(
                    f"{call}: expected exactly one {_NOUNS[self._type][0]}, {len(matching)} match:",
                    [(record, []) for record in matching],
                    ["Add criteria that tell them apart, or use .filter(...) to check them all."],
                )
            )
        raise AssertionError(self._miss(call, others))

    def first(self, **criteria: Any) -> R:
        """The first record matching every criterion; ``AssertionError`` if none does."""
        __tracebackhide__ = True
        self._validate("first", criteria)
        matching, others = self._split(criteria)
        if matching:
            return matching[0]
        raise AssertionError(self._miss(f"{self._expression}.first({describe_criteria(criteria)})", others))

    def assert_none(self, **criteria: Any) -> None:
        """``AssertionError`` listing the records that match every criterion, if any do."""
        __tracebackhide__ = True
        self._validate("assert_none", criteria)
        matching, _ = self._split(criteria)
        if matching:
            noun = _NOUNS[self._type]
            raise AssertionError(
                self._report(
                    f"{self._expression}.assert_none({describe_criteria(criteria)}): expected no "
                    f"{noun[0]} to match, {len(matching)} "
                    f"{'does' if len(matching) == 1 else 'do'}:",
                    [(record, []) for record in matching],
                    [],
                )
            )

    def wait_for(self, count: int = 1, timeout: float = 5.0, **criteria: Any) -> Records[R]:
        """Wait until ``count`` records match (for events sent from threads or tasks).

        Returns the matching records; ``AssertionError`` after ``timeout`` seconds.
        """
        __tracebackhide__ = True
        self._validate("wait_for", criteria)
        if self._capture is None:
            raise TypeError(f"{self._expression} is a fixed snapshot; call wait_for on a live collection")
        self._capture.wait(lambda: len(self._split(criteria)[0]) >= count, timeout)
        matching, others = self._split(criteria)
        if len(matching) >= count:
            return Records(
                lambda: list(matching),
                self._type,
                f"{self._expression}.wait_for({describe_criteria(criteria)})",
                None,
                self._context,
            )
        arguments = ", ".join(
            filter(None, [f"count={count}, timeout={timeout}", describe_criteria(criteria)])
        )
        noun = _NOUNS[self._type][1]
        head = (
            f"{self._expression}.wait_for({arguments}): {len(matching)} of {count} matching {noun} "
            f"arrived within {timeout:g} s"
        )
        candidates: list[tuple[R, list[str]]] = [(record, []) for record in matching] + others
        if not candidates:
            raise AssertionError("\n".join([f"{head}; nothing else was captured.", *self._context_lines()]))
        raise AssertionError(
            self._report(f"{head}; amongst {_count(len(candidates), self._type)}:", candidates, [])
        )

    # -- messages ------------------------------------------------------------------------

    def _context_lines(self) -> list[str]:
        return self._context(self._type) if self._context is not None else []

    def _miss(self, call: str, others: list[tuple[R, list[str]]]) -> str:
        noun = _NOUNS[self._type]
        if not others:
            lines = [f"{call}: no {noun[0]} was captured.", *self._context_lines()]
            return "\n".join(lines)
        return self._report(
            f"{call}: no {noun[0]} matches, amongst {_count(len(others), self._type)} captured:",
            others,
            [f"See {_DOCS} for every criterion and how each one matches."],
        )

    def _report(self, head: str, rows: list[tuple[R, list[str]]], tail: list[str]) -> str:
        lines = [head]
        for number, (record, failures) in enumerate(rows[:_MAX_LISTED], start=1):
            lines.append(f"  {number}. {_summary(record)}")
            lines.extend(f"     - {failure}" for failure in failures)
        if len(rows) > _MAX_LISTED:
            lines.append(f"  ... and {len(rows) - _MAX_LISTED} more")
        lines.extend(self._context_lines())
        lines.extend(tail)
        return "\n".join(lines)


class _Index:
    """Records parsed from a capture's envelopes, extended as new envelopes arrive."""

    def __init__(self) -> None:
        self.generation = -1
        self.consumed = 0
        self.lists: dict[type, list[Any]] = {}
        self.reported_dropped: list[Dropped] = []

    def reset(self, generation: int) -> None:
        self.generation = generation
        self.consumed = 0
        self.lists = {record_type: [] for record_type in _NOUNS}
        self.reported_dropped = []

    def add(self, received: ReceivedEnvelope) -> None:
        for item in received.envelope.items:
            kind = str(item.type)
            if kind == "attachment":
                event_id = received.envelope.headers.get("event_id")
                self.lists[Attachment].append(Attachment(item.headers, item.payload.get_bytes(), event_id))
            elif isinstance(item.payload.json, dict):
                self._add_json_item(kind, item.payload.json)
            # anything else (not JSON, or JSON that is not an object) stays in .envelopes only

    def _add_json_item(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "event":
            self.lists[Event].append(Event(data))
            return
        if kind == "transaction":
            self.lists[Transaction].append(Transaction(data))
            return
        items = data.get("items")
        batch: list[Any] = items if isinstance(items, list) else [data]
        if kind in ("session", "sessions"):
            self.lists[Session].append(Session(data))
        elif kind == "check_in":
            self.lists[CheckIn].append(CheckIn(data))
        elif kind == "log":
            self.lists[LogRecord].extend(LogRecord(entry) for entry in batch if isinstance(entry, dict))
        elif kind == "trace_metric":
            self.lists[Metric].extend(Metric(entry) for entry in batch if isinstance(entry, dict))
        elif kind == "span":
            self.lists[Span].extend(Span(entry) for entry in batch if isinstance(entry, dict))
        elif kind in ("profile", "profile_chunk"):
            self.lists[Profile].append(Profile(data))
        elif kind == "client_report":
            for entry in data.get("discarded_events") or ():
                if isinstance(entry, dict):
                    self.reported_dropped.append(
                        Dropped(
                            str(entry.get("reason")),
                            str(entry.get("category")),
                            _quantity(entry.get("quantity")),
                        )
                    )


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


_indexes: weakref.WeakKeyDictionary[Capture, _Index] = weakref.WeakKeyDictionary()


def _index(capture: Capture) -> _Index:
    with capture.changed:
        index = _indexes.get(capture)
        if index is None:
            index = _indexes[capture] = _Index()
        if index.generation != capture.generation:
            index.reset(capture.generation)
        for received in capture.envelopes[index.consumed :]:
            index.add(received)
        index.consumed = len(capture.envelopes)
        return index


def _flush_client() -> None:
    flush_pending(sentry_sdk.get_client())


class SentryEvents(Records[Event]):
    """What the application sent to Sentry during a test: the ``sentry_events`` fixture.

    It is the sequence of captured error and message events, oldest first; the other kinds
    of item are in the attributes. Buffered kinds (logs, metrics, spans, sessions) are
    flushed from the SDK before they are read.
    """

    def __init__(self, capture: Capture, expression: str = "sentry_events"):
        self._capture_ref = capture
        super().__init__(self._records(Event), Event, expression, capture, self._describe_context)

    def _records(self, record_type: type, flush: bool = False) -> Callable[[], list[Any]]:
        def load() -> list[Any]:
            if flush:
                _flush_client()
            return list(_index(self._capture_ref).lists[record_type])

        return load

    def _collection(self, record_type: type, name: str, flush: bool = False) -> Records[Any]:
        return Records(
            self._records(record_type, flush),
            record_type,
            f"{self._expression}.{name}",
            self._capture_ref,
            self._describe_context,
        )

    @property
    def transactions(self) -> Records[Transaction]:
        """Transactions, each with its ``spans``."""
        return self._collection(Transaction, "transactions")

    @property
    def attachments(self) -> Records[Attachment]:
        return self._collection(Attachment, "attachments")

    @property
    def sessions(self) -> Records[Session]:
        return self._collection(Session, "sessions", flush=True)

    @property
    def check_ins(self) -> Records[CheckIn]:
        return self._collection(CheckIn, "check_ins")

    @property
    def logs(self) -> Records[LogRecord]:
        return self._collection(LogRecord, "logs", flush=True)

    @property
    def spans(self) -> Records[Span]:
        """Standalone (streamed) spans; a transaction's spans are in ``transactions``."""
        return self._collection(Span, "spans", flush=True)

    @property
    def metrics(self) -> Records[Metric]:
        return self._collection(Metric, "metrics", flush=True)

    @property
    def profiles(self) -> Records[Profile]:
        return self._collection(Profile, "profiles", flush=True)

    @property
    def dropped(self) -> Records[Dropped]:
        """What the SDK decided not to send (client-report records: reason, category, quantity)."""

        def load() -> list[Dropped]:
            _flush_client()
            with self._capture_ref.changed:
                recorded = list(self._capture_ref.dropped)
            return recorded + _index(self._capture_ref).reported_dropped

        return Records(load, Dropped, f"{self._expression}.dropped", self._capture_ref, None)

    @property
    def envelopes(self) -> list[Envelope]:
        """Every envelope, parsed back from the bytes the SDK produced (sentry-sdk objects)."""
        _flush_client()
        with self._capture_ref.changed:
            return [received.envelope for received in self._capture_ref.envelopes]

    @property
    def raw_envelopes(self) -> list[bytes]:
        """Every envelope as the serialized bytes Sentry would receive."""
        _flush_client()
        with self._capture_ref.changed:
            return [received.raw for received in self._capture_ref.envelopes]

    @property
    def sdk_errors(self) -> list[SdkError]:
        """Exceptions the SDK swallowed (raised by the app's callbacks, or by serialization)."""
        with self._capture_ref.changed:
            return list(self._capture_ref.sdk_errors)

    @property
    def client_options(self) -> Mapping[str, Any]:
        """The options of the active client as the application resolved them.

        These are ``sentry_sdk.init``'s options before the test's overrides, with the SDK's
        defaults filled in, so configuration code can be tested.
        """
        __tracebackhide__ = True
        client = sentry_sdk.get_client()
        transport = getattr(client, "transport", None)
        if not client.is_active():
            raise AssertionError(
                "sentry_events.client_options: no Sentry client is active; the application has "
                "not called sentry_sdk.init (use the sentry_init fixture if it never does)."
            )
        if not isinstance(transport, CaptureTransport):
            raise AssertionError(
                "sentry_events.client_options: the active Sentry client was not created under "
                "pytest-sentry-check; is the plugin disabled (-p no:sentry_check)?"
            )
        return transport.app_options

    def clear(self) -> None:
        """Forget everything captured so far in this test."""
        _flush_client()
        self._capture_ref.clear()

    def flush(self) -> None:
        """Make the SDK send what it buffers (logs, metrics, spans, sessions) now."""
        _flush_client()

    def _describe_context(self, queried: type) -> list[str]:
        index = _index(self._capture_ref)
        lines = []
        others = [
            _count(len(index.lists[record_type]), record_type)
            for record_type in (Event, Transaction, LogRecord, Span, Metric, CheckIn, Attachment)
            if index.lists[record_type] and record_type is not queried
        ]
        if others:
            lines.append(f"Also captured: {', '.join(others)}.")
        with self._capture_ref.changed:
            dropped = list(self._capture_ref.dropped)
            errors = list(self._capture_ref.sdk_errors)
        categories = _DROP_CATEGORIES.get(queried, ())
        dropped = [d for d in dropped if d.category in categories]
        if dropped:
            counts: dict[tuple[str, str], int] = {}
            for record in dropped:
                counts[record.category, record.reason] = (
                    counts.get((record.category, record.reason), 0) + record.quantity
                )
            shown = ", ".join(f"{n} {category} ({reason})" for (category, reason), n in counts.items())
            lines.append(f"Dropped by the SDK: {shown}.")
        for error in errors[:3]:
            lines.append(
                f"The SDK swallowed an exception from {error.source}: "
                f"{error.exception_type}: {shorten(str(error.exception), 80)}"
            )
        client = sentry_sdk.get_client()
        if client.is_active() and not client.options.get("dsn"):
            lines.append(
                "The active client has no DSN: in production it sends nothing; the plugin captures "
                "anyway so the integration can be tested."
            )
        if not client.is_active():
            lines.append(
                "No Sentry client is active: the application has not called sentry_sdk.init "
                "(use the sentry_init fixture if it never does)."
            )
        return lines
