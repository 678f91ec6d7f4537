"""Every value of an item with what the rules need to judge it, in one pass, paths built on demand.

The walk carries down what each value inherits from the keys above it, so nothing is looked up
again per value: whether the place is safe (SDK metadata, ids, source code), and the nearest
sensitive name above it. A value's path is a chain of links, made a tuple only for a finding:
a path copied at every level would make a deep structure quadratic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pytest_sentry_check._model.items import PathLink, key_text, ordered_members

__all__ = ["SAFE_KEYS", "Value", "is_safe_path", "unbytes", "values_of"]

# Safe by place: identifiers, SDK metadata and timestamps are never personal data.
_SAFE_TOP = frozenset(
    {"event_id", "sdk", "modules", "debug_meta", "_meta", "platform", "timestamp", "start_timestamp",
     "release", "dist", "received", "type", "level", "logger", "environment", "breakdowns", "measurements",
     "_metrics_summary", "spans_truncated"}
)  # fmt: skip
SAFE_KEYS = frozenset(
    {"trace_id", "span_id", "parent_span_id", "segment_id", "profile_id", "event_id", "sentry-trace",
     "baggage", "traceparent", "tracestate", "timestamp", "start_timestamp", "thread_id", "sample_rate",
     "sample_rand", "public_key", "abs_path", "filename", "module", "function", "package", "lineno",
     "colno", "context_line", "pre_context", "post_context", "instruction_addr", "in_app"}
)  # fmt: skip
# not "response" (Set-Cookie headers) nor "otel" (attributes): those carry data
_SAFE_CONTEXTS = frozenset({"trace", "runtime", "os", "device", "app", "culture", "profile"})
# keys whose lists hold source code, not data, and keys naming a release: safe with their children
_SAFE_PARENTS = frozenset({"pre_context", "post_context", "release", "sentry.release", "sentry.environment"})

# Where a container sits, for what its children inherit. Only the first levels are special:
# "contexts.<safe>" is safe, and "contexts.trace" is, except its "data".
_NORMAL, _SAFE, _ROOT, _CONTEXTS, _TRACE = range(5)
_SCALARS = frozenset({str, int, float, bool, type(None)})
_NESTED = frozenset({dict, list})  # a [name, value] pair's value is no container
# Smaller subtrees cost more to serialize and match than to walk: they are walked.
_WORTH_A_LOOK = 4

#: One value: ``(value, key, link, safe, name_above)``. ``key`` is the dict key it is under (or the
#: name of a ``[name, value]`` pair, or its list's key); ``safe`` says no field or pattern rule
#: applies there; ``name_above`` is the nearest sensitive term of the keys above it.
Value = tuple[Any, str, PathLink, bool, "str | None"]


def _zone(zone: int, segment: str) -> int:
    if zone in (_NORMAL, _SAFE):
        return zone
    if zone == _ROOT:
        return _SAFE if segment in _SAFE_TOP else _CONTEXTS if segment == "contexts" else _NORMAL
    if zone == _CONTEXTS:
        return _TRACE if segment == "trace" else _SAFE if segment in _SAFE_CONTEXTS else _NORMAL
    return _NORMAL if segment == "data" else _SAFE  # inside contexts.trace


def unbytes(text: str) -> str:
    """``b'Bearer x'`` (the SDK's repr of a bytes value) to ``Bearer x``."""
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        return text[2:-1]
    return text


def is_safe_path(path: tuple[str, ...], key: str = "") -> bool:
    """Whether no field or pattern rule applies at ``path`` (for paths from elsewhere)."""
    zone = _ROOT
    for segment in path:
        zone = _zone(zone, segment)
    if not path:
        return False
    parent = path[-2] if len(path) > 1 else ""
    return (
        zone in (_SAFE, _TRACE)
        or path[-1] in SAFE_KEYS
        or unbytes(key) in SAFE_KEYS
        or path[-1] in _SAFE_PARENTS
        or parent in _SAFE_PARENTS
    )


def values_of(
    payload: Any,
    name_of: Callable[[str], str | None] | None,
    keys: list[tuple[str, PathLink, bool]] | None,
    *,
    may_cycle: bool,
    may_hold: Callable[[Any], bool] | None = None,
) -> Iterator[Value]:
    """Every scalar in ``payload`` in document order. ``name_of`` gives the sensitive term of a
    key (None: names are not needed); ``keys`` collects every dict key with its value's link and
    whether that place is safe; ``may_cycle``: the payload may contain itself (not parsed JSON).
    ``may_hold(subtree)``: False skips an object or list of 4 or more entries (not under a sensitive name)
    whose own text cannot hold a finding: most of a large event, when one breadcrumb leaks."""
    # (node, key, link, segment, parent segment, zone, sensitive name above)
    stack: list[tuple[Any, str, PathLink, str, str, int, str | None]] = [
        (payload, "", None, "", "", _ROOT, None)
    ]
    seen: set[int] = set()
    while stack:
        node, key, link, segment, parent, zone, above = stack.pop()
        kind = type(node)
        if (
            kind is dict
            or kind is list
            or kind is tuple
            or (may_cycle and isinstance(node, (Mapping, list, tuple)))
        ):
            if may_cycle:
                if id(node) in seen:  # a structure that contains itself: visit it once
                    continue
                seen.add(id(node))
            if name_of is not None and segment:
                above = name_of(segment) or above
            if kind is dict or isinstance(node, Mapping):
                children = []
                for k, child in node.items():
                    text = k if type(k) is str else key_text(k)
                    child_link = (link, text)
                    child_zone = zone if zone <= _SAFE else _zone(zone, text)
                    if keys is not None:
                        safe = child_zone in (_SAFE, _TRACE) or text in SAFE_KEYS or text in _SAFE_PARENTS
                        keys.append((text, child_link, safe or segment in _SAFE_PARENTS))
                    if (
                        may_hold is not None
                        and type(child) in _NESTED
                        and len(child) >= _WORTH_A_LOOK
                        and not above
                        and not (name_of is not None and name_of(text))
                        and not may_hold(child)
                    ):
                        continue
                    children.append((child, text, child_link, text, segment, child_zone, above))
            else:
                pair = len(node) == 2 and type(node[0]) is str and type(node[1]) not in _NESTED
                children = []
                for i, child in enumerate(node):
                    index = str(i)
                    name = (node[0] or key) if pair and i == 1 else key
                    child_zone = zone if zone <= _SAFE else _zone(zone, index)
                    if (
                        may_hold is not None
                        and type(child) in _NESTED
                        and len(child) >= _WORTH_A_LOOK
                        and not above
                        and not may_hold(child)
                    ):
                        continue
                    children.append((child, name, (link, index), index, segment, child_zone, above))
            children.reverse()
            stack.extend(children)
            continue
        if kind in _SCALARS:
            pass
        elif isinstance(node, (set, frozenset)):  # a plain dict target may hold any Python value
            members = ordered_members(node)
            stack.extend(
                (child, key, (link, str(i)), str(i), segment, _zone(zone, str(i)), above)
                for i, child in reversed(list(enumerate(members)))
            )
            continue
        elif isinstance(node, (bytes, bytearray)):
            node = bytes(node).decode("utf-8", "replace")
        safe = (
            zone in (_SAFE, _TRACE)
            or segment in SAFE_KEYS
            or segment in _SAFE_PARENTS
            or parent in _SAFE_PARENTS
            or key in SAFE_KEYS
            or (key[:2] in ("b'", 'b"') and unbytes(key) in SAFE_KEYS)
        )
        yield node, key, link, safe, above
