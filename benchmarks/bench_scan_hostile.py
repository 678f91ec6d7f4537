"""Scan time of inputs built to be slow, in seconds per MB (printed; never asserted in tests).

- ``-eyJ`` runs with a ``.eyJ`` at the end (the JWT rule's trigger fires, then its regex runs);
- a 5 MB item of ordinary text (over the prefilter's 4 MiB one-pass limit);
- a structure 100,000 levels deep.

Usage: python benchmarks/bench_scan_hostile.py
"""

from __future__ import annotations

import time
from typing import Any

from pytest_sentry_check import scan


def _deep(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth):
        node["c"] = {}
        node = node["c"]
    return root


CASES: dict[str, tuple[Any, float]] = {
    "-eyJ runs, 1 MB": ({"extra": {"x": "-eyJ" * 250_000 + ".eyJ"}}, 1.0),
    "ordinary text, 5 MB in 5,000 values": (
        {"extra": {f"k{i}": ("clean words and numbers 12345 " * 40)[:1000] for i in range(5000)}},
        5.0,
    ),
    "100,000 levels deep": (_deep(100_000), 0.0),
}


def main() -> None:
    for name, (target, megabytes) in CASES.items():
        start = time.perf_counter()
        findings = scan(target)
        seconds = time.perf_counter() - start
        rate = f", {seconds / megabytes:.2f} s/MB" if megabytes else ""
        print(f"{name}: {seconds:.2f} s{rate}, {len(findings)} findings")


if __name__ == "__main__":
    main()
