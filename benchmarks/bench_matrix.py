"""Every cost figure of issue 18 in one run, each printed with its configuration (never asserted).

Builds four lean virtual environments: the plugin installed editable from this checkout or from
a wheel built from it, each with and without the ``relay`` extra; all four with FastAPI, httpx,
uvicorn and Django (the fixed-cost target's setting) and nothing else of the test extra. Then:

- P1 in each of the four: a 2,000-test suite that inits sentry-sdk and one that never imports it,
  with bytecode written and with ``PYTHONDONTWRITEBYTECODE=1``: the median of ``--pairs``
  interleaved pairs of whole runs (CPU time), and with ``--instructions`` an instruction count
  (valgrind, one memory layout; about 40 minutes more);
- F1 and F2, the fixed cost per pytest process of a 4-test suite (``bench_startup.py``), in each;
- E1, the event-heavy suite (``bench_event_heavy.py``): without Relay in the editable venv
  without the extra, with Relay in the one with it;
- P2 (``bench_capture.py``: FastAPI events through the plugin vs a list-append transport),
  P3 (``bench_scan.py``: the gate's scan vs Relay's own scrubbing, on the same items) and
  P4 (``bench_validate.py``: what validation adds to capturing an error event), in the editable
  venv with the relay extra.

Each script's own lines are echoed as they come; a table of the ratios ends the run.

Usage: python benchmarks/bench_matrix.py [--dir DIR] [--pairs 10] [--instructions] [--quick]
[--only-instructions]
(``--dir`` keeps the venvs for another run; ``--quick``: 3 pairs, smaller E1, for a try;
``--only-instructions``: only P1's instruction counts, the figures CPU noise cannot move.)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
#: What every venv gets besides the plugin: the frameworks of the targets' settings.
COMMON = ["fastapi>=0.110", "httpx>=0.27", "uvicorn>=0.29", "django>=4.2"]
CONFIGS = {
    "editable, relay extra": ("editable", True),
    "editable, no relay": ("editable", False),
    "wheel, relay extra": ("wheel", True),
    "wheel, no relay": ("wheel", False),
}


def _venv(folder: Path, name: str, install: str, relay: bool, wheel: Path | None) -> Path:
    """A venv with the plugin (editable or from ``wheel``) and ``COMMON``; its Python."""
    where = folder / re.sub(r"\W+", "-", name)
    python = where / "bin" / "python"
    if python.exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    extras = "server,bench" if relay else "server"
    target = f"{ROOT}[{extras}]" if install == "editable" else f"{wheel}[{extras}]"
    command = [str(python), "-m", "pip", "install", "-q", *(["-e"] if install == "editable" else []), target]
    subprocess.run([*command, *COMMON], check=True)
    if not relay:  # the bench extra would have brought it; the server extra does not
        subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "sentry-relay"], check=False)
    return python


def _wheel(folder: Path) -> Path:
    out = folder / "wheel"
    if not list(out.glob("*.whl")):
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)], check=True
        )
    return next(out.glob("*.whl"))


def _script(python: Path, script: str, *args: str) -> str:
    """Run one benchmark script with ``python``, from a neutral folder (so the checkout is not
    imported in place of the installed plugin); its output, echoed."""
    with tempfile.TemporaryDirectory() as neutral:
        run = subprocess.run(
            [str(python), str(BENCH / script), *args],
            check=False,  # a script that fails: its error is printed, the matrix goes on
            capture_output=True,
            text=True,
            cwd=neutral,
            env={"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(Path.home())},
        )
    output = run.stdout + (run.stderr if run.returncode else "")
    for line in output.splitlines():
        print(f"    {line}", flush=True)
    return output


def _ratio(output: str, label: str = "ratio") -> str:
    found = re.findall(rf"{label} (\d+\.\d+)", output)
    return found[-1] if found else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where the venvs go (kept); default: a temporary folder")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--instructions", action="store_true", help="also count P1 in instructions")
    parser.add_argument("--quick", action="store_true", help="3 pairs, 200-test E1: to try the script")
    parser.add_argument("--only-instructions", action="store_true", help="only P1's instruction counts")
    args = parser.parse_args()
    args.instructions = args.instructions or args.only_instructions
    pairs = 3 if args.quick else args.pairs
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.dir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        wheel = _wheel(folder)
        pythons = {
            name: _venv(folder, name, install, relay, wheel) for name, (install, relay) in CONFIGS.items()
        }
        table: list[tuple[str, str, str]] = []
        for name, python in pythons.items():
            print(f"== {name} ({python.parent.parent})", flush=True)
            for suite in ("inits-sdk", "no-sdk"):
                for bytecode in (True, False):
                    flags = ["--suite", suite, *([] if bytecode else ["--no-bytecode"])]
                    cell = f"P1 {suite}, bytecode {'written' if bytecode else 'not written'}"
                    if not args.only_instructions:
                        out = _script(python, "bench_capture.py", "--pairs", str(pairs), *flags)
                        table.append((name, cell, _ratio(out)))
                    if args.instructions:
                        out = _script(python, "bench_capture.py", "--instructions", "--layouts", "1", *flags)
                        table.append((name, f"{cell}, instructions", _ratio(out)))
            if args.only_instructions:
                continue
            out = _script(python, "bench_startup.py", "--pairs", str(pairs))
            for key in ("F1", "F2"):
                extra = re.search(rf"{key}.*?([+-]\d+) ms wall", out)
                table.append((name, f"{key} extra ms per process", extra.group(1) if extra else "-"))
        if args.only_instructions:
            _summary(table, began)
            return
        e1 = ["--pairs", str(pairs), *(["--tests", "200"] if args.quick else [])]
        for name, relay in (("editable, no relay", "without"), ("editable, relay extra", "with")):
            print(f"== E1, {name}", flush=True)
            out = _script(pythons[name], "bench_event_heavy.py", *e1, "--relay", relay)
            table.append((name, f"E1 {relay} Relay", _ratio(out)))
        python = pythons["editable, relay extra"]
        print("== P2, P3, P4 (editable, relay extra)", flush=True)
        out = _script(python, "bench_capture.py", "--tests", "20", "--rounds", "3", "--events", "1000")
        table.append(("editable, relay extra", "P2 capture vs list-append", _ratio(out)))
        out = _script(python, "bench_scan.py", "--rounds", "3")
        speed = re.search(r"ratio \(Relay time / ours\): (\d+\.\d)x", out)  # the first: ordinary items
        table.append(
            (
                "editable, relay extra",
                "P3 scan speed vs Relay (ordinary)",
                f"{speed.group(1)}x" if speed else "-",
            )
        )
        out = _script(python, "bench_validate.py", "--events", "200")
        table.append(("editable, relay extra", "P4 (capture + validation) / capture", _ratio(out)))
    _summary(table, began)


def _summary(table: list[tuple[str, str, str]], began: float) -> None:
    print(f"\n== summary ({(time.perf_counter() - began) / 60:.0f} min)")
    width = max(len(cell) for _, cell, _ in table)
    for name, cell, value in table:
        print(f"{name:22}  {cell:{width}}  {value}")


if __name__ == "__main__":
    main()
