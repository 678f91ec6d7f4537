"""The local ingest server: start and stop times, and envelopes per second (never asserted).

S1: start (until it accepts connections) and stop, fastest and slowest of several rounds, in a
    process that already imported FastAPI and uvicorn, as a test session has. Goal: < 1 s.
S2: one client posting small envelopes over one keep-alive connection, on loopback.

Usage: python benchmarks/bench_server.py [--rounds 5] [--envelopes 2000]
"""

from __future__ import annotations

import argparse
import time

import httpx

from pytest_sentry_check._server.app import SentryServer

ENVELOPE = b'{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"event"}\n{"message":"hi"}\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--envelopes", type=int, default=2000)
    args = parser.parse_args()
    starts, stops = [], []
    for _ in range(args.rounds):
        began = time.perf_counter()
        server = SentryServer(lambda raw, key: None).start()
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        server.stop()
        stops.append(time.perf_counter() - began)
    start, stop = f"{min(starts):.3f}-{max(starts):.3f}", f"{min(stops):.3f}-{max(stops):.3f}"
    print(f"S1 start {start} s, stop {stop} s (goal < 1 s)")
    received: list[bytes] = []
    with SentryServer(lambda raw, key: received.append(raw)) as server:
        url = f"http://127.0.0.1:{server.port}/api/1/envelope/"
        headers = {"X-Sentry-Auth": f"Sentry sentry_key={server.public_key}, sentry_version=7"}
        with httpx.Client() as client:
            began = time.perf_counter()
            for _ in range(args.envelopes):
                client.post(url, content=ENVELOPE, headers=headers)
            elapsed = time.perf_counter() - began
    print(f"S2 {len(received)} envelopes in {elapsed:.2f} s: {len(received) / elapsed:.0f} envelopes/s")


if __name__ == "__main__":
    main()
