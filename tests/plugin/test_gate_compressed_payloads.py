"""The gate reads inside compressed payloads: a secret in a gzip attachment, or in a replay
recording another process sent, fails the test that sent it."""

from __future__ import annotations

import pytest

# a GitHub token, spelled apart: pytest prints the source of failing tests
TOKEN_SOURCE = '"ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"'
TOKEN = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"


SUITE = f"""
import gzip
import json

import sentry_sdk

DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"


def export_failed(report):
    # the app attaches its failing export, gzip-compressed as it keeps it
    scope = sentry_sdk.get_current_scope()
    scope.add_attachment(bytes=gzip.compress(json.dumps(report).encode()), filename="export.json.gz")
    sentry_sdk.capture_message("export failed")


def test_an_export_with_its_deploy_key():
    sentry_sdk.init(dsn=DSN)
    export_failed({{"rows": 3, "settings": {{"deploy_key": {TOKEN_SOURCE}}}}})


def test_an_export_without_secrets():
    sentry_sdk.init(dsn=DSN)
    export_failed({{"rows": 3, "settings": {{"region": "eu-west-1"}}}})
"""


def test_a_token_in_a_gzip_attachment_fails_the_test_that_sent_it(pytester: pytest.Pytester) -> None:
    """The finding's path is inside the decompressed JSON, its detail says where it was."""
    pytester.makepyfile(test_export=SUITE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_an_export_with_its_deploy_key _*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]critical] github-token (GitHub token (in the gzip-compressed attachment)) "
            "at attachment:settings.deploy_key: ghp…[[]40 chars] in attachment",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: leak gate (fail) -*",
            "2 envelopes from 2 tests scanned: 1 finding in 1 test, 1 leak group (1 failed)",
            "by rule:  github-token 1",
            "by test:  test_export.py::test_an_export_with_its_deploy_key 1",
            "top paths:",
            "  attachment:settings.deploy_key (1)",
        ],
        consecutive=True,
    )
    assert TOKEN not in result.stdout.str() + result.stderr.str()


# What the JavaScript SDK sends for a replay segment: a gzip-encoded request body holding the
# replay event and its recording (a header line, then the rrweb events, zlib-compressed).
REPLAY_SUITE = f"""
import gzip
import json
import zlib

import httpx

EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"


def replay_envelope(events):
    replay_event = json.dumps({{"type": "replay_event", "replay_id": EVENT_ID, "segment_id": 0}}).encode()
    recording = b'{{"segment_id":0}}\\n' + zlib.compress(json.dumps(events).encode())
    return b"\\n".join([
        json.dumps({{"event_id": EVENT_ID}}).encode(),
        b'{{"type":"replay_event"}}', replay_event,
        json.dumps({{"type": "replay_recording", "length": len(recording)}}).encode(), recording,
    ]) + b"\\n"


def test_a_browser_session_typing_a_token(sentry_server):
    typed = {{"type": 3, "timestamp": 1700000000500, "data": {{"source": 5, "id": 7, "text": {TOKEN_SOURCE}}}}}
    response = httpx.post(
        f"http://127.0.0.1:{{sentry_server.port}}/api/1/envelope/",
        content=gzip.compress(replay_envelope([typed])),
        headers={{
            "Content-Encoding": "gzip",
            "X-Sentry-Auth": f"Sentry sentry_key={{sentry_server.public_key}}, sentry_version=7",
        }},
    )
    assert response.status_code == 200
"""


def test_a_token_typed_in_a_replay_recording_fails_the_test(pytester: pytest.Pytester) -> None:
    """The body is decompressed by the ingest server, the recording by the scanner: the finding's
    path is the rrweb event's, its detail says what the event is (no snapshot names the input)."""
    pytester.makepyfile(test_replay=REPLAY_SUITE)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]critical] github-token (GitHub token (in the zlib-compressed replay recording, typed into "
            "an input (rrweb node 7))) at replay_recording:0.data.text: ghp…[[]40 chars] in replay_recording",
        ],
        consecutive=True,
    )
    assert TOKEN not in result.stdout.str() + result.stderr.str()
