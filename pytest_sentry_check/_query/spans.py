"""Between the two homes of spans: a transaction's ``spans`` and ``sentry_events.spans``
(standalone spans, which the SDK sends on their own with span streaming). A query that misses
in one says what the other holds, and which of those records match."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_sentry_check._model.inner import TransactionSpan
from pytest_sentry_check._model.queryable import Hints
from pytest_sentry_check._model.records import Transaction
from pytest_sentry_check._model.telemetry import Span

from .collections import count_of
from .criteria import MODIFIERS, check_record, criteria_for, describe_criteria

__all__ = ["standalone_span_hints", "transaction_span_hints"]


def _matching(record_type: type, criteria: Mapping[str, Any], records: Iterable[Any]) -> int | None:
    """How many ``records`` match ``criteria``; ``None`` when the criteria do not apply to them
    (a criterion the other kind has not, or a check that fails on it)."""
    checks = criteria_for(record_type)
    if any(name not in checks and name not in MODIFIERS for name in criteria):
        return None
    try:
        return sum(1 for record in records if not check_record(record, checks, criteria))
    except Exception:  # a where= written for the other kind, a criterion of another type
        return None


def _agree(n: int) -> str:
    return f"{n} of them matches" if n == 1 else f"{n} of them match"


def transaction_span_hints(transactions: Callable[[], list[Transaction]]) -> Hints:
    """For ``sentry_events.spans``: the spans inside the captured transactions."""

    def hints(criteria: Mapping[str, Any]) -> list[str]:
        carrying = [tx for tx in transactions() if len(tx.spans)]
        total = sum(len(tx.spans) for tx in carrying)
        if not total:
            return []
        lines = [
            "sentry_events.spans holds standalone spans (span streaming); a transaction's spans "
            f"are in its .spans: {count_of(total, TransactionSpan)} in "
            f"{count_of(len(carrying), Transaction)}."
        ]
        counts = [(tx, _matching(TransactionSpan, criteria, tx.spans)) for tx in carrying]
        if any(n is None for _, n in counts):
            return lines
        found = [(tx, n) for tx, n in counts if n]
        if not found:
            return [*lines, "None of them matches."]
        tx, n = found[0]
        names = [other.name for other in transactions()]
        pick = "first" if names.count(tx.name) > 1 else "one"
        more = f" (and {count_of(len(found) - 1, Transaction)} more)" if len(found) > 1 else ""
        query = (
            f"sentry_events.transactions.{pick}(name={tx.name!r}).spans."
            f"{'one' if n == 1 else 'filter'}({describe_criteria(criteria)})"
        )
        matched = sum(n or 0 for _, n in found)
        return [*lines, f"{_agree(matched)}, in transaction {tx.name!r}{more}: {query}"]

    return hints


def standalone_span_hints(spans: Callable[[], list[Span]]) -> Hints:
    """For a transaction's ``spans``: the standalone spans in ``sentry_events.spans``."""

    def hints(criteria: Mapping[str, Any]) -> list[str]:
        standalone = spans()
        if not standalone:
            return []
        line = (
            f"sentry_events.spans holds {count_of(len(standalone), Span)} sent on "
            f"{'its' if len(standalone) == 1 else 'their'} own (span streaming), in no transaction"
        )
        n = _matching(Span, criteria, standalone)
        if n is None:
            return [f"{line}."]
        if not n:
            return [f"{line}; none of them matches."]
        query = f"sentry_events.spans.{'one' if n == 1 else 'filter'}({describe_criteria(criteria)})"
        return [f"{line}; {_agree(n)}: {query}"]

    return hints
