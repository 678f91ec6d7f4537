"""Read-only views of the other envelope items: logs, metrics, spans, check-ins, sessions,
profiles, user feedback and attachments (replays are in ``replays``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pytest_sentry_check._masking import shorten

from .item_types import item_type_of_record
from .items import ScanItem, binary_items
from .queryable import RecordQueries, query_collection
from .records import Payload, dict_or_empty

__all__ = [
    "Attachment",
    "CheckIn",
    "Feedback",
    "LogRecord",
    "Metric",
    "Profile",
    "Session",
    "Span",
    "unwrap_attributes",
]


def unwrap_attributes(value: Any) -> dict[str, Any]:
    """``{"k": {"value": v, "type": t}}`` (the wire format of logs, spans, metrics) to ``{"k": v}``."""
    out: dict[str, Any] = {}
    for key, attribute in dict_or_empty(value).items():
        out[key] = attribute.get("value") if isinstance(attribute, dict) else attribute
    return out


class LogRecord(Payload):
    """One Sentry log (from an envelope item of type ``log``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "attributes": ("subset", "attributes"),
        "level": ("exact", "level"),
        "body": ("text", "body"),
        "message": ("text", "body", "body"),
        "trace_id": ("exact", "trace_id"),
    }

    @property
    def level(self) -> str | None:
        return self._data.get("level")

    @property
    def body(self) -> str | None:
        return self._data.get("body")

    @property
    def attributes(self) -> dict[str, Any]:
        return unwrap_attributes(self._data.get("attributes"))

    @property
    def trace_id(self) -> str | None:
        return self._data.get("trace_id")

    def summary(self) -> str:
        return f"log {self.level} {shorten(self.body or '', 70)!r}"


class Metric(Payload):
    """One trace metric (from an envelope item of type ``trace_metric``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "attributes": ("subset", "attributes"),
        "name": ("exact", "name"),
        "type": ("exact", "type"),
        "value": ("exact", "value"),
        "unit": ("exact", "unit"),
    }

    @property
    def name(self) -> str | None:
        return self._data.get("name")

    @property
    def type(self) -> str | None:
        return self._data.get("type")

    @property
    def value(self) -> Any:
        return self._data.get("value")

    @property
    def unit(self) -> str | None:
        return self._data.get("unit")

    @property
    def attributes(self) -> dict[str, Any]:
        return unwrap_attributes(self._data.get("attributes"))

    def summary(self) -> str:
        return f"metric {self.type} {shorten(self.name or '', 50)!r} = {shorten(self.value, 20)}"


class Span(Payload):
    """One standalone (streamed) span, from an envelope item of type ``span``."""

    __slots__ = ("_siblings",)

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "attributes": ("subset", "attributes"),
        "name": ("exact", "name"),
        "op": ("exact", "op"),
        "status": ("exact", "status"),
        "span_id": ("exact", "span_id"),
        "parent_span_id": ("exact", "parent_span_id"),
        "trace_id": ("exact", "trace_id"),
    }

    def __init__(self, data: Mapping[str, Any], siblings: list[Span] | None = None):
        super().__init__(data)
        #: the spans its children are looked for in (the test's spans, as they arrive)
        self._siblings: list[Span] = [self] if siblings is None else siblings

    @property
    def span_id(self) -> str | None:
        return self._data.get("span_id")

    @property
    def parent_span_id(self) -> str | None:
        return self._data.get("parent_span_id")

    @property
    def trace_id(self) -> str | None:
        return self._data.get("trace_id")

    @property
    def children(self) -> RecordQueries[Span]:
        """The spans captured so far whose parent is this one, queryable (a fixed collection)."""
        children = [s for s in self._siblings if self.span_id and s.parent_span_id == self.span_id]
        return query_collection(children, Span, f"Span({self.name!r}).children")

    @property
    def name(self) -> str | None:
        return self._data.get("name") or self._data.get("description")

    @property
    def attributes(self) -> dict[str, Any]:
        return unwrap_attributes(self._data.get("attributes"))

    @property
    def op(self) -> str | None:
        return self._data.get("op") or self.attributes.get("sentry.op")

    @property
    def status(self) -> str | None:
        return self._data.get("status")

    def summary(self) -> str:
        return f"span {shorten(self.name or '', 50)!r} (op={self.op}; status={self.status})"


class CheckIn(Payload):
    """A cron monitor check-in (an envelope item of type ``check_in``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "monitor_slug": ("exact", "monitor_slug"),
        "status": ("exact", "status"),
    }

    @property
    def monitor_slug(self) -> str | None:
        return self._data.get("monitor_slug")

    @property
    def status(self) -> str | None:
        return self._data.get("status")

    def summary(self) -> str:
        return f"check-in {shorten(self.monitor_slug or '', 50)!r} status={self.status}"


class Session(Payload):
    """A release-health session update (an envelope item of type ``session``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "status": ("exact", "status"),
        "release": ("exact", "release"),
        "environment": ("exact", "environment"),
    }

    @property
    def status(self) -> str | None:
        return self._data.get("status")

    @property
    def release(self) -> str | None:
        return dict_or_empty(self._data.get("attrs")).get("release")

    @property
    def environment(self) -> str | None:
        return dict_or_empty(self._data.get("attrs")).get("environment")

    @property
    def errors(self) -> int:
        return int(self._data.get("errors") or 0)

    def summary(self) -> str:
        return f"session status={self.status} errors={self.errors} release={self.release}"


class Profile(Payload):
    """A profile or profile chunk (envelope items ``profile`` / ``profile_chunk``)."""

    __slots__ = ()

    def summary(self) -> str:
        return f"profile platform={self._data.get('platform')}"


class Feedback(Payload):
    """User feedback: a ``feedback`` item (an event whose ``contexts.feedback`` holds it, what
    the SDKs send now) or a legacy ``user_report`` item (``name``, ``email``, ``comments``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "message": ("text", "message"),
        "name": ("exact", "name"),
        "email": ("exact", "email"),
        "url": ("exact", "url"),
        "source": ("exact", "source"),
        "associated_event_id": ("exact", "associated_event_id"),
        "replay_id": ("exact", "replay_id"),
    }

    @property
    def legacy(self) -> bool:
        """A ``user_report`` item (no ``contexts.feedback``)."""
        return not isinstance(dict_or_empty(self._data.get("contexts")).get("feedback"), dict)

    @property
    def _feedback(self) -> dict[str, Any]:
        return dict_or_empty(dict_or_empty(self._data.get("contexts")).get("feedback"))

    @property
    def message(self) -> str | None:
        """What the user wrote (a user report's ``comments``)."""
        return self._data.get("comments") if self.legacy else self._feedback.get("message")

    @property
    def name(self) -> str | None:
        return self._data.get("name") if self.legacy else self._feedback.get("name")

    @property
    def email(self) -> str | None:
        """The contact email the user gave (``contact_email``; a user report's ``email``)."""
        return self._data.get("email") if self.legacy else self._feedback.get("contact_email")

    @property
    def url(self) -> str | None:
        """The page the feedback was given on."""
        return self._feedback.get("url")

    @property
    def source(self) -> str | None:
        """How it was given: ``widget``, ``api``, ..."""
        return self._feedback.get("source")

    @property
    def associated_event_id(self) -> str | None:
        """The error event it is about (a user report's ``event_id``)."""
        return self._data.get("event_id") if self.legacy else self._feedback.get("associated_event_id")

    @property
    def replay_id(self) -> str | None:
        """The replay recorded while it was given."""
        return self._feedback.get("replay_id")

    def envelope_items(self) -> list[ScanItem]:
        """This record as the envelope item it came in (``feedback`` or ``user_report``)."""
        entry = item_type_of_record(self)
        return [ScanItem(entry.aliases[0] if self.legacy else entry.name, dict(self._data))]

    def summary(self) -> str:
        kind = "user report" if self.legacy else f"feedback ({self.source})"
        return f"{kind} {shorten(self.message or '', 60)!r}"


class Attachment:
    """A file attached to an event (an envelope item of type ``attachment``)."""

    __slots__ = ("attachment_type", "bytes", "content_type", "event_id", "filename")

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "filename": ("exact", "filename"),
        "content_type": ("exact", "content_type"),
        "attachment_type": ("exact", "attachment_type"),
    }

    def __init__(self, headers: Mapping[str, Any], payload: bytes, event_id: str | None = None):
        self.event_id = event_id
        self.filename: str | None = headers.get("filename")
        self.content_type: str | None = headers.get("content_type")
        self.attachment_type: str | None = headers.get("attachment_type")
        self.bytes = payload

    @property
    def text(self) -> str:
        """The content decoded as UTF-8, invalid bytes replaced."""
        return self.bytes.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.bytes)

    def envelope_items(self) -> list[ScanItem]:
        """This attachment as its envelope item, for ``scan`` (decompressed, read as JSON when it is)."""
        headers = {"filename": self.filename, "content_type": self.content_type}
        return list(binary_items(item_type_of_record(self).name, self.bytes, headers))

    def summary(self) -> str:
        return (
            f"attachment {shorten(self.filename or '', 50)!r} ({self.content_type}, {len(self.bytes)} bytes)"
        )

    def __repr__(self) -> str:
        return f"<Attachment {self.summary()}>"
