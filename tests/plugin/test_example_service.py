"""The bundled example service's suite (the README's main job) stays green under the plugin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "checkout_service"


def test_example_suite_passes_and_shows_what_was_captured() -> None:
    """Every claim of the example's Sentry module holds; --sentry-summary lists each test's output;
    the gate reports the one known leak as allowed."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--sentry-summary", "-q"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    lines = out.splitlines()
    assert any(line.startswith("19 passed") for line in lines), out
    assert "sentry-check: what each test sent to Sentry" in out
    assert (
        "tests/test_errors.py::test_client_disconnects_are_ignored: 1 transaction, 1 dropped (ignore_errors)"
        in lines
    )
    assert "hunter2" not in out
    # the gate scanned everything; the one known leak is allowed by its test's marker
    gate = lines.index("-" * 24 + " sentry-check: leak gate (fail) " + "-" * 24)
    assert re.fullmatch(
        r"\d+ envelopes from 19 tests scanned: 2 findings in 1 test, 2 leak groups \(2 allowed\)",
        lines[gate + 1],
    )
    # issue #16 item 7: what the known leak is, where, its masked value, and why it is allowed
    test = "tests/test_scrubbing.py::test_a_known_leak_the_gate_reports"
    assert lines[gate + 2 : gate + 4] == [
        "allowed (2 leak groups):",
        f"  {test}: [medium] email (email address) at event:logentry.formatted: ana…[16 chars] in event "
        + lines[gate + 3].split(" in event ")[1],
    ]
    assert lines[gate + 4] == (
        f"    allowed by 'email' (the marker on {test}): known leak: the reset log line names the address "
        "(fix tracked)"
    )
    assert "ana@shop.example" not in out
