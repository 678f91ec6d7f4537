"""The public API's types, as a user's type checker sees them: mypy --strict over two files.

- ``api_usage.py``: the documented usage, fully annotated, with ``assert_type`` on what each call
  returns; mypy must report nothing.
- ``api_misuse.py``: mistakes the types must catch, each line marked ``# E: <fragment>``; mypy
  must report exactly those lines, with those fragments. Lines marked ``# GAP: ...`` are known
  gaps of the public types: they must still pass unnoticed until the package is fixed.

mypy reads the project's configuration (``[tool.mypy]`` in pyproject.toml: ``strict``, the
oldest supported ``python_version``, the settings for sentry-sdk and the optional imports).
Errors mypy reports inside the package itself are the ``type`` tox environment's business and
are ignored here; only the two files' own errors count.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the typing test needs mypy (pip install -e '.[lint]')")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
USAGE = HERE / "api_usage.py"
MISUSE = HERE / "api_misuse.py"

# path:line: severity: message  [code]   (a column after the line, if the configuration asks for it)
_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?:\d+:)? (?P<severity>error|note|warning): (?P<text>.*)$")
_MARKER = re.compile(r"^#\s*(?P<kind>E|GAP):\s*(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class Message:
    path: Path
    line: int
    severity: str
    text: str

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.severity}: {self.text}"


@dataclass(frozen=True)
class MypyRun:
    returncode: int
    output: str
    messages: list[Message]

    def errors_in(self, path: Path) -> list[Message]:
        return [m for m in self.messages if m.severity == "error" and m.path == path]

    def report(self) -> str:
        return f"mypy exited {self.returncode}; its output:\n{self.output}"


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module's runs (the second run reuses what the first one analysed)."""
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(target: Path, cache_dir: Path) -> MypyRun:
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--strict",
        "--cache-dir",
        str(cache_dir),
        "--no-color-output",
        "--show-error-codes",
        "--hide-error-context",
        "--no-pretty",
        str(target.relative_to(ROOT)),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    output = (result.stdout + result.stderr).strip()
    messages = []
    for line in result.stdout.splitlines():
        match = _LINE.match(line)
        if match:
            path = (ROOT / match["path"]).resolve()
            messages.append(Message(path, int(match["line"]), match["severity"], match["text"]))
    run = MypyRun(result.returncode, output, messages)
    # 0: no error, 1: errors; anything else (2: a crash, a blocking error such as a syntax error
    # anywhere in what it reads, a bad option) means the file was not checked at all.
    assert result.returncode in (0, 1), run.report()
    assert output, run.report()
    return run


@dataclass(frozen=True)
class Expectations:
    errors: dict[int, list[str]]  # line -> fragments, each in one of the line's errors
    gaps: dict[int, str]  # line -> the known gap


def read_markers(path: Path) -> Expectations:
    """The ``# E:`` / ``# GAP:`` markers, by the line they apply to: their own line, or for a
    comment alone on its line, the next line of code."""
    errors: dict[int, list[str]] = {}
    gaps: dict[int, str] = {}
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        marker = _MARKER.match(token.string)
        if marker is None:
            continue
        line = token.start[0]
        if not lines[line - 1][: token.start[1]].strip():  # alone on its line: the next code line
            while line < len(lines) and (not lines[line].strip() or lines[line].lstrip().startswith("#")):
                line += 1
            line += 1
        assert marker["text"], f"{path.name}:{token.start[0]}: an empty {marker['kind']}: marker"
        if marker["kind"] == "E":
            errors.setdefault(line, []).append(marker["text"])
        else:
            gaps[line] = marker["text"]
    return Expectations(errors, gaps)


def test_documented_usage_type_checks(mypy_cache: Path) -> None:
    """Every documented use of the public API passes mypy --strict, and every ``assert_type``
    (what each call returns) holds."""
    run = run_mypy(USAGE, mypy_cache)
    errors = run.errors_in(USAGE)
    assert not errors, (
        f"mypy --strict finds {len(errors)} error(s) in the documented usage of the public API:\n"
        + "\n".join(f"  {error}" for error in errors)
        + "\n\n"
        + run.report()
    )


def test_misuse_is_rejected(mypy_cache: Path) -> None:
    """mypy --strict reports exactly the lines marked ``# E:`` of ``api_misuse.py``, each with an
    error containing its fragment; ``# GAP:`` lines (known gaps) still pass."""
    expected = read_markers(MISUSE)
    assert len(expected.errors) >= 20, "api_misuse.py lost its # E: markers"
    run = run_mypy(MISUSE, mypy_cache)
    found: dict[int, list[Message]] = {}
    for error in run.errors_in(MISUSE):
        found.setdefault(error.line, []).append(error)

    problems: list[str] = []
    for line, fragments in sorted(expected.errors.items()):
        messages = found.get(line, [])
        for fragment in fragments:
            if not any(fragment in message.text for message in messages):
                got = "; ".join(message.text for message in messages) or "no error"
                problems.append(f"line {line}: expected an error containing {fragment!r}, got: {got}")
    for line, gap in sorted(expected.gaps.items()):
        for message in found.get(line, []):
            problems.append(
                f"line {line}: the known gap ({gap}) is caught now ({message.text}): "
                "replace its '# GAP:' marker with '# E: <fragment of that message>'"
            )
    for line, messages in sorted(found.items()):
        if line not in expected.errors and line not in expected.gaps:
            problems.extend(f"line {line}: unexpected error: {message.text}" for message in messages)

    assert not problems, (
        f"mypy --strict on {MISUSE.name} differs from its markers:\n"
        + "\n".join(f"  {problem}" for problem in problems)
        + "\n\n"
        + run.report()
    )
