"""The local ingest server's memory per request: peak RSS of a server process (never asserted).

Each case starts a fresh server in a child process (default limits unless given), warms it up
with a small envelope, reads its resident memory (``VmRSS`` in /proc/<pid>/status), posts one
body on loopback and reads the child's peak (``VmHWM``). It prints the answer, the peak, the
growth over the warmed-up process, and both as ratios: to the body's decompressed size and to
the largest body the server accepts (``Limits.decompressed``). Target: growth < 4 x the limit.

M1 the issue's bomb: ``{"extra":[[],[],...]}``, 40 MB decompressed, 39 KiB gzipped
M2 the same bomb just under the decompressed limit (refused by the count of JSON values)
M3 the most JSON objects the server accepts (``{"a":0}``: the most memory per value counted)
M4 an event of one string just under the limit, with one character outside Latin-1
M5 an attachment just under the limit, plain (no Content-Encoding)

Usage: python benchmarks/bench_server_memory.py [--only M1 M2 ...] [--decompressed BYTES]
Linux only (/proc). Loopback only; each child is stopped when its case ends.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

CHILD = """
import json, sys
from pytest_sentry_check._server.app import SentryServer
from pytest_sentry_check._server.ingest import Limits
limits = json.loads(sys.argv[1])
server = SentryServer(lambda raw, key: None, limits=Limits(**limits) if limits else None).start()
print(server.port, flush=True)
sys.stdin.read()  # until the parent closes it
server.stop()
"""

SMALL = b'{}\n{"type":"event"}\n{"message":"warm-up"}\n'
MB = 1_000_000


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in bytes."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def _envelope(item_header: bytes, payload: bytes) -> bytes:
    return b"{}\n" + item_header + b"\n" + payload + b"\n"


def _list_bomb(size: int) -> bytes:
    """An event ``{"extra":[[],[],...]}`` of ``size`` bytes with its envelope."""
    head, tail = b'{"extra":[', b"[]]}"
    count = (size - len(_envelope(b'{"type":"event"}', head + tail))) // 3
    return _envelope(b'{"type":"event"}', head + b"[]," * count + tail)


def _objects(budget: int) -> bytes:
    """An event holding as many ``{"a":0}`` as a budget of ``budget`` JSON values takes: each
    counts 2 (its bracket and comma) and takes about 190 bytes parsed, the most per count. The
    headers count 2 each, the event and its list 2."""
    count = (budget - 6) // 2
    return _envelope(b'{"type":"event"}', b'{"extra":[' + b'{"a":0},' * (count - 1) + b'{"a":0}]}')


def _wide_string(size: int) -> bytes:
    """An event of one string (``size`` bytes with its envelope) ending in a character outside
    Latin-1: decoded as a whole, Python would store each of its characters in 4 bytes."""
    head, tail = b'{"message":"', "\U0001f4a5".encode() + b'"}'
    fill = size - len(_envelope(b'{"type":"event"}', head + tail))
    return _envelope(b'{"type":"event"}', head + b"a" * fill + tail)


def _attachment(size: int) -> bytes:
    header = b'{"type":"attachment","filename":"dump.bin","length":%d}'
    fill = size
    for _ in range(3):  # the header's length of the payload's length
        fill = size - len(_envelope(header % fill, b""))
    return _envelope(header % fill, bytes(range(256)) * (fill // 256) + b"\x00" * (fill % 256))


def _run(limits: dict[str, int], body: bytes, headers: dict[str, str]) -> tuple[str, dict[str, int]]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(limits)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        url = f"http://127.0.0.1:{port}/api/1/envelope/"
        auth = {"X-Sentry-Auth": "Sentry sentry_key=5e7c1a2b9d8f4e6a8b0c1d2e3f4a5b6c, sentry_version=7"}
        with httpx.Client(timeout=300) as client:
            for _ in range(3):
                client.post(url, content=SMALL, headers=auth)
            time.sleep(0.2)
            before = _status(child.pid)
            response = client.post(url, content=body, headers={**auth, **headers})
            after = _status(child.pid)
        answer = f"{response.status_code} {response.text[:90]}"
        return answer, {"rss": before["VmRSS"], "hwm_before": before["VmHWM"], "peak": after["VmHWM"]}
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="cases to run (M1 ... M5)")
    parser.add_argument("--decompressed", type=int, default=None, help="Limits.decompressed (and body)")
    args = parser.parse_args()
    from pytest_sentry_check._server.ingest import Limits

    limits: dict[str, int] = {}
    if args.decompressed:
        limits = {"body": args.decompressed, "decompressed": args.decompressed}
    configured = Limits(**limits)
    limit = configured.decompressed
    values = getattr(configured, "json_values", 250_000)
    under = limit - 4096
    plain = min(limit, configured.body) - 4096  # a plain body is its own decompressed size
    gz = {"Content-Encoding": "gzip"}
    cases: dict[str, tuple[str, Callable[[], bytes], dict[str, str]]] = {
        "M1": ("the issue's bomb, 40 MB, gzip", lambda: _list_bomb(40 * MB), gz),
        "M2": (f"the bomb just under the limit ({under:,} bytes), gzip", lambda: _list_bomb(under), gz),
        "M3": (f"a budget of {values:,} JSON values in objects, gzip", lambda: _objects(values), gz),
        "M4": ("one string just under the limit, one wide character, gzip", lambda: _wide_string(under), gz),
        "M5": ("an attachment just under the limits, plain", lambda: _attachment(plain), {}),
    }
    print(f"{sys.version.split()[0]}, limits: {configured}")
    for name, (what, build, headers) in cases.items():
        if args.only and name not in args.only:
            continue
        raw = build()
        body = gzip.compress(raw, compresslevel=6, mtime=0) if headers else raw
        answer, memory = _run(limits, body, headers)
        growth = memory["peak"] - memory["rss"]
        print(
            f"{name} {what}: {len(raw) / MB:.1f} MB decompressed, {len(body) / 1024:,.0f} KiB sent\n"
            f"   answer {answer}\n"
            f"   warmed-up RSS {memory['rss'] / MB:.0f} MB, peak {memory['peak'] / MB:.0f} MB"
            f" (before the request {memory['hwm_before'] / MB:.0f} MB), growth {growth / MB:.0f} MB\n"
            f"   peak / body {memory['peak'] / len(raw):.2f}, growth / body {growth / len(raw):.2f},"
            f" peak / limit {memory['peak'] / limit:.2f}, growth / limit {growth / limit:.2f}"
        )


if __name__ == "__main__":
    main()
