"""The envelope item types: each declared once, here.

Everything that depends on an item's type derives from its :class:`ItemType` entry: which
record class reads it and which ``sentry_events`` collection holds those records (the query
stage), the nouns of messages, which client-report categories explain a missing record, which
items Relay's event normalizer applies to, which items the leak scanner reads and which of their
keys it knows to be harmless. Adding a type is one entry here plus its record class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "ATTACHMENT",
    "EVENT",
    "ITEM_TYPES",
    "TRANSACTION",
    "ItemType",
    "event_type_of",
    "is_event_like",
    "item_type",
    "item_type_of_class",
    "item_type_of_record",
    "records_item_types",
]


@dataclass(frozen=True)
class ItemType:
    """One envelope item type.

    Attributes:
        name: the item header's ``type``.
        record: the name of the record class (in ``records``) that reads it (``None``: no
            collection of its own).
        collection: the ``sentry_events`` attribute holding its records (``""`` for events:
            ``sentry_events`` itself).
        noun: singular and plural, for messages.
        aliases: other item types read into the same records (``sessions``, ``profile_chunk``).
        doc: the collection's docstring.
        drop_categories: client-report data categories that explain a missing record.
        json: the payload is JSON (an attachment's is bytes: the scanner decompresses it and
            reads it as JSON when it is, else as text).
        header_line: the payload starts with a line of JSON headers, then its content (a
            replay recording: ``{"segment_id": N}``, then its rrweb events, usually zlib-compressed).
        batched: the payload's ``items`` list holds many records (logs, metrics, spans).
        buffered: the SDK buffers it: flush before reading.
        event_like: an event payload (errors, messages, transactions): Relay's event normalizer
            applies, ``capture_events`` collects it.
        reports_drops: a client report: its entries are ``sentry_events.dropped`` records.
        scanned: the leak scanner reads it (client reports are the SDK's bookkeeping).
        harmless_keys: keys the field rule never reports in this type (a session's ``sid`` is a
            release-health id, not a login session).
        summarized: listed, with its count, in what a test captured (``--sentry-summary`` and
            the miss messages' "Also captured").
        parts: item types of the same envelope that belong to this item's record (a replay
            event's recording): the record class's ``from_parts(payload, parts)`` builds it.
        merge_key: records whose payloads have the same value under this key are one record,
            joined by the record class's ``merged(other)`` (a replay's segments, by ``replay_id``).
    """

    name: str
    record: str | None
    collection: str | None
    noun: tuple[str, str]
    aliases: tuple[str, ...] = ()
    doc: str = ""
    drop_categories: tuple[str, ...] = ()
    json: bool = True
    header_line: bool = False
    batched: bool = False
    buffered: bool = False
    event_like: bool = False
    reports_drops: bool = False
    scanned: bool = True
    harmless_keys: frozenset[str] = frozenset()
    summarized: bool = False
    parts: tuple[str, ...] = ()
    merge_key: str = ""


EVENT = ItemType(
    "event",
    "Event",
    "",
    ("event", "events"),
    doc="Error and message events.",
    drop_categories=("error", "default"),
    event_like=True,
    summarized=True,
)
TRANSACTION = ItemType(
    "transaction",
    "Transaction",
    "transactions",
    ("transaction", "transactions"),
    doc="Transactions, each with its ``spans``.",
    drop_categories=("transaction",),
    event_like=True,
    summarized=True,
)
ATTACHMENT = ItemType(
    "attachment",
    "Attachment",
    "attachments",
    ("attachment", "attachments"),
    doc="Files attached to events.",
    drop_categories=("attachment",),
    json=False,
    summarized=True,
)

_ENTRIES = (
    EVENT,
    TRANSACTION,
    ItemType(
        "log",
        "LogRecord",
        "logs",
        ("log", "logs"),
        doc="Sentry logs (flushed from the SDK's buffer first).",
        drop_categories=("log_item",),
        batched=True,
        buffered=True,
        summarized=True,
    ),
    ItemType(
        "span",
        "Span",
        "spans",
        ("span", "spans"),
        doc="Standalone (streamed) spans; a transaction's spans are in ``transactions``.",
        drop_categories=("span",),
        batched=True,
        buffered=True,
        summarized=True,
    ),
    ItemType(
        "trace_metric",
        "Metric",
        "metrics",
        ("metric", "metrics"),
        doc="Trace metrics (flushed from the SDK's buffer first).",
        drop_categories=("trace_metric",),
        batched=True,
        buffered=True,
        summarized=True,
    ),
    ItemType(
        "check_in",
        "CheckIn",
        "check_ins",
        ("check-in", "check-ins"),
        doc="Cron monitor check-ins.",
        drop_categories=("monitor",),
        summarized=True,
    ),
    ATTACHMENT,
    ItemType(
        "session",
        "Session",
        "sessions",
        ("session", "sessions"),
        aliases=("sessions",),
        doc="Release-health session updates (flushed from the SDK first).",
        drop_categories=("session",),
        buffered=True,
        harmless_keys=frozenset({"sid"}),
    ),
    ItemType(
        "profile",
        "Profile",
        "profiles",
        ("profile", "profiles"),
        aliases=("profile_chunk",),
        doc="Profiles and profile chunks.",
        drop_categories=("profile", "profile_chunk"),
        buffered=True,
    ),
    ItemType(
        "client_report",
        None,
        None,
        ("client report", "client reports"),
        reports_drops=True,
        scanned=False,
    ),
    ItemType(
        "feedback",
        "Feedback",
        "feedback",
        ("feedback item", "feedback items"),
        aliases=("user_report",),
        doc="User feedback: the ``feedback`` event type and the legacy ``user_report`` item.",
        drop_categories=("feedback", "user_report_v2"),
        summarized=True,
    ),
    # Session Replay (the browser and mobile SDKs): each segment is a replay event with its
    # recording in one envelope; a replay's segments are one record
    ItemType(
        "replay_event",
        "Replay",
        "replays",
        ("replay", "replays"),
        doc="Session replays, each with its segments' recordings (decompressed and parsed).",
        drop_categories=("replay",),
        summarized=True,
        parts=("replay_recording",),
        merge_key="replay_id",
    ),
    ItemType(
        "replay_recording",
        None,
        None,
        ("replay recording", "replay recordings"),
        json=False,
        header_line=True,
    ),
    # JSON items the plugin keeps in ``sentry_events.envelopes`` only (no record class yet)
    ItemType("statsd", None, None, ("statsd item", "statsd items"), json=False),  # text lines
    ItemType("metric_meta", None, None, ("metric meta item", "metric meta items")),
)

#: Every item type by name (aliases included).
ITEM_TYPES: Mapping[str, ItemType] = MappingProxyType(
    {name: entry for entry in _ENTRIES for name in (entry.name, *entry.aliases)}
)
_BY_RECORD = {entry.record: entry for entry in _ENTRIES if entry.record is not None}


def item_type(name: str) -> ItemType | None:
    """The entry of an item header's ``type``, or ``None`` for a type the plugin does not know."""
    return ITEM_TYPES.get(name)


def records_item_types() -> tuple[ItemType, ...]:
    """The entries with a record class, in the order of messages."""
    return tuple(_BY_RECORD.values())


def item_type_of_record(record: object) -> ItemType:
    """The entry of a record's class (events for a plain ``Payload``)."""
    return _BY_RECORD.get(type(record).__name__, EVENT)


def item_type_of_class(record_type: type) -> ItemType | None:
    """The entry whose records are of ``record_type``."""
    return _BY_RECORD.get(record_type.__name__)


def is_event_like(name: str) -> bool:
    """Whether items of type ``name`` are events (errors, messages, transactions)."""
    entry = ITEM_TYPES.get(name)
    return entry is not None and entry.event_like


def event_type_of(payload: Mapping[str, Any]) -> ItemType:
    """A bare event payload's item type: a transaction says so in its ``type``."""
    return TRANSACTION if payload.get("type") == TRANSACTION.name else EVENT
