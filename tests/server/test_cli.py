"""The command line: `pytest-sentry-check serve` stores what SDKs send, `scan` gates on it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema
from _envelopes import ENVELOPE
from sentry_sdk.envelope import Envelope

from pytest_sentry_check._gate.reports import REPORT_SCHEMA

SENDER = """
import sys, sentry_sdk
sentry_sdk.init(dsn=sys.argv[1])
sentry_sdk.set_user({"id": "u-1", "email": "ana.lopez@shop.example"})
sentry_sdk.capture_message("checkout failed")
sentry_sdk.flush()
"""


def test_serve_stores_envelopes_and_scan_gates_on_them(tmp_path: Path) -> None:
    store = tmp_path / "envelopes"
    cli = [sys.executable, "-m", "pytest_sentry_check._cli"]
    server = subprocess.Popen([*cli, "serve", "--store", str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("pytest-sentry-check: ingest server on 127.0.0.1:")
        assert lines[2] == f"storing envelopes in {store}"
        dsn = lines[1].removeprefix("DSN: ")
        (tmp_path / "sender.py").write_text(SENDER)
        subprocess.run([sys.executable, "sender.py", dsn], cwd=tmp_path, check=True, timeout=60)
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=20)
    assert server.returncode == 0
    assert "stopped: 1 envelopes stored, 0 requests refused" in out
    [stored] = sorted(store.glob("*.envelope"))
    [item] = Envelope.deserialize(stored.read_bytes()).items
    assert item.payload.json is not None
    assert item.payload.json["message"] == "checkout failed"

    scan = subprocess.run(
        [*cli, "scan", str(store), "--fail-on=medium", "--report", "r.json", "--sarif", "r.sarif"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert scan.returncode == 1, scan.stdout + scan.stderr
    assert scan.stdout.splitlines() == [
        f"{stored}: 1 finding, 1 leak group",
        f"  [medium] email (email address) at event:user.email: ana…[22 chars] in event {item.payload.json['event_id'][:8]}",
        "pytest-sentry-check scan: 1 envelope scanned: 1 finding, 1 leak group (1 failed)",
        "Scope or request data carries them: remove or mask them in before_send.",
    ]
    report = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    assert report["groups"][0]["phase"] == "stored"
    assert "ana.lopez" not in (tmp_path / "r.sarif").read_text()

    allowed = subprocess.run(
        [*cli, "scan", str(store), "--allow", "email"], capture_output=True, text=True, check=False
    )
    assert allowed.returncode == 0
    assert (
        allowed.stdout.splitlines()[-1]
        == "pytest-sentry-check scan: 1 envelope scanned: 1 finding, 1 leak group (1 allowed)"
    )


def test_scan_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_sentry_check._cli", "scan", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"pytest-sentry-check scan: no such file or directory: {tmp_path / 'nowhere'}"
    )


def test_scan_refuses_what_is_not_an_envelope(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "000001-junk.envelope").write_bytes(b"\x00\x01binary junk")
    (store / "000002-dir.envelope").mkdir()
    (store / "000003-ok.envelope").write_bytes(ENVELOPE)
    cli = [sys.executable, "-m", "pytest_sentry_check._cli", "scan"]
    result = subprocess.run([*cli, str(store)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{store / '000001-junk.envelope'}: not scanned: not an envelope: Expecting value: line 1 column 1 (char 0)",
        "pytest-sentry-check scan: 1 envelope scanned: no secret or personal data found; 1 not an envelope",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([*cli, str(empty)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stdout.splitlines()[-1] == f"no *.envelope file in {empty}: nothing was scanned"
