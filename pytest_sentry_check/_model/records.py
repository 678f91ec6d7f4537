"""Read-only views of what Sentry would receive: the base record, events and transactions
(the other kinds of item are in ``telemetry``)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_sentry_check._masking import mask, sensitive_key, shorten

from .item_types import item_type_of_record
from .items import ScanItem

if TYPE_CHECKING:
    from .validation import Problem

__all__ = [
    "Event",
    "Payload",
    "Transaction",
    "dict_or_empty",
    "qualified_type",
]


class Payload(Mapping[str, Any]):
    """A read-only mapping over one item's JSON payload, as Sentry would receive it.

    ``record["tags"]``, ``dict(record)`` and ``record.get(...)`` work on the raw data.
    """

    __slots__ = ("_data",)

    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Payload):
            return type(self) is type(other) and self._data == other._data
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def snapshot(self, *, keep: Iterable[str] = (), drop: Iterable[str] = ()) -> dict[str, Any]:
        """This record normalized for snapshot tests: ids, timestamps, durations, thread ids,
        absolute paths, line numbers outside the app, versions and the server name replaced by
        stable placeholders. ``keep``/``drop`` take path globs. See ``docs/snapshots.md``."""
        from .snapshot import snapshot

        return snapshot(self._data, keep=keep, drop=drop)

    def validate(self) -> list[Problem]:
        """What Sentry would reject or drop in this record (Relay's normalizer and Sentry's
        documented limits); needs the ``relay`` extra. See :func:`pytest_sentry_check.validate`."""
        from .validation import validate

        return validate(self)

    def summary(self) -> str:
        """One short line that tells this record apart from the others."""
        return shorten(dict(self._data), 80)

    def envelope_items(self) -> list[ScanItem]:
        """This record as the envelope item it came in, for ``scan`` and ``validate``."""
        return [ScanItem(item_type_of_record(self).name, dict(self._data))]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.summary()}>"


def dict_or_empty(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one (payloads from other SDKs may differ)."""
    return value if isinstance(value, dict) else {}


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

    __slots__ = ()

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
    def spans(self) -> list[dict[str, Any]]:
        return [span for span in self._data.get("spans") or () if isinstance(span, dict)]

    def summary(self) -> str:
        ops = [str(span.get("op")) for span in self.spans]
        shown = ", ".join(ops[:6]) + (f", +{len(ops) - 6} more" if len(ops) > 6 else "")
        return (
            f"transaction {shorten(self.name or '', 50)!r} (op={self.op}; status={self.status}; "
            f"{len(ops)} span{'s' if len(ops) != 1 else ''}{': ' + shown if ops else ''})"
        )


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
