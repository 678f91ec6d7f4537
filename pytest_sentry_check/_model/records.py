"""Read-only views of what Sentry would receive: events and transactions (the base record is
in ``payload``, the records inside these in ``inner``, the other kinds of item in ``telemetry``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_sentry_check._masking import mask, sensitive_key, shorten

from .inner import FeatureFlag, TransactionSpan
from .payload import Payload, dict_or_empty
from .queryable import RecordQueries, query_collection

if TYPE_CHECKING:
    from .queryable import Hints

__all__ = [
    "Event",
    "FeatureFlag",
    "Payload",
    "Transaction",
    "TransactionSpan",
    "dict_or_empty",
    "qualified_type",
]


_EVENT_COMMON: Mapping[str, tuple[str, ...]] = {
    "level": ("exact", "level"),
    "tags": ("subset_text", "tags"),
    "contexts": ("subset", "contexts"),
    "user": ("subset", "user"),
    "extra": ("subset", "extra"),
    "request": ("subset", "request"),
    "release": ("exact", "release"),
    "environment": ("exact", "environment"),
    "server_name": ("exact", "server_name"),
}


class Event(Payload):
    """An error or message event (an envelope item of type ``event``)."""

    __slots__ = ()

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        **_EVENT_COMMON,
        "message": ("text", "message"),
        "exception_type": ("exception_type", "exceptions"),
        "exception_value": ("text", "exception_value"),
        "transaction": ("exact", "transaction"),
        "fingerprint": ("exact", "fingerprint"),
        "flags": ("subset", "flag_results", "flags"),
    }

    @property
    def event_id(self) -> str | None:
        return self._data.get("event_id")

    @property
    def level(self) -> str | None:
        return self._data.get("level")

    @property
    def message(self) -> str | None:
        """The formatted message (``logentry`` or ``message``), if any."""
        logentry = self._data.get("logentry")
        if isinstance(logentry, dict):
            text = logentry.get("formatted") or logentry.get("message")
            if text is not None:
                return str(text)
        message = self._data.get("message")
        if isinstance(message, dict):
            message = message.get("formatted") or message.get("message")
        return None if message is None else str(message)

    @property
    def exceptions(self) -> list[dict[str, Any]]:
        """The exception chain, the raised exception last (Sentry's order)."""
        exception = self._data.get("exception")
        values = exception.get("values") if isinstance(exception, dict) else exception
        return [value for value in values or () if isinstance(value, dict)]

    @property
    def exception_type(self) -> str | None:
        """Class name of the raised exception (``module.Name`` unless a builtin)."""
        chain = self.exceptions
        return qualified_type(chain[-1]) if chain else None

    @property
    def exception_value(self) -> str | None:
        chain = self.exceptions
        if not chain:
            return None
        value = chain[-1].get("value")
        return None if value is None else str(value)

    @property
    def tags(self) -> dict[str, Any]:
        tags = self._data.get("tags")
        if isinstance(tags, list):  # Sentry also accepts [[key, value], ...]
            return {str(pair[0]): pair[1] for pair in tags if isinstance(pair, list) and len(pair) == 2}
        return dict_or_empty(tags)

    @property
    def contexts(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("contexts"))

    @property
    def extra(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("extra"))

    @property
    def user(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("user"))

    @property
    def request(self) -> dict[str, Any]:
        return dict_or_empty(self._data.get("request"))

    @property
    def breadcrumbs(self) -> list[dict[str, Any]]:
        crumbs = self._data.get("breadcrumbs")
        values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
        return [crumb for crumb in values or () if isinstance(crumb, dict)]

    @property
    def transaction(self) -> str | None:
        return self._data.get("transaction")

    @property
    def release(self) -> str | None:
        return self._data.get("release")

    @property
    def environment(self) -> str | None:
        return self._data.get("environment")

    @property
    def fingerprint(self) -> list[str] | None:
        return self._data.get("fingerprint")

    @property
    def server_name(self) -> str | None:
        return self._data.get("server_name")

    @property
    def flags(self) -> RecordQueries[FeatureFlag]:
        """The feature flags evaluated before the event (``contexts.flags.values``), queryable:
        ``event.flags.one(flag="new-checkout").result``."""
        values = dict_or_empty(self.contexts.get("flags")).get("values")
        flags = [FeatureFlag(value) for value in values or () if isinstance(value, dict)]
        return query_collection(flags, FeatureFlag, f"{_name(self)}.flags")

    @property
    def flag_results(self) -> dict[str, Any]:
        """``{flag: result}`` of :attr:`flags` (what ``flags=`` matches)."""
        return {str(flag.flag): flag.result for flag in self.flags}

    @property
    def location(self) -> str | None:
        """``path:line in function`` of the innermost application frame, if known."""
        frames: list[dict[str, Any]] = []
        for exception in self.exceptions[-1:]:
            frames = dict_or_empty(exception.get("stacktrace")).get("frames") or []
        if not frames:
            for thread in dict_or_empty(self._data.get("threads")).get("values") or []:
                frames = dict_or_empty(dict_or_empty(thread).get("stacktrace")).get("frames") or frames
        candidates = [f for f in frames if isinstance(f, dict)]
        in_app = [f for f in candidates if f.get("in_app")]
        if not candidates:
            return None
        frame = (in_app or candidates)[-1]
        return f"{_relative(frame)}:{frame.get('lineno')} in {frame.get('function')}"

    def summary(self) -> str:
        if self.exceptions:
            head = f"{shorten(self.exception_type, 60)}: {shorten(self.exception_value or '', 60)}"
        elif self.message is not None:
            head = f"message {shorten(self.message, 60)!r}"
        else:
            head = "event without exception or message"
        details = [f"level={shorten(self.level, 20)}"]
        if self.transaction:
            details.append(f"transaction={shorten(self.transaction, 40)!r}")
        tags = self.tags
        if tags:
            shown = ", ".join(f"{shorten(k, 24)}={_tag_value(k, v)}" for k, v in list(tags.items())[:5])
            more = f", +{len(tags) - 5} more" if len(tags) > 5 else ""
            details.append(f"tags: {shown}{more}")
        line = f"{head} ({'; '.join(details)})"
        location = self.location
        return f"{line} at {shorten(location, 80)}" if location else line


class Transaction(Event):
    """A transaction (an envelope item of type ``transaction``) with its spans."""

    __slots__ = ("_span_hints", "_spans")

    def __init__(self, data: Mapping[str, Any], span_hints: Hints | None = None):
        super().__init__(data)
        self._spans: list[TransactionSpan] | None = None
        self._span_hints = span_hints

    def __reduce__(self) -> tuple[type[Transaction], tuple[Mapping[str, Any]]]:
        """Pickled as its payload (the hints of its test's capture stay behind)."""
        return (type(self), (self._data,))

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        **_EVENT_COMMON,
        "name": ("exact", "name"),
        "transaction": ("exact", "name", "transaction"),
        "op": ("exact", "op"),
        "status": ("exact", "status"),
    }

    @property
    def name(self) -> str | None:
        return self._data.get("transaction")

    @property
    def trace(self) -> dict[str, Any]:
        return dict_or_empty(self.contexts.get("trace"))

    @property
    def op(self) -> str | None:
        return self.trace.get("op")

    @property
    def status(self) -> str | None:
        return self.trace.get("status")

    @property
    def spans(self) -> RecordQueries[TransactionSpan]:
        """The transaction's spans (its root span is ``trace``), queryable like every
        collection: ``tx.spans.one(op="db.query")``; still a sequence of mappings."""
        if self._spans is None:
            raw = [span for span in self._data.get("spans") or () if isinstance(span, dict)]
            self._spans = [TransactionSpan(span) for span in raw]
            for span in self._spans:
                span._siblings = self._spans
        return query_collection(self._spans, TransactionSpan, f"{_name(self)}.spans", self._span_hints)

    def summary(self) -> str:
        ops = [str(span.get("op")) for span in self._data.get("spans") or () if isinstance(span, dict)]
        shown = ", ".join(ops[:6]) + (f", +{len(ops) - 6} more" if len(ops) > 6 else "")
        return (
            f"transaction {shorten(self.name or '', 50)!r} (op={self.op}; status={self.status}; "
            f"{len(ops)} span{'s' if len(ops) != 1 else ''}{': ' + shown if ops else ''})"
        )


def _name(record: Event) -> str:
    """How a record is named in the expression of its inner collections."""
    if isinstance(record, Transaction):
        return f"Transaction({shorten(record.name or '', 40)!r})"
    return f"Event({record.event_id and record.event_id[:8]!r})"


def _tag_value(key: str, value: Any) -> str:
    return mask(str(value)) if sensitive_key(key) and value not in (None, "") else shorten(value, 24)


def qualified_type(exception: Mapping[str, Any]) -> str:
    module = exception.get("module")
    name = str(exception.get("type"))
    return f"{module}.{name}" if module and module not in ("builtins", "__builtin__") else name


def _relative(frame: Mapping[str, Any]) -> str:
    abs_path = frame.get("abs_path")
    if isinstance(abs_path, str) and os.path.isabs(abs_path):
        try:
            relative = os.path.relpath(abs_path)
        except ValueError:
            relative = abs_path
        if not relative.startswith(".."):
            return relative
    return str(frame.get("filename") or abs_path or "?")
