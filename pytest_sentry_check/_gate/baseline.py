"""Baseline files: leak groups a legacy suite accepted, by fingerprint (never a value).

Version 2 stores each group as test, item type, rule and path pattern (list indexes as ``*``),
so a refactor that shifts stack frames keeps every entry matched. Version 1 files (exact paths)
still load: each path is read as its pattern, and the next update writes version 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .finding import GateFinding, fingerprint, generic_path

__all__ = ["BASELINE_VERSION", "Baseline", "BaselineError"]

BASELINE_VERSION = 2
_KEYS = ("test", "item_type", "rule", "pattern")


class BaselineError(Exception):
    """A baseline file that cannot be read."""


class Baseline:
    """Accepted leak groups, by fingerprint (test, item type, rule, path pattern; never a value).

    ``entries`` may hold a version 1 entry's exact ``path`` instead of a ``pattern``: it is
    read as its pattern. ``migrated`` says the file was version 1.
    """

    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), path: str = "", migrated: bool = False):
        self.path = path
        self.migrated = migrated
        self.entries: dict[str, dict[str, str]] = {}
        for entry in entries:
            pattern = entry["pattern"] if "pattern" in entry else generic_path(str(entry["path"]))
            data = {key: str(entry[key]) for key in _KEYS[:3]}
            data["pattern"] = str(pattern)
            self.entries[fingerprint(data["test"], data["item_type"], data["rule"], data["pattern"])] = data

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a baseline file; a missing file is an empty baseline (before the first update)."""
        file = Path(path)
        if not file.exists():
            return cls(path=str(path))
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            version = data.get("version")
            if version not in (1, BASELINE_VERSION):
                raise BaselineError(f"unsupported version {version!r} (expected {BASELINE_VERSION} or 1)")
            return cls(data["findings"], path=str(path), migrated=version == 1)
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
        """This baseline with the entries of the tests that ran replaced by their current groups."""
        ran = set(tests_run)
        kept = [entry for entry in self.entries.values() if entry["test"] not in ran]
        current = [
            {
                "test": f.test,
                "item_type": f.finding.item_type,
                "rule": f.finding.rule,
                "pattern": generic_path(f.finding.path),
            }
            for f in findings
            if f.status in ("failed", "warned", "baselined")
        ]
        return Baseline([*kept, *current], path=self.path)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write it as version :data:`BASELINE_VERSION` (a version 1 file is migrated)."""
        entries = sorted(self.entries.values(), key=lambda e: tuple(e[k] for k in _KEYS))
        text = json.dumps(
            {"version": BASELINE_VERSION, "tool": "pytest-sentry-check", "findings": entries}, indent=2
        )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n", encoding="utf-8")
