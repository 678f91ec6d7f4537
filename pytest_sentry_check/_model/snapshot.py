"""Normalized snapshots of captured records: stable across runs and machines, for syrupy,
inline-snapshot or a plain ``==``.

What varies from run to run is replaced by placeholders:
- ids, numbered by first appearance so that equal ids stay equal (``<span_id:2>``);
- timestamps, durations and thread ids;
- absolute paths (the file name is kept); line numbers and locals of frames outside the app;
- SDK, runtime and package versions, the server name, and memory addresses in reprs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["snapshot"]

_IDS = frozenset(
    {"event_id", "trace_id", "span_id", "parent_span_id", "segment_id", "profile_id", "sid", "profiler_id",
     "replay_id", "check_in_id", "monitor_id"}
)  # fmt: skip
_TIMES = frozenset(
    {"timestamp", "start_timestamp", "received", "started", "duration", "exclusive_time", "init"}
)
_THREADS = frozenset({"thread_id", "thread.id", "thread.name", "sentry.thread.id", "sentry.thread.name"})
_VERSIONS = frozenset({"version", "build", "kernel_version", "raw_description"})
_ID_KINDS = {"parent_span_id": "span_id", "segment_id": "span_id"}
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_THREAD_IDENT = re.compile(r"(started(?: daemon)?) \d+")
_DROPPED = ("modules", "extra.sys.argv", "sdk.packages", "sdk.integrations", "_meta", "debug_meta")


def _placeholder(kind: str, value: Any, seen: dict[tuple[str, str], int]) -> str:
    key = (kind, str(value))
    if key not in seen:
        seen[key] = sum(1 for known in seen if known[0] == kind) + 1
    return f"<{kind}:{seen[key]}>"


def _matches(path: str, patterns: Iterable[str]) -> bool:
    return any(path == pattern or fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def snapshot(
    payload: Mapping[str, Any],
    *,
    keep: Iterable[str] = (),
    drop: Iterable[str] = (),
    seen: dict[tuple[str, str], int] | None = None,
) -> dict[str, Any]:
    """``payload`` with what varies between runs replaced by placeholders.

    Args:
        keep: path globs (``contexts.runtime.*``) left exactly as captured.
        drop: path globs removed (``request.headers.user-agent``).
        seen: the placeholder numbering, shared by the records of one collection (so the
            transaction of an event has the same ``<trace_id:1>``).
    """
    keep, drop = tuple(keep), (*_DROPPED, *drop)
    seen = {} if seen is None else seen

    def walk(value: Any, path: str, key: str, in_app: bool) -> Any:
        if path and _matches(path, keep):
            return value
        if isinstance(value, Mapping):
            is_frame = "in_app" in value
            frame_in_app = value.get("in_app") is True if is_frame else in_app
            return {
                str(k): walk(v, f"{path}.{k}" if path else str(k), str(k), frame_in_app)
                for k, v in sorted(value.items(), key=lambda item: str(item[0]))
                if not _matches(f"{path}.{k}" if path else str(k), drop)
                # the locals of library frames hold pools, threads and queues: never stable
                and not (is_frame and not frame_in_app and k == "vars")
            }
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{path}.{i}", key, in_app) for i, v in enumerate(value)]
        if key in _IDS and value:  # a parent's span id is a span id: they must stay comparable
            return _placeholder(_ID_KINDS.get(key, key), value, seen)
        if key in _TIMES and value is not None:
            return f"<{key}>"
        if key in _THREADS or (key == "id" and ".threads." in f".{path}."):
            return "<thread>"
        if key in ("abs_path", "filename") and isinstance(value, str) and value.startswith("/"):
            return value.rsplit("/", 1)[-1]
        if key in ("lineno", "colno") and not in_app:
            return "<lineno>"
        if key == "server_name" or (key in _VERSIONS and (path.startswith(("sdk.", "contexts.")))):
            return f"<{key}>"
        if isinstance(value, str) and (" at 0x" in value or "started" in value):  # object reprs
            return _THREAD_IDENT.sub(r"\1", _ADDRESS.sub(" at 0x…", value))
        return value

    return walk(dict(payload), "", "", False)  # type: ignore[no-any-return]
