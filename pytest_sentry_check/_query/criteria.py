"""Criteria for ``filter`` / ``one`` / ``first`` / ``assert_none`` / ``wait_for``.

A check takes a record, the expected value and the query's modifiers, and returns ``None``
when the record matches, else one sentence saying what differed (that sentence is what a
failure message shows under each candidate).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from pytest_sentry_check._masking import mask, sensitive_key, shorten, shorten_repr
from pytest_sentry_check._model.records import (
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


def member(getter: Callable[[Any], Any], label: str) -> Check:
    """One of a list's values equal (or matching a compiled pattern)."""

    def check(record: Any, expected: Any, modifiers: Mapping[str, Any]) -> str | None:
        values = getter(record)
        if any(_values_match(value, expected) for value in values):
            return None
        return f"{label}: expected one to be {describe(expected)}, got {shorten_repr(values, 80)}"

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


_KINDS: Mapping[str, Callable[[Callable[[Any], Any], str], Check]] = {
    "exact": exact,
    "text": text,
    "subset": subset,
    "member": member,
    "subset_text": lambda getter, label: subset(getter, label, as_text=True),
}


@functools.cache
def criteria_for(record_type: type) -> Mapping[str, Check]:
    """The criteria records of ``record_type`` can be filtered on, built from its
    ``__criteria__`` (``where=`` for every type)."""
    checks: dict[str, Check] = {}
    for name, (kind, attribute, *label) in record_type.__criteria__.items():  # type: ignore[attr-defined]
        if kind == "exception_type":
            checks[name] = exception_type
        else:
            checks[name] = _KINDS[kind](operator.attrgetter(attribute), label[0] if label else name)
    checks["where"] = where
    return checks


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
