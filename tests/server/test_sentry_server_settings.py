"""The ``sentry_server`` fixture's limits and read timeout, from the ini: ``sentry_server_limits``
(``name = value`` lines) and ``sentry_server_read_timeout`` (seconds). A bad value stops the run
before any test."""

from __future__ import annotations

import pytest

SIZE = "expected a size above 0, in bytes (1048576) or with KiB, MiB or GiB (64MiB)"
FORM = (
    "the limits are body and decompressed (sizes in bytes: 1048576, or with KiB, MiB or GiB: "
    "64MiB), items and json_values (whole numbers)"
)

# What the tests of the inner run send: to the ingest URL of sentry_server.dsn, over loopback.
SENDERS = """
import json, socket
from urllib.parse import urlsplit

import httpx

ITEM = b'{"type":"attachment","filename":"a.txt","length":1}\\nx\\n'


def _ingest(dsn):
    parts = urlsplit(dsn)
    url = f"http://{parts.hostname}:{parts.port}/api{parts.path}/envelope/"
    return url, {"X-Sentry-Auth": f"Sentry sentry_key={parts.username}, sentry_version=7"}


def test_an_envelope_over_the_items_limit_is_refused(sentry_server, sentry_events):
    url, auth = _ingest(sentry_server.dsn)
    refused = httpx.post(url, content=b"{}\\n" + ITEM * 3, headers=auth, timeout=30)
    assert (refused.status_code, refused.json()) == (413, {"detail": "envelope has more than 2 items"})
    accepted = httpx.post(url, content=b"{}\\n" + ITEM * 2, headers=auth, timeout=30)
    assert accepted.status_code == 200
    assert [a.filename for a in sentry_events.attachments] == ["a.txt", "a.txt"]


def test_a_stalled_body_is_answered_408(sentry_server):
    url, auth = _ingest(sentry_server.dsn)
    head = (
        f"POST /api/{sentry_server.project_id}/envelope/ HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
        f"X-Sentry-Auth: {auth['X-Sentry-Auth']}\\r\\nContent-Length: 1000\\r\\n\\r\\n{{}}\\n"
    )
    received = b""
    with socket.create_connection(("127.0.0.1", sentry_server.port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            while data := sock.recv(65536):  # until the server closes it (20 s at most)
                received += data
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\\r\\n\\r\\n")
    assert head.splitlines()[0] == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(body) == {"detail": "the request body did not arrive within 0.5 s"}
"""


def test_the_ini_sets_the_servers_limits_and_read_timeout(pytester: pytest.Pytester) -> None:
    """``sentry_server_limits = items = 2``: 3 items are refused with 413, 2 arrive in the test;
    ``sentry_server_read_timeout = 0.5``: a stalled body is answered 408 within it."""
    pytester.makeini("[pytest]\nsentry_server_limits = items = 2\nsentry_server_read_timeout = 0.5\n")
    pytester.makepyfile(test_senders=SENDERS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "sentry_server_limits =\n    items = 2\n    body = 64MB\n",
            f"ERROR: ini sentry_server_limits: limit body: {SIZE}, not '64MB'",
        ),
        (
            "sentry_server_limits = size = 1MiB\n",
            f"ERROR: ini sentry_server_limits: unknown limit 'size': {FORM}",
        ),
        (
            "sentry_server_limits = items 2\n",
            f"ERROR: ini sentry_server_limits: expected NAME=VALUE, not 'items 2': {FORM}",
        ),
        (
            "sentry_server_read_timeout = soon\n",
            "ERROR: ini sentry_server_read_timeout: expected a number of seconds above 0 "
            "(such as 5 or 0.5), not 'soon'",
        ),
        (
            "sentry_server_read_timeout = 0\n",
            "ERROR: ini sentry_server_read_timeout: expected a number of seconds above 0 "
            "(such as 5 or 0.5), not '0'",
        ),
    ],
    ids=["size unit", "unknown name", "no equals sign", "not seconds", "zero seconds"],
)
def test_a_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester, ini: str, message: str) -> None:
    """Checked at start-up, even when no test asks for sentry_server."""
    pytester.makeini(f"[pytest]\n{ini}")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message], consecutive=True)
