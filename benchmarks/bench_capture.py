"""Capture-core overhead, as ratios measured in one run (never asserted in tests).

P1: a 2,000-test trivial suite (which imports and initialises sentry-sdk, as a real suite does)
    with the plugin vs without it (``-p no:sentry_check``). Target <= 1.03.
P2: 2,000 FastAPI error events captured through the plugin vs a bare list-append transport.
    Target <= 1.15.

Each side runs several times, alternating, and the fastest run counts (the machines are noisy).
P1 compares CPU time (user + sys of the pytest process), which the other core's load disturbs
less than wall time; both are printed.
Usage: python benchmarks/bench_capture.py [--tests 2000] [--events 2000] [--rounds 7]
       python benchmarks/bench_capture.py --instructions [--layouts 5]
           [--suite inits-sdk|no-sdk] [--no-bytecode]
       python benchmarks/bench_capture.py --pairs 10 [--suite inits-sdk|no-sdk] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRIVIAL_SUITE = """
import pytest
import sentry_sdk

# Loopback DSN for the run without the plugin: nothing is sent (no test captures anything).
sentry_sdk.init(dsn="http://publickey@127.0.0.1:9/1", release="bench@1.0.0")

@pytest.mark.parametrize("n", range({count}))
def test_trivial(n):
    assert n >= 0
"""

#: The same suite for a project that never uses Sentry in its tests (``--suite no-sdk``).
NO_SDK_SUITE = """
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_trivial(n):
    assert n >= 0
"""

SUITES = {"inits-sdk": TRIVIAL_SUITE, "no-sdk": NO_SDK_SUITE}


#: Both sides run without pytest's cache, xdist and pytest-randomly (in the test extra since the
#: restructure): randomly shuffles with a new seed on every run, so the count would not repeat,
#: and it adds its own per-test work to both sides.
_PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly", "."]


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def paired_cpu(
    command: list[str],
    sides: dict[str, list[str]],
    pairs: int,
    *,
    env: dict[str, str],
    cwd: str | Path,
    check: bool = True,
) -> dict[str, list[float]]:
    """CPU seconds of ``command`` plus each side's arguments, in ``pairs`` interleaved rounds
    (the sides in the given order), after one unmeasured run per side (bytecode caches)."""

    def run(extra: list[str]) -> float:
        before = child_cpu()
        subprocess.run([*command, *extra], check=check, capture_output=True, env=env, cwd=cwd)
        return child_cpu() - before

    for extra in sides.values():
        run(extra)
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(pairs):
        for side, extra in sides.items():
            cpu[side].append(run(extra))
    return cpu


def p1_trivial_suite(count: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Fastest wall time and fastest CPU time (user + sys) of each side, in seconds.

    Bytecode caching is on (a user's machine writes .pyc files; an environment with
    PYTHONDONTWRITEBYTECODE=1 would recompile the plugin on every run but not the packages
    installed before), and one unmeasured run per side warms the caches.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_trivial.py").write_text(TRIVIAL_SUITE.format(count=count))
        base = [sys.executable, "-m", "pytest", "-q", *_PYTEST_ARGS]
        sides: tuple[tuple[str, list[str]], ...] = (("without", ["-p", "no:sentry_check"]), ("with", []))
        for _, extra in sides:
            subprocess.run([*base, *extra], check=True, capture_output=True, env=env, cwd=folder)
        wall: dict[str, list[float]] = {"with": [], "without": []}
        cpu: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(rounds):
            for side, extra in sides:
                start, cpu_start = time.perf_counter(), child_cpu()
                subprocess.run([*base, *extra], check=True, capture_output=True, env=env, cwd=folder)
                wall[side].append(time.perf_counter() - start)
                cpu[side].append(child_cpu() - cpu_start)
    return {side: (min(wall[side]), min(cpu[side])) for side in ("with", "without")}


def p1_pairs(
    count: int, pairs: int, suite: str = "inits-sdk", bytecode: bool = True
) -> tuple[float, float, float]:
    """P1 as the median of ``pairs`` interleaved pairs of whole runs (CPU time, user + sys):
    the median ratio, and the median CPU seconds with and without the plugin. One unmeasured
    run per side first (bytecode caches; with ``bytecode=False`` nothing is written, so the
    plugin's modules come from what was compiled before: a wheel's, or none)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_trivial.py").write_text(SUITES[suite].format(count=count))
        base = [sys.executable, "-m", "pytest", "-q", *_PYTEST_ARGS]
        sides = {"without": ["-p", "no:sentry_check"], "with": []}
        cpu = paired_cpu(base, sides, pairs, env=env, cwd=folder)
    ratios = [w / wo for w, wo in zip(cpu["with"], cpu["without"], strict=True)]
    return statistics.median(ratios), statistics.median(cpu["with"]), statistics.median(cpu["without"])


#: Sizes of a padding environment variable: the process's memory layout, hence object addresses,
#: id-based hashes and the instruction count, moves with the size of its environment (by up to
#: 0.3% of a run between two sizes), so P1 is the median over several layouts.
_LAYOUTS = (1, 7, 23, 61, 150)


def p1_instructions(
    count: int, layouts: int = len(_LAYOUTS), suite: str = "inits-sdk", bytecode: bool = True
) -> None:
    """P1 in instructions executed (valgrind's callgrind): the same count on every run, whatever
    else the machine does. Each side runs the whole ``count``-test suite once per memory layout:
    extrapolating from smaller suites misleads, because a run's full garbage collections come
    in steps.

    pytest runs in the suite's folder (``python -m`` puts the working directory first on
    ``sys.path``: run from a checkout, it would import the checkout, not the installed plugin)
    with a fixed hash seed and a fixed folder name: dict and set layouts, hence the count,
    depend on both, and on the size of the environment (see ``_LAYOUTS``).

    Also printed: the count up to the interpreter's exit (``Py_FinalizeEx``). Without the plugin,
    sentry-sdk's HTTP transport leaves its worker thread running at exit, and an interpreter with
    another thread still alive skips part of its final cleanup; with the plugin no such thread
    exists, so the interpreter frees everything (see benchmarks/README.md).

    ``suite``: ``inits-sdk`` (the suite imports and initialises sentry-sdk) or ``no-sdk``;
    ``bytecode=False`` runs with ``PYTHONDONTWRITEBYTECODE=1`` (no .pyc written; what is already
    compiled, such as a wheel's bytecode that pip compiled at install, is still used).
    """
    ratios: list[float] = []
    exit_ratios: list[float] = []
    rates: list[float] = []
    runs = []
    for padding in _LAYOUTS[:layouts]:
        totals, before_exit, cpu = _instructions(count, padding, suite, bytecode)
        runs.append((totals, before_exit))
        # instructions per µs of the run without the plugin, outside valgrind
        rates.append(totals["without"] / cpu["without"] / 1e6)
        ratios.append(totals["with"] / totals["without"])
        exit_ratios.append(before_exit["with"] / before_exit["without"])
    totals, before_exit = runs[ratios.index(statistics.median_low(ratios))]
    overhead = (totals["with"] - totals["without"]) / count / 1e3
    print(
        f"P1 in instructions, {count} tests ({_install_kind()}, suite {suite}, bytecode "
        f"{'written' if bytecode else 'not written'}): ratio {statistics.median(ratios):.4f} "
        f"(median of {len(ratios)} memory layouts: {', '.join(f'{r:.4f}' for r in ratios)}; target <= 1.03); "
        f"overhead {overhead:.0f} k instructions per test, start-up included"
    )
    print(
        f"  up to the interpreter's exit: ratio {statistics.median(exit_ratios):.4f} "
        "(without the plugin, sentry-sdk's worker thread is alive at exit: part of the cleanup is skipped)"
    )
    # the same suite with one test gives the start-up; the rest is the per-test path
    single, single_before_exit, _ = _instructions(1, _LAYOUTS[0], suite, bytecode)
    start_up = single["with"] - single["without"]
    per_test = (totals["with"] - totals["without"] - start_up) / (count - 1) / 1e3
    per_test_before_exit = (
        (
            before_exit["with"]
            - before_exit["without"]
            - (single_before_exit["with"] - single_before_exit["without"])
        )
        / (count - 1)
        / 1e3
    )
    rate = statistics.median(rates)
    print(
        f"  start-up (a 1-test run): {start_up / 1e6:.0f} M instructions; per test after it: "
        f"{per_test:.0f} k ({per_test_before_exit:.0f} k up to the interpreter's exit), "
        f"{per_test * 1e3 / rate:.1f} µs at this machine's {rate:.0f} instructions per µs "
        "(the run without the plugin, outside valgrind; target <= 10 µs)"
    )


def _instructions(
    count: int, padding: int, suite: str = "inits-sdk", bytecode: bool = True
) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
    """Instructions of a whole run of the ``count``-test suite, and up to the interpreter's exit,
    without and with the plugin, with an environment padded by ``padding`` characters; and the
    CPU seconds of the faster of two runs outside valgrind (what an instruction costs here)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    env["SENTRY_CHECK_BENCH_LAYOUT"] = "x" * padding
    totals: dict[str, int] = {}
    before_exit: dict[str, int] = {}
    cpu: dict[str, float] = {}
    folder = Path(tempfile.gettempdir(), f"pytest-sentry-check-p1-{count}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        Path(folder, "test_trivial.py").write_text(SUITES[suite].format(count=count))
        command = [sys.executable, "-m", "pytest", "-q", *_PYTEST_ARGS]
        with tempfile.TemporaryDirectory() as out:
            profile = Path(out, "callgrind.out")
            valgrind = [
                "valgrind",
                "--tool=callgrind",
                "--dump-before=Py_FinalizeEx",
                f"--callgrind-out-file={profile}",
            ]
            for side, extra in (("without", ["-p", "no:sentry_check"]), ("with", [])):
                for _ in range(2):  # the cached bytecode, pytest's rewritten modules included
                    before = child_cpu()
                    subprocess.run([*command, *extra], check=True, capture_output=True, env=env, cwd=folder)
                    cpu[side] = min(cpu.get(side, float("inf")), child_cpu() - before)
                run = subprocess.run(
                    [*valgrind, *command, *extra],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                    cwd=folder,
                )
                totals[side] = int(re.search(r"Collected : (\d+)", run.stderr).group(1))  # type: ignore[union-attr]
                # the dump made when Py_FinalizeEx is entered: everything before the exit
                dumped = Path(f"{profile}.1").read_text()
                before_exit[side] = int(re.search(r"^totals: (\d+)", dumped, re.M).group(1))  # type: ignore[union-attr]
                print(
                    f"  {count} tests, layout {padding}, {side} plugin: "
                    f"{totals[side] / 1e6:.0f} M instructions "
                    f"({before_exit[side] / 1e6:.0f} M before the interpreter's exit; "
                    f"{cpu[side]:.2f} s CPU outside valgrind)"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return totals, before_exit, cpu


def _install_kind() -> str:
    """How the measured plugin is installed (a wheel's modules come with compiled bytecode)."""
    from importlib.metadata import distribution

    files = distribution("pytest-sentry-check").files or []
    wheel = any(str(f).replace("\\", "/") == "pytest_sentry_check/__init__.py" for f in files)
    return "installed from a wheel" if wheel else "editable install"


def p2_fastapi_events(count: int, rounds: int) -> tuple[float, float]:
    import sentry_sdk
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sentry_sdk.transport import Transport

    from pytest_sentry_check import capture

    class ListTransport(Transport):
        def __init__(self, options: Any = None) -> None:
            super().__init__(options)
            self.envelopes: list[Any] = []

        def capture_envelope(self, envelope: Any) -> None:
            self.envelopes.append(envelope)

    app = FastAPI()

    @app.post("/orders/{order_id}")
    async def place_order(order_id: str) -> None:
        cart = {"order": order_id, "items": [1, 2, 3]}
        raise RuntimeError(f"stock service down for {cart['order']}")

    def run(transport: Any) -> tuple[float, int]:
        sentry_sdk.init(dsn="https://publickey@o1.ingest.sentry.io/1", transport=transport, release="bench@1")
        with TestClient(app, raise_server_exceptions=False) as client:
            start = time.perf_counter()
            for n in range(count):
                client.post(f"/orders/{n}", headers={"authorization": "Bearer x"})
            elapsed = time.perf_counter() - start
        return elapsed, 0

    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        baseline = ListTransport()
        timings["without"].append(run(baseline)[0])
        assert len(baseline.envelopes) == count, len(baseline.envelopes)
        with capture() as events:
            timings["with"].append(run(None)[0])
            assert len(events) == count, len(events)
    return min(timings["with"]), min(timings["without"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="P1 only, counted in instructions under valgrind (repeatable; needs valgrind, ~12 min)",
    )
    parser.add_argument("--layouts", type=int, default=len(_LAYOUTS), help="with --instructions: 1 to 5")
    parser.add_argument(
        "--suite", choices=sorted(SUITES), default="inits-sdk", help="with --instructions or --pairs"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="with --instructions or --pairs: PYTHONDONTWRITEBYTECODE=1"
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="P1 only, as the median of this many interleaved pairs (CPU time); with --suite, --no-bytecode",
    )
    args = parser.parse_args()
    if args.pairs:
        ratio, with_cpu, without_cpu = p1_pairs(args.tests, args.pairs, args.suite, not args.no_bytecode)
        print(
            f"P1 CPU, {args.tests} tests ({_install_kind()}, suite {args.suite}, bytecode "
            f"{'written' if not args.no_bytecode else 'not written'}): ratio {ratio:.4f} (median of "
            f"{args.pairs} pairs; target <= 1.03); {with_cpu:.2f} s with the plugin, "
            f"{without_cpu:.2f} s without"
        )
        return
    if args.instructions:
        p1_instructions(args.tests, args.layouts, args.suite, bytecode=not args.no_bytecode)
        return

    p1 = p1_trivial_suite(args.tests, args.rounds)
    (wall_with, cpu_with), (wall_without, cpu_without) = p1["with"], p1["without"]
    print(
        f"P1 {args.tests}-test trivial suite: CPU time with plugin {cpu_with:.2f} s, without "
        f"{cpu_without:.2f} s, ratio {cpu_with / cpu_without:.3f} (target <= 1.03); wall time "
        f"{wall_with:.2f} s vs {wall_without:.2f} s, ratio {wall_with / wall_without:.3f}"
    )
    with_p2, without_p2 = p2_fastapi_events(args.events, args.rounds)
    print(
        f"P2 {args.events} FastAPI error events: through the plugin {with_p2:.2f} s, list-append "
        f"transport {without_p2:.2f} s, ratio {with_p2 / without_p2:.3f} (target <= 1.15)"
    )


if __name__ == "__main__":
    main()
