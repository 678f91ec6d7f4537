"""``sentry_page``: a real browser SDK in Debian's Chromium, its envelopes routed into the test.

A static checkout page (served on loopback) loads @sentry/browser, bundled from the npm
registry's packages (``_browser_sdk.py``; no CDN), with Session Replay (inputs unmasked but for
the ``.secret`` class) and user feedback. The inner test types a token into an unmasked input
and another into a masked one, clicks a button whose handler throws, sends feedback, and reads
the error, the feedback and the replay back through ``sentry_events``. The gate then reports
the unmasked input's value from the replay recording, masked in its message, and never the
masked one.

Skipped when Chromium or npm is missing; ``SENTRY_CHECK_REQUIRE_BROWSER=1`` (set by
``.ci/run``) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _browser_sdk import Unavailable, bundle

# The replay's segments are sent when the test flushes (captureFeedback, getReplay().flush()):
# its first segment then holds the DOM snapshot that names the inputs and what was typed (with
# short delays the snapshot may go alone, and a finding names the input by its rrweb node id).
# What the inner test types: a GitHub token into the coupon input (unmasked: the replay records
# it), a Slack token into the card input (class "secret": the replay records stars).
UNMASKED = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
MASKED = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>checkout</title>
<script src="sentry-browser.js"></script>
<script>
Sentry.init({
  dsn: "https://publickey@o0.ingest.sentry.invalid/0",
  release: "shop@1.0.0",
  integrations: [
    Sentry.replayIntegration({
      maskAllInputs: false, maskAllText: false, mask: [MASK_SELECTOR],
      minReplayDuration: 0, flushMinDelay: 5000, flushMaxDelay: 5500,
    }),
  ],
  replaysSessionSampleRate: 1.0,
  replaysOnErrorSampleRate: 1.0,
});
</script></head>
<body>
<h1>Checkout</h1>
<label>Coupon <input id="coupon" name="coupon"></label>
<label>Card <input id="card" name="card" class="secret"></label>
<button id="pay" onclick="throw new Error('payment button broke')">Pay</button>
</body></html>
"""

CONFTEST = """
import functools
import http.server
import threading

import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {{"executable_path": {chromium!r}, "args": ["--no-sandbox"]}}


@pytest.fixture(scope="session")
def shop_url():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory={site!r}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{{server.server_address[1]}}/index.html"
    server.shutdown()
"""

SUITE = """
UNMASKED = {unmasked!r}
MASKED = {masked!r}
MASKED_AS = {masked_as!r}


def test_checkout_page(sentry_page, sentry_events, shop_url):
    page = sentry_page
    page.goto(shop_url)
    page.fill("#coupon", UNMASKED)
    page.fill("#card", MASKED)
    page.click("#pay")
    error = sentry_events.wait_for(exception_value="payment button broke")[0]
    assert error.exception_type == "Error"
    assert error["sdk"]["name"] == "sentry.javascript.browser"

    page.evaluate(
        "Sentry.captureFeedback({{message: 'The pay button does nothing', name: 'Jane', "
        "email: 'jane.doe@example.com', associatedEventId: '" + error.event_id + "'}})"
    )
    feedback = sentry_events.feedback.wait_for(message="pay button")[0]
    assert (feedback.name, feedback.email, feedback.associated_event_id) == (
        "Jane", "jane.doe@example.com", error.event_id
    )

    # a body that is no envelope is refused as the ingest server refuses it, nothing stored
    status = page.evaluate(
        "fetch('https://o0.ingest.sentry.invalid/api/0/envelope/', "
        "{{method: 'POST', body: 'not an envelope'}}).then(r => r.status)"
    )
    assert status == 400

    page.evaluate("Sentry.getReplay().flush()")
    replay = sentry_events.replays.wait_for(error_id=error.event_id)[0]
    assert replay.replay_type == "session"
    assert replay.urls == [shop_url]
    assert feedback.replay_id == replay.replay_id
    assert replay.inputs == [UNMASKED, MASKED_AS]
    assert replay.inputs_by_element == {{"input#coupon": [UNMASKED], "input#card": [MASKED_AS]}}
    assert all(segment.problem == "" for segment in replay.segments)
    print("captured:", len(sentry_events), "event,", len(sentry_events.feedback), "feedback,",
          len(sentry_events.replays), "replay")


def test_a_new_page_of_the_context_is_routed_too(sentry_page, sentry_events, shop_url):
    other = sentry_page.context.new_page()
    other.goto(shop_url)
    other.evaluate("Sentry.captureMessage('from a second tab')")
    assert sentry_events.wait_for(message="from a second tab")[0]["sdk"]["name"] == "sentry.javascript.browser"
    other.close()
"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    assert found is not None
    return found


def _missing(reason: str) -> None:
    if os.environ.get("SENTRY_CHECK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SENTRY_CHECK_REQUIRE_BROWSER=1, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_sdk() -> Path:
    try:
        return bundle()
    except Unavailable as exc:
        _missing(f"the browser SDK is unavailable: {exc}")
        raise


def _shop(pytester: pytest.Pytester, browser_sdk: Path, *args: str, masked: bool) -> pytest.RunResult:
    """The checkout suite's run, the card input masked by its class or (``masked=False``) not."""
    site = pytester.mkdir("site")
    selector = ".secret" if masked else ".nothing"
    (site / "index.html").write_text(PAGE.replace("MASK_SELECTOR", repr(selector)))
    shutil.copy(browser_sdk, site / "sentry-browser.js")
    pytester.makeconftest(CONFTEST.format(chromium=_chromium(), site=str(site)))
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    masked_as = "*" * len(MASKED) if masked else MASKED
    pytester.makepyfile(test_shop=SUITE.format(unmasked=UNMASKED, masked=MASKED, masked_as=masked_as))
    return pytester.runpytest("-p", "playwright", "-s", *args)


GITHUB_TOKEN_LINE = (
    "  [[]critical] github-token (GitHub token (in the zlib-compressed replay recording, typed into "
    "input#coupon)) at replay_recording:*.data.text: ghp…[[]40 chars] in replay_recording"
)


def test_a_browser_pages_error_replay_and_feedback_land_in_the_gate(
    pytester: pytest.Pytester, browser_sdk: Path
) -> None:
    """The unmasked input's token is reported from the recording, masked; the masked input's
    never is (rrweb recorded stars); the feedback's contact email warns."""
    result = _shop(
        pytester, browser_sdk, "--sentry-html=out/report.html", "--sentry-report=out/report.json", masked=True
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["test_shop.py captured: 1 event, 1 feedback, 1 replay"])
    result.stdout.fnmatch_lines(
        [
            "*= FAILURES =*",
            "*_ test_checkout_page _*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            GITHUB_TOKEN_LINE,
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "  */_run/gate.py:*: SentryCheckWarning: sentry-check: the application sent secrets or personal "
            "data to Sentry (1 finding, 1 leak group, below the fail-on threshold):",
            "    [[]medium] email (email address) at feedback:contexts.feedback.contact_email: jan…[[]20 chars] "
            "in feedback *",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["by rule:  github-token 1, email 1"])
    # no output holds the typed values: the terminal, the HTML page (the recording shown
    # masked), the JSON report
    for output in [result.stdout.str(), *(path.read_text() for path in (pytester.path / "out").iterdir())]:
        assert UNMASKED not in output
        assert MASKED[:4] not in output
        assert "slack-token" not in output
    assert "replay_recording" in (pytester.path / "out" / "report.html").read_text()


def test_the_same_input_unmasked_is_reported_too(pytester: pytest.Pytester, browser_sdk: Path) -> None:
    """The control of the test above: without the mask, the card input's token is in the
    recording, and the gate reports it (masked in the message)."""
    result = _shop(pytester, browser_sdk, masked=False)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (2 findings, 2 leak groups):",
            # one line per rule and path pattern, each input's event at its own index
            GITHUB_TOKEN_LINE,
            "  [[]critical] slack-token (Slack token (in the zlib-compressed replay recording, typed into "
            "input#card)) at replay_recording:*.data.text: xox…[[]54 chars] in replay_recording",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["by rule:  github-token 1, slack-token 1, email 1"])
    assert MASKED not in result.stdout.str()


def test_without_pytest_playwright_it_says_what_to_install(pytester: pytest.Pytester) -> None:
    """(PYTEST_ADDOPTS blocks pytest-playwright in inner runs: see tests/conftest.py.)"""
    pytester.makepyfile(
        """
        def test_page(sentry_page):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_page _*",
            "sentry_page needs pytest-playwright's page fixture: pip install pytest-playwright",
        ],
        consecutive=True,
    )
