"""The plugin's fixed cost per pytest process (never asserted in tests).

F1: a 4-test suite that never imports sentry-sdk, run as a whole pytest process with the plugin
    and with ``-p no:sentry_check``, in interleaved pairs. Printed: the median extra wall time
    and CPU time per process, and the modules the plugin added. Target (issue 18): <= 50 ms per
    process with Django and sentry-relay installed (``sentry_sdk.spotlight`` imports
    ``django.http`` when Django is installed: the plugin must not import either at start-up).
F2: the same with a suite that imports and initialises sentry-sdk (the SDK's own import is
    then paid by both sides).

Run it with the Python of the environment to measure (the installed plugin is measured):
``python benchmarks/bench_startup.py [--pairs 10]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_capture import child_cpu  # benchmarks/ is the script's folder, first on sys.path

SUITES = {
    "F1 (never imports sentry-sdk)": "def test_a():\n    pass\n",
    "F2 (imports and inits sentry-sdk)": (
        'import sentry_sdk\nsentry_sdk.init(dsn="http://publickey@127.0.0.1:9/1")\ndef test_a():\n    pass\n'
    ),
}

RECORD_MODULES = """
import json, sys

def pytest_sessionfinish(session):
    with open("modules.json", "w") as f:
        json.dump(sorted(sys.modules), f)
"""

_PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist"]


def _run(folder: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float]:
    before_wall, before_cpu = time.perf_counter(), child_cpu()
    subprocess.run(
        [sys.executable, "-m", "pytest", *_PYTEST_ARGS, *extra, "."],
        check=True,
        capture_output=True,
        env=env,
        cwd=folder,
    )
    return time.perf_counter() - before_wall, child_cpu() - before_cpu


def fixed_cost(body: str, pairs: int) -> tuple[float, float, float, list[str]]:
    """Median extra wall and CPU seconds per process, the median base wall time, and the modules
    the plugin added."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    sides = {"with": [], "without": ["-p", "no:sentry_check"]}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "conftest.py").write_text(RECORD_MODULES)
        for n in range(4):
            (folder / f"test_s{n}.py").write_text(body)
        modules: dict[str, set[str]] = {}
        for side, extra in sides.items():  # bytecode caches; the modules each side imports
            _run(folder, extra, env)
            modules[side] = set(json.loads((folder / "modules.json").read_text()))
        wall: dict[str, list[float]] = {"with": [], "without": []}
        cpu: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(pairs):
            for side, extra in sides.items():
                seconds, cpu_seconds = _run(folder, extra, env)
                wall[side].append(seconds)
                cpu[side].append(cpu_seconds)
    extra_wall = statistics.median(w - wo for w, wo in zip(wall["with"], wall["without"], strict=True))
    extra_cpu = statistics.median(c - co for c, co in zip(cpu["with"], cpu["without"], strict=True))
    return (
        extra_wall,
        extra_cpu,
        statistics.median(wall["without"]),
        sorted(modules["with"] - modules["without"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    installed = [m for m in ("django", "sentry_relay", "fastapi") if importlib.util.find_spec(m) is not None]
    print(f"installed: {', '.join(installed) or 'none of django, sentry_relay, fastapi'}")
    for label, body in SUITES.items():
        extra_wall, extra_cpu, base, added = fixed_cost(body, args.pairs)
        foreign = [m for m in added if not m.startswith("pytest_sentry_check")]
        print(
            f"{label}: +{extra_wall * 1e3:.0f} ms wall, +{extra_cpu * 1e3:.0f} ms CPU per process "
            f"(median of {args.pairs} pairs; base {base * 1e3:.0f} ms; target <= 50 ms); "
            f"{len(added)} modules added, {len(foreign)} outside the plugin"
            + (f": {', '.join(foreign[:8])}" if foreign else "")
        )


if __name__ == "__main__":
    main()
