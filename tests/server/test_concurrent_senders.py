"""The ingest server under concurrent senders in one process: nothing is lost or mixed up."""

from __future__ import annotations

import json
import threading

import httpx

from pytest_sentry_check._server.app import SentryServer

SENDERS = 50
EACH = 20


def test_fifty_threads_posting_at_once_lose_nothing() -> None:
    """Loopback only, bounded: 50 threads x 20 small envelopes, each request given 30 s at most,
    each thread joined within 120 s."""
    received: list[bytes] = []
    lock = threading.Lock()

    def store(raw: bytes, key: str) -> None:
        with lock:
            received.append(raw)

    statuses: dict[str, list[int]] = {}
    start = threading.Barrier(SENDERS)

    def sender(name: str, server: SentryServer) -> None:
        url = f"http://127.0.0.1:{server.port}/api/1/envelope/"
        auth = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
        start.wait(timeout=30)
        with httpx.Client(timeout=30) as client:
            for n in range(EACH):
                body = b'{}\n{"type":"event"}\n{"message":"%s-%d"}\n' % (name.encode(), n)
                statuses[name].append(client.post(url, content=body, headers=auth).status_code)

    with SentryServer(store) as server:
        threads = []
        for t in range(SENDERS):
            statuses[f"t{t}"] = []
            threads.append(threading.Thread(target=sender, args=(f"t{t}", server), daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [thread.name for thread in threads if thread.is_alive()] == []
        assert (server.accepted, server.rejected) == (SENDERS * EACH, 0)
    assert statuses == {f"t{t}": [200] * EACH for t in range(SENDERS)}
    messages = sorted(json.loads(raw.split(b"\n")[2])["message"] for raw in received)
    assert messages == sorted(f"t{t}-{n}" for t in range(SENDERS) for n in range(EACH))
