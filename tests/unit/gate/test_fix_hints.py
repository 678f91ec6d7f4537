"""Fix hints name the option the installed sentry-sdk supports (data_collection where it has it), and
what they claim of it holds against the real SDK."""

from __future__ import annotations

import pytest
import sentry_sdk
from sentry_sdk.consts import DEFAULT_OPTIONS

from pytest_sentry_check import capture
from pytest_sentry_check._gate.fixes import fix_hints, suggested_fix
from pytest_sentry_check._scan.finding import Finding

HAS_DATA_COLLECTION = "data_collection" in DEFAULT_OPTIONS
needs_data_collection = pytest.mark.skipif(
    not HAS_DATA_COLLECTION, reason="this sentry-sdk has no data_collection option"
)
FRAME_FINDING = Finding(
    "github-token", "secret", "high", "event", "exception.values.0.stacktrace.frames.2.vars.token", "ghp…"
)


def test_the_frame_locals_hint_names_the_option_the_sdk_supports() -> None:
    if HAS_DATA_COLLECTION:
        expected = [
            "Frame locals carry them (sentry-sdk sends them by default): "
            "sentry_sdk.init(include_local_variables=False), or data_collection="
            "{'stack_frame_variables': False} if the app sets data_collection (which overrides "
            "include_local_variables), or scrub each frame's 'vars' in before_send."
        ]
        sdk = (
            "sentry_sdk.init(include_local_variables=False) (data_collection={'stack_frame_variables': "
            "False} if the app sets data_collection), or scrub the frames' vars in before_send"
        )
    else:
        expected = [
            "Frame locals carry them (send_default_pii=False keeps those): "
            "sentry_sdk.init(include_local_variables=False), or scrub each frame's 'vars' in before_send."
        ]
        sdk = "sentry_sdk.init(include_local_variables=False), or scrub the frames' vars in before_send"
    assert fix_hints([FRAME_FINDING]) == expected
    assert suggested_fix(FRAME_FINDING)["sdk"] == sdk


def _frame_vars(**options: object) -> dict[str, object] | None:
    with capture() as events:
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", **options)
        try:
            page = "p-1"
            raise LookupError(page)
        except LookupError:
            sentry_sdk.capture_exception()
        frame = events.one().exceptions[0]["stacktrace"]["frames"][-1]
    return frame.get("vars")


@needs_data_collection
def test_with_data_collection_set_include_local_variables_is_ignored() -> None:
    """Why the hint names data_collection's stack_frame_variables for an app that sets it."""
    assert _frame_vars(include_local_variables=False) is None
    assert _frame_vars(data_collection={}, include_local_variables=False) is not None
    assert _frame_vars(data_collection={"stack_frame_variables": False}) is None
