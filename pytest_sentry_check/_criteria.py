"""Criteria for ``filter`` / ``one`` / ``first`` / ``assert_none`` / ``wait_for``.

A check takes a record, the expected value and the query's modifiers, and returns ``None``
when the record matches, else one sentence saying what differed (that sentence is what a
failure message shows under each candidate).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ._dropped import Dropped
from ._masking import mask, sensitive_key, shorten, shorten_repr
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
    qualified_type,
)

__all__ = ["MODIFIERS", "check_record", "criteria_for", "describe_criteria"]

Check = Callable[[Any, Any, Mapping[str, Any]], "str | None"]
Pattern = re.Pattern[str]

#: Keyword arguments that change how criteria match instead of being criteria themselves.
MODIFIERS = frozenset({"chained"})


def describe(expected: Any) -> str:
    """How an expected value reads in a message."""
    if isinstance(expected, type):
        return expected.__qualname__
    if isinstance(expected, re.Pattern):
        return f"re.compile({shorten(expected.pattern, 40)!r})"
    if callable(expected):
        return f"<{getattr(expected, '__qualname__', type(expected).__name__)}>"
    return shorten_repr(expected, 60)


def describe_criteria(criteria: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={describe(value)}" for name, value in criteria.items())


def _values_match(actual: Any, expected: Any) -> bool:
    if isinstance(expected, re.Pattern):
        return actual is not None and expected.search(str(actual)) is not None
    return bool(actual == expected)


def exact(getter: Callable[[Any], Any], label: str) -> Check:
    def check(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
        actual = getter(record)
        if _values_match(actual, expected):
            return None
        return f"{label}: expected {describe(expected)}, got {shorten_repr(actual, 60)}"

    return check


def text(getter: Callable[[Any], Any], label: str) -> Check:
    """Substring, or ``re.search`` for a compiled pattern."""

    def check(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
        actual = getter(record)
        how = "to match" if isinstance(expected, re.Pattern) else "to contain"
        if actual is None:
            return f"{label}: expected {how} {describe(expected)}, the record has no {label}"
        if isinstance(expected, re.Pattern):
            if expected.search(actual):
                return None
        elif str(expected) in actual:
            return None
        return f"{label}: expected {how} {describe(expected)}, got {shorten_repr(actual, 60)}"

    return check


def subset(getter: Callable[[Any], Any], label: str, as_text: bool = False) -> Check:
    """Every key of the expected mapping present with a matching value, nested mappings too."""

    def check(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
        if not isinstance(expected, Mapping):
            raise TypeError(f"{label}= takes a mapping, not {type(expected).__name__}")
        return _subset(getter(record), expected, label, as_text)

    return check


def _subset(actual: Any, expected: Mapping[str, Any], path: str, as_text: bool) -> str | None:
    if not isinstance(actual, Mapping):
        return f"{path}: expected a mapping with {describe(dict(expected))}, got {shorten_repr(actual, 40)}"
    for key, want in expected.items():
        where = f'{path}["{key}"]'
        if key not in actual:
            present = ", ".join(shorten_repr(k, 24) for k in list(actual)[:8]) or "none"
            return f"{where}: missing (present: {present})"
        have = actual[key]
        if isinstance(want, Mapping):
            failure = _subset(have, want, where, as_text)
            if failure:
                return failure
        elif not (
            _values_match(have, want)
            or (as_text and have is not None and not isinstance(want, re.Pattern) and str(have) == str(want))
        ):
            shown = (
                mask(str(have))
                if sensitive_key(str(key)) and have not in (None, "")
                else shorten_repr(have, 60)
            )
            return f"{where}: expected {describe(want)}, got {shown}"
    return None


def _type_matches(exception: Mapping[str, Any], expected: Any) -> bool:
    name = str(exception.get("type"))
    if isinstance(expected, type):
        module = expected.__module__
        wanted = expected.__qualname__ if module == "builtins" else f"{module}.{expected.__qualname__}"
        return qualified_type(exception) == wanted
    wanted = str(expected).removeprefix("builtins.")
    return wanted in (name, qualified_type(exception))


def exception_type(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
    if not isinstance(expected, (type, str)):
        raise TypeError("exception_type= takes an exception class or its (dotted) name")
    chain = record.exceptions
    if not chain:
        return f"exception_type: expected {describe(expected)}, the event has no exception"
    candidates = chain if modifiers.get("chained") else chain[-1:]
    if any(_type_matches(exception, expected) for exception in candidates):
        return None
    got = qualified_type(chain[-1])
    if len(chain) > 1:
        names = " -> ".join(qualified_type(e) for e in chain)
        hint = "" if modifiers.get("chained") else "; chained=True matches any of them"
        return f"exception_type: expected {describe(expected)}, got {got} (chain: {names}{hint})"
    return f"exception_type: expected {describe(expected)}, got {got}"


def where(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
    if not callable(expected):
        raise TypeError("where= takes a callable receiving the record and returning a bool")
    return None if expected(record) else f"where: {describe(expected)} returned a false value"


def _common_event_criteria() -> dict[str, Check]:
    return {
        "level": exact(lambda r: r.level, "level"),
        "tags": subset(lambda r: r.tags, "tags", as_text=True),
        "contexts": subset(lambda r: r.contexts, "contexts"),
        "user": subset(lambda r: r.user, "user"),
        "extra": subset(lambda r: r.extra, "extra"),
        "request": subset(lambda r: r.request, "request"),
        "release": exact(lambda r: r.release, "release"),
        "environment": exact(lambda r: r.environment, "environment"),
        "server_name": exact(lambda r: r.server_name, "server_name"),
        "where": where,
    }


_EVENT = {
    **_common_event_criteria(),
    "message": text(lambda r: r.message, "message"),
    "exception_type": exception_type,
    "exception_value": text(lambda r: r.exception_value, "exception_value"),
    "transaction": exact(lambda r: r.transaction, "transaction"),
    "fingerprint": exact(lambda r: r.fingerprint, "fingerprint"),
}
_TRANSACTION = {
    **_common_event_criteria(),
    "name": exact(lambda r: r.name, "name"),
    "transaction": exact(lambda r: r.name, "transaction"),
    "op": exact(lambda r: r.op, "op"),
    "status": exact(lambda r: r.status, "status"),
}
_ATTRIBUTED = {
    "attributes": subset(lambda r: r.attributes, "attributes"),
    "where": where,
}
_CRITERIA: dict[type, dict[str, Check]] = {
    Event: _EVENT,
    Transaction: _TRANSACTION,
    LogRecord: {
        **_ATTRIBUTED,
        "level": exact(lambda r: r.level, "level"),
        "body": text(lambda r: r.body, "body"),
        "message": text(lambda r: r.body, "body"),
        "trace_id": exact(lambda r: r.trace_id, "trace_id"),
    },
    Metric: {
        **_ATTRIBUTED,
        "name": exact(lambda r: r.name, "name"),
        "type": exact(lambda r: r.type, "type"),
        "value": exact(lambda r: r.value, "value"),
        "unit": exact(lambda r: r.unit, "unit"),
    },
    Span: {
        **_ATTRIBUTED,
        "name": exact(lambda r: r.name, "name"),
        "op": exact(lambda r: r.op, "op"),
        "status": exact(lambda r: r.status, "status"),
    },
    CheckIn: {
        "monitor_slug": exact(lambda r: r.monitor_slug, "monitor_slug"),
        "status": exact(lambda r: r.status, "status"),
        "where": where,
    },
    Session: {
        "status": exact(lambda r: r.status, "status"),
        "release": exact(lambda r: r.release, "release"),
        "environment": exact(lambda r: r.environment, "environment"),
        "where": where,
    },
    Profile: {"where": where},
    Attachment: {
        "filename": exact(lambda r: r.filename, "filename"),
        "content_type": exact(lambda r: r.content_type, "content_type"),
        "attachment_type": exact(lambda r: r.attachment_type, "attachment_type"),
        "where": where,
    },
    Dropped: {
        "reason": exact(lambda r: r.reason, "reason"),
        "category": exact(lambda r: r.category, "category"),
        "where": where,
    },
}


def criteria_for(record_type: type) -> Mapping[str, Check]:
    """The criteria records of ``record_type`` can be filtered on."""
    return _CRITERIA[record_type]


def check_record(record: Any, checks: Mapping[str, Check], criteria: Mapping[str, Any]) -> list[str]:
    """Why ``record`` fails ``criteria`` (empty when it matches)."""
    modifiers = {key: value for key, value in criteria.items() if key in MODIFIERS}
    failures = []
    for name, expected in criteria.items():
        if name in MODIFIERS:
            continue
        failure = checks[name](record, expected, modifiers)
        if failure is not None:
            failures.append(failure)
    return failures
