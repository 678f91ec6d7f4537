"""The plugin's messages: what a test captured, what leaked, what the SDK swallowed, what
arrived after its test ended.

Text only (no pytest): imported when there is something to say.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._masking import shorten
from pytest_sentry_check._model.item_types import EVENT, TRANSACTION, records_item_types

if TYPE_CHECKING:
    from pytest_sentry_check._capture.dropped import SdkError
    from pytest_sentry_check._capture.store import Router
    from pytest_sentry_check._query.events import SentryEvents

__all__ = [
    "after_session_lines",
    "describe_capture",
    "foreign_client_warning",
    "late_arrival_lines",
    "render_sdk_errors",
]

_DOCS_SDK_ERRORS = doc_url("capture.md", "exceptions-the-sdk-swallowed")
_GATE_LINES_PER_TEST = 20
_SUMMARY_LINES_PER_TEST = 6


def describe_capture(events: SentryEvents) -> list[str]:
    """Short lines saying what a test captured: counts, then one line per record (a few)."""
    collections: list[tuple[str, Any]] = [
        (entry.noun[0], getattr(events, entry.collection) if entry.collection else events)
        for entry in records_item_types()
        if entry.summarized
    ]
    counts = [_plural(len(records), noun) for noun, records in collections if records]
    # what the SDK dropped of the first two (events and transactions)
    categories = (EVENT.drop_categories[0], TRANSACTION.drop_categories[0])
    dropped = [d for d in events.dropped if d.category in categories]
    if dropped:
        counts.append(
            f"{sum(d.quantity for d in dropped)} dropped ({', '.join(sorted({d.reason for d in dropped}))})"
        )
    if not counts:
        return []
    lines = [", ".join(counts)]
    records = [record for _, collection in collections[:2] for record in collection]
    lines.extend(f"  {record.summary()}" for record in records[:_SUMMARY_LINES_PER_TEST])
    if len(records) > _SUMMARY_LINES_PER_TEST:
        lines.append(f"  ... and {len(records) - _SUMMARY_LINES_PER_TEST} more")
    return lines


def render_sdk_errors(errors: list[SdkError]) -> str:
    """The message for exceptions the SDK swallowed during a test."""
    count = _plural(len(errors), "exception")
    lines = [f"sentry-check: the Sentry SDK swallowed {count} during this test:"]
    for error in errors[:5]:
        origin = f"{error.source} ({error.callback})" if error.callback else error.source
        where = f" at {error.location}" if error.location else ""
        lines.append(f"  {origin} raised {error.exception_type}: {shorten(str(error.exception), 120)}{where}")
        lines.append(f"    {error.consequence}.")
        lines.extend(f"    | {shorten(line, 160)}" for line in error.traceback_lines[-12:])
    if len(errors) > 5:
        lines.append(f"  ... and {len(errors) - 5} more")
    lines.append(
        "Fix the callback. If this is on purpose, mark the test "
        '@pytest.mark.sentry_check(sdk_errors="warn") or "ignore" '
        f"(see {_DOCS_SDK_ERRORS})."
    )
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def late_arrival_lines(router: Router, threads_left: list[str]) -> list[str]:
    """What arrived after its test ended, what was sent before any test, and which threads that
    tests started still run (``threads_left``, by name) at the end of the session."""
    lines = []
    for capture in router.late_captures:
        late = capture.late
        kinds = sorted({t for received in late.envelopes for t in received.item_types()})
        what = [_plural(len(late.envelopes), "envelope") + (f" ({', '.join(kinds)})" if kinds else "")]
        if late.dropped:
            what.append(_plural(len(late.dropped), "dropped record"))
        if late.sdk_errors:
            what.append(_plural(len(late.sdk_errors), "swallowed exception"))
        lines.append(f"{capture.name}: {', '.join(what)} arrived after the test ended")
    if router.unattributed.envelopes:
        count = _plural(len(router.unattributed.envelopes), "envelope")
        lines.append(f"{count} sent before the first test (at import or collection time)")
    if threads_left:
        threads = _plural(len(threads_left), "thread")
        lines.append(
            f"{threads} started by tests still running at the end of the session "
            f"({', '.join(threads_left[:5])}): what they send from now on is not reported"
        )
    return lines


def foreign_client_warning(origins: Iterable[str]) -> str:
    """A test that sent through a client another test's body created: it passes only in order."""
    names = sorted(origins)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return (
        f"sentry-check: this test sent to Sentry through the client that {shown} created "
        "(sentry_sdk.init ran in that test's body). Run alone, or in another order, this test "
        "sends nothing: initialise the SDK in a fixture the test uses "
        f"(see {doc_url('capture.md', 'a-client-another-test-created')})."
    )


def after_session_lines(arrived: dict[str, int]) -> list[str]:
    """What arrived once the session had ended, by test (``""``: no test)."""
    total = sum(arrived.values())
    tests = ", ".join(sorted(name for name in arrived if name)[:5]) or "no test"
    return [
        f"sentry-check: {_plural(total, 'envelope')} arrived after the session ended, "
        f"from threads of {tests}: not scanned by the leak gate nor listed in the summary.",
        "Join the threads that send them before their test ends "
        f"(see {doc_url('capture.md', 'late-arrivals')}).",
    ]
