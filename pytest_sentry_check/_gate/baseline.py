"""Baseline files: findings a legacy suite accepted, by fingerprint (never a value)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .finding import GateFinding, fingerprint

__all__ = ["BASELINE_VERSION", "Baseline", "BaselineError"]

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read."""


class Baseline:
    """Accepted findings, by fingerprint (test, item type, rule, path; never a value)."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), path: str = ""):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        for entry in entries:
            data = {key: str(entry[key]) for key in ("test", "item_type", "rule", "path")}
            self.entries[fingerprint(**data)] = data

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline file; a missing file is an empty baseline (before the first update)."""
        file = Path(path)
        if not file.exists():
            return cls(path=str(path))
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("version") != BASELINE_VERSION:
                version = data.get("version")
                raise BaselineError(f"unsupported version {version!r} (expected {BASELINE_VERSION})")
            return cls(data["findings"], path=str(path))
        except OSError as exc:
            raise BaselineError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BaselineError(f"{path}: not a pytest-sentry-check baseline ({exc})") from None
        except BaselineError as exc:
            raise BaselineError(f"{path}: {exc}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def updated(self, findings: Iterable[GateFinding], tests_run: Iterable[str]) -> Baseline:
        """This baseline with the entries of the tests that ran replaced by their current findings."""
        ran = set(tests_run)
        kept = [entry for entry in self.entries.values() if entry["test"] not in ran]
        current = [
            {"test": f.test, "item_type": f.finding.item_type, "rule": f.finding.rule, "path": f.finding.path}
            for f in findings
            if f.status in ("failed", "warned", "baselined")
        ]
        return Baseline([*kept, *current], path=self.path)

    def write(self, path: str | os.PathLike[str]) -> None:
        entries = sorted(
            self.entries.values(), key=lambda e: (e["test"], e["item_type"], e["path"], e["rule"])
        )
        text = json.dumps(
            {"version": BASELINE_VERSION, "tool": "pytest-sentry-check", "findings": entries}, indent=2
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
