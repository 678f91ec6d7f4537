"""Strict mode (``sentry_check(strict=True)``, ini ``sentry_strict``): the error and message
events that no query of the test handed back, and the failure that lists them.

An event counts as expected once a query of ``sentry_events`` returned it: ``one()``,
``first()``, ``filter()`` (every record of the result) or ``wait_for()``, also chained on what
those return. ``assert_none`` returns nothing; iterating, indexing or ``len()`` expect nothing
either.
"""

from __future__ import annotations

from pytest_sentry_check._capture.store import Capture
from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._model.records import Event

from .collections import count_of
from .events import unmatched_events

__all__ = ["strict_failure"]

_MAX_LISTED = 10
_DOCS = doc_url("querying.md", "strict-mode")


def strict_failure(capture: Capture) -> str | None:
    """The failure message of a strict test whose events were not all matched, else ``None``."""
    unmatched = unmatched_events(capture)
    if not unmatched:
        return None
    n = len(unmatched)
    lines = [
        f"sentry-check strict mode: {count_of(n, Event)} no query matched "
        f"({'it was' if n == 1 else 'they were'} sent, but the test expected no such event):"
    ]
    lines += [
        f"  {number}. {event.summary()}" for number, event in enumerate(unmatched[:_MAX_LISTED], start=1)
    ]
    if n > _MAX_LISTED:
        lines.append(f"  ... and {n - _MAX_LISTED} more")
    lines.append(
        "Expect each with sentry_events.one(...), .first(...), .filter(...) or .wait_for(...), "
        "or turn strict mode off for this test with @pytest.mark.sentry_check(strict=False). "
        f"See {_DOCS}"
    )
    return "\n".join(lines)
