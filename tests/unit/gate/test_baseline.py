"""Baseline without pytest: loading a file that does not exist."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_sentry_check._gate.baseline import Baseline


def test_missing_baseline_file_is_an_empty_baseline(tmp_path: Path) -> None:
    assert len(Baseline.load(tmp_path / "none.json")) == 0
    assert not os.path.exists(tmp_path / "none.json")
