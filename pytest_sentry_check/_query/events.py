"""``SentryEvents``: what a test captured, as live collections per item type."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sentry_sdk
from sentry_sdk.envelope import Envelope

from pytest_sentry_check._capture.dropped import Dropped, SdkError
from pytest_sentry_check._capture.store import Capture, ReceivedEnvelope
from pytest_sentry_check._capture.transport import CaptureTransport, flush_pending
from pytest_sentry_check._masking import shorten
from pytest_sentry_check._model.item_types import ItemType, item_type, item_type_of_class, records_item_types
from pytest_sentry_check._model.items import ScanItem, items_of
from pytest_sentry_check._model.record_types import record_class
from pytest_sentry_check._model.records import Event, Transaction
from pytest_sentry_check._model.replays import Replay
from pytest_sentry_check._model.telemetry import (
    Attachment,
    CheckIn,
    Feedback,
    LogRecord,
    Metric,
    Profile,
    Session,
    Span,
)

from .collections import Records, count_of
from .spans import standalone_span_hints, transaction_span_hints

__all__ = ["SentryEvents", "unmatched_events"]


_SUMMARIZED = [
    record_class(entry.record) for entry in records_item_types() if entry.summarized and entry.record
]


class _Index:
    """Records parsed from a capture's envelopes, extended as new envelopes arrive."""

    def __init__(self, capture: Capture) -> None:
        self.generation = -1
        self.consumed = 0
        self.lists: dict[type, list[Any]] = {}
        self.reported_dropped: list[Dropped] = []
        self.matched: set[int] = set()  # ids of the events a query handed back (strict mode)
        capture_ref = weakref.ref(capture)  # the index is the capture's: no reference back
        self.standalone_spans = standalone_span_hints(lambda: _span_records(capture_ref()))

    def reset(self, generation: int) -> None:
        self.generation = generation
        self.consumed = 0
        self.lists = {record_class(entry.record): [] for entry in records_item_types() if entry.record}
        self.reported_dropped = []
        self.matched = set()

    def add(self, received: ReceivedEnvelope) -> None:
        for item in received.envelope.items:
            entry = item_type(str(item.type))
            if entry is None:
                continue  # a type the plugin does not know: in .envelopes only
            data = item.payload.json
            if entry.reports_drops and isinstance(data, dict):
                self._add_client_report(data)
            elif entry.record is None:
                continue
            elif not entry.json:
                event_id = received.envelope.headers.get("event_id")
                record_type = record_class(entry.record)
                self.lists[record_type].append(record_type(item.headers, item.payload.get_bytes(), event_id))
            elif isinstance(data, dict):
                record_type = record_class(entry.record)
                records = self.lists[record_type]
                if entry.parts:
                    parts = [
                        (str(part.type), part.headers, part.payload.get_bytes())
                        for part in received.envelope.items
                        if str(part.type) in entry.parts
                    ]
                    _add_merged(records, record_type.from_parts(data, parts), entry.merge_key)
                elif record_type is Transaction:
                    records.append(Transaction(data, span_hints=self.standalone_spans))
                elif record_type is Span:  # a span's children are looked for in all of them
                    batch = data.get("items")
                    records.extend(
                        Span(record, siblings=records)
                        for record in (batch if isinstance(batch, list) else [data])
                        if isinstance(record, dict)
                    )
                elif entry.batched:
                    batch = data.get("items")
                    records.extend(
                        record_type(record)
                        for record in (batch if isinstance(batch, list) else [data])
                        if isinstance(record, dict)
                    )
                else:
                    records.append(record_type(data))
            # anything else (JSON that is not an object) stays in .envelopes only

    def _add_client_report(self, data: dict[str, Any]) -> None:
        for entry in data.get("discarded_events") or ():
            if isinstance(entry, dict):
                self.reported_dropped.append(
                    Dropped(
                        str(entry.get("reason")), str(entry.get("category")), _quantity(entry.get("quantity"))
                    )
                )


def _add_merged(records: list[Any], record: Any, key: str) -> None:
    """Append ``record``, or join it to the record with the same ``key`` value (replaced by the
    joined one: records stay immutable)."""
    value = record.get(key) if key else None
    if value is not None:
        for index, old in enumerate(records):
            if old.get(key) == value:
                records[index] = old.merged(record)
                return
    records.append(record)


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _span_records(capture: Capture | None) -> list[Span]:
    if capture is None:
        return []
    _flush_client()
    return list(_index(capture).lists[Span])


_indexes: weakref.WeakKeyDictionary[Capture, _Index] = weakref.WeakKeyDictionary()


def _index(capture: Capture) -> _Index:
    with capture.changed:
        index = _indexes.get(capture)
        if index is None:
            index = _indexes[capture] = _Index(capture)
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
        super().__init__(
            self._records(Event), Event, expression, capture, self._describe_context, on_match=self._mark
        )

    def _mark(self, events: list[Event]) -> None:
        index = _index(self._capture_ref)
        index.matched.update(id(event) for event in events)

    def _records(self, record_type: type, flush: bool = False) -> Callable[[], list[Any]]:
        def load() -> list[Any]:
            if flush:
                _flush_client()
            return list(_index(self._capture_ref).lists[record_type])

        return load

    def _collection(self, entry: ItemType) -> Records[Any]:
        assert entry.record is not None
        record_type = record_class(entry.record)
        hints = None
        if record_type is Span:
            hints = transaction_span_hints(self._records(Transaction))
        return Records(
            self._records(record_type, entry.buffered),
            record_type,
            f"{self._expression}.{entry.collection}",
            self._capture_ref,
            self._describe_context,
            hints=hints,
        )

    if TYPE_CHECKING:  # made from the item-type registry below; declared for type checkers
        transactions: Records[Transaction]
        logs: Records[LogRecord]
        spans: Records[Span]
        metrics: Records[Metric]
        check_ins: Records[CheckIn]
        attachments: Records[Attachment]
        sessions: Records[Session]
        profiles: Records[Profile]
        replays: Records[Replay]
        feedback: Records[Feedback]

    def envelope_items(self) -> Iterator[ScanItem]:
        """Every item of every envelope, for ``scan``, ``assert_scrubbed`` and ``validate``."""
        for raw in self.raw_envelopes:
            yield from items_of(raw)

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
            count_of(len(index.lists[record]), record)
            for record in _SUMMARIZED
            if record is not queried and index.lists[record]
        ]
        if others:
            lines.append(f"Also captured: {', '.join(others)}.")
        if queried is Transaction and not index.lists[Transaction]:
            from .framework_hints import no_transaction_hints

            lines.extend(no_transaction_hints(index.lists[Event]))
        with self._capture_ref.changed:
            dropped = list(self._capture_ref.dropped)
            errors = list(self._capture_ref.sdk_errors)
        entry = item_type_of_class(queried)
        categories = entry.drop_categories if entry is not None else ()
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


def unmatched_events(capture: Capture) -> list[Event]:
    """The error and message events no query handed back (strict mode), oldest first."""
    index = _index(capture)
    return [event for event in index.lists[Event] if id(event) not in index.matched]


class _Collection:
    """A ``sentry_events`` attribute: the live collection of one item type's records."""

    def __init__(self, entry: ItemType):
        self.entry = entry
        self.__doc__ = entry.doc

    def __get__(self, events: SentryEvents | None, owner: type) -> Any:
        return self if events is None else events._collection(self.entry)


for _entry in records_item_types():
    if _entry.collection:
        setattr(SentryEvents, _entry.collection, _Collection(_entry))
