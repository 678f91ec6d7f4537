"""sentry-sdk's data_collection option in the plugin's option overrides (marker
``options``, ini ``sentry_options``), on clients created during the test and before it."""

from __future__ import annotations

import warnings

import pytest
from sentry_sdk.consts import DEFAULT_OPTIONS

pytestmark = pytest.mark.skipif(
    "data_collection" not in DEFAULT_OPTIONS, reason="this sentry-sdk has no data_collection option"
)


def _sdk_deprecates_send_default_pii() -> bool:
    import sentry_sdk.client

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sentry_sdk.client._get_options(send_default_pii=False)
    return any("send_default_pii option is deprecated" in str(w.message) for w in caught)


APP = """
import sentry_sdk

def start():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")

def fail():
    page = "p-1"
    try:
        raise LookupError(page)
    except LookupError:
        sentry_sdk.capture_exception()
"""

TESTS = """
import pytest
import sentry_sdk
import app

{started}

{marker}
def test_frames_without_locals(sentry_events):
    {start}
    app.fail()
    frame = sentry_events.one().exceptions[0]["stacktrace"]["frames"][-1]
    assert frame["function"] == "fail"
    assert "vars" not in frame
    assert sentry_events.client_options["data_collection"]["provided_by_user"] is False

def test_the_next_test_has_the_apps_options(sentry_events):
    {start}
    app.fail()
    assert sentry_events.one().exceptions[0]["stacktrace"]["frames"][-1]["vars"] == {{"page": "'p-1'"}}
"""
MARKER = '@pytest.mark.sentry_check(options={"data_collection": {"stack_frame_variables": False}})'


@pytest.mark.parametrize("client", ["created in the test", "created before the test"])
def test_a_marker_data_collection_override_applies(pytester: pytest.Pytester, client: str) -> None:
    """Also on a live client, whose options hold the SDK's resolved data_collection: the override
    is resolved as sentry_sdk.init would, and undone after the test."""
    before = client == "created before the test"
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        TESTS.format(
            started="app.start()" if before else "",
            start="" if before else "app.start()",
            marker=MARKER,
        )
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_an_ini_data_collection_override_applies(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(app=APP)
    pytester.makeini('[pytest]\nsentry_options =\n    data_collection = {"stack_frame_variables": False}\n')
    pytester.makepyfile(TESTS.format(started="", start="app.start()", marker=""))
    result = pytester.runpytest("-p", "no:randomly", "-k", "without_locals")
    result.assert_outcomes(passed=1, deselected=1)


def test_the_sdks_warnings_about_data_collection_point_at_the_apps_init(pytester: pytest.Pytester) -> None:
    """Both options set: the SDK's two DeprecationWarnings name the app's line, not the plugin's."""
    pytester.makepyfile(
        app="""
        import sentry_sdk

        def start():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", send_default_pii=False, data_collection={})
        """
    )
    pytester.makepyfile(
        """
        import app

        def test_start():
            app.start()
        """
    )
    result = pytester.runpytest("-W", "always::DeprecationWarning", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    lines = [
        "*/app.py:4: DeprecationWarning: `send_default_pii` is deprecated and ignored when `data_collection` is set."
    ]
    if _sdk_deprecates_send_default_pii():  # 2.75 on
        lines.insert(
            0,
            "*/app.py:4: DeprecationWarning: The send_default_pii option is deprecated. Use data_collection instead.*",
        )
    result.stdout.fnmatch_lines(lines)
    assert "sentry_sdk/client.py" not in result.stdout.str()
    assert "sentry_sdk/data_collection.py" not in result.stdout.str()
