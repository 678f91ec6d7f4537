"""Would Sentry keep it? Relay's own normalizer over captured events, plus Sentry's documented
limits that the normalizer does not flag.

The normalizer runs with trimming on, as at ingestion, so Relay itself says where Sentry keeps
fewer items than were sent (stack frames beyond 250) or cuts a value to its size limit. Frame
locals (``vars``) are left out of what Relay reads: Sentry cuts long locals as a matter of
course, and they are most of an error event's bytes.

Relay (``sentry-relay`` on PyPI, the ``relay`` extra) is imported on first use only: the core
never needs it, and its licence and platforms make it optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._masking import mask_secrets, shorten

from .item_types import is_event_like
from .items import ScanTarget

__all__ = ["Problem", "assert_valid", "validate"]

_DOCS = doc_url("validation.md", "what-is-checked")
TAG_KEY_MAX = 32
#: "Events that exceed 200KB compressed or 1MB decompressed will be rejected" (Sentry's size limits).
EVENT_MAX_BYTES = 1_000_000
TAG_VALUE_MAX = 200
_TAG_KEY_CHARS = re.compile(r"^[a-zA-Z0-9_.:-]+$")
_orjson: Any
try:
    import orjson as _orjson
except ImportError:
    _orjson = None
#: Reads Relay's answer (always valid JSON): orjson where installed, several times faster.
_loads: Any = _orjson.loads if _orjson is not None else json.loads


@dataclass(frozen=True)
class Problem:
    """Something in an event that Sentry would reject, drop or cut.

    Attributes:
        path: where in the event (``contexts.feature``, ``tags.release-train-name-...``).
        reason: why, in Relay's words or the documented limit's.
        preview: the offending value, shortened, secrets masked.
        source: ``relay`` (Relay's normalizer said so) or ``limit`` (a documented Sentry limit).
        item_type: ``event`` or ``transaction``.
    """

    path: str
    reason: str
    preview: str
    source: str
    item_type: str = "event"

    def __str__(self) -> str:
        origin = "Relay" if self.source == "relay" else "Sentry's limits"
        return f"{self.item_type}:{self.path}: {self.reason} (got {self.preview}) [{origin}]"


_normalizers: dict[type, Any] = {}


def _normalizer() -> Any:
    """Relay's normalizer, made once per class (it holds only its configuration)."""
    try:
        from sentry_relay.processing import StoreNormalizer
    except ImportError:
        raise RuntimeError(
            "validating events needs Relay's normalizer: pip install 'pytest-sentry-check[relay]' "
            "(sentry-relay wheels exist for Linux and macOS)"
        ) from None
    normalizer = _normalizers.get(StoreNormalizer)
    if normalizer is None:
        normalizer = _normalizers[StoreNormalizer] = StoreNormalizer(enable_trimming=True)
    return normalizer


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return shorten(mask_secrets(text).replace("\n", "\\n").replace("\r", "\\r"), 60)


_TAG_INDEX = re.compile(r"^tags\.(\d+)\.([01])$")


def _readable(path: str, normalized: Mapping[str, Any]) -> str:
    """Relay names a tag by its index in its sorted list: name it by its key instead."""
    match = _TAG_INDEX.match(path)
    tags = normalized.get("tags")
    if match and isinstance(tags, list) and int(match.group(1)) < len(tags):
        pair = tags[int(match.group(1))]
        if isinstance(pair, list) and pair:
            key = shorten(str(pair[0]), 40)
            return f"tags.{key}" if match.group(2) == "1" else f"tags.{key} (the key)"
    return path


def _tags(payload: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    tags = payload.get("tags")
    if isinstance(tags, Mapping):
        yield from tags.items()
    elif isinstance(tags, list):
        yield from (tuple(pair) for pair in tags if isinstance(pair, (list, tuple)) and len(pair) == 2)


def _json_text(payload: Mapping[str, Any]) -> bytes | None:
    """The payload as compact JSON (UTF-8) for Relay (it would serialize the payload itself);
    ``None`` for what JSON cannot hold."""
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    except (TypeError, ValueError, RecursionError):
        return None


def _size(payload: Mapping[str, Any]) -> int:
    """The payload's size as the SDK sends it (compact JSON, non-ASCII escaped); orjson's
    count where it can make one (a NaN it writes as ``null`` is a byte off: nothing for a 1 MB
    limit)."""
    if _orjson is not None:
        try:
            text = _orjson.dumps(payload, option=_orjson.OPT_NON_STR_KEYS)
        except (TypeError, ValueError):
            pass
        else:
            if text.isascii():
                return len(text)
    try:
        return len(json.dumps(payload, default=repr, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):
        return 0


def _without_frame_locals(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The payload with its stack frames' local variables (``vars``) left out: what validation
    reports never comes from them (Sentry cuts long locals as a matter of course), and in an
    error event they are most of what Relay would parse. Copies only the path to each frame;
    a ``vars`` that is no object stays, for Relay to flag."""
    changed = False

    def frames_without_locals(stacktrace: Any) -> Any:
        nonlocal changed
        frames = stacktrace.get("frames") if isinstance(stacktrace, Mapping) else None
        if not isinstance(frames, list) or not any(
            isinstance(frame, Mapping) and isinstance(frame.get("vars"), Mapping) for frame in frames
        ):
            return stacktrace
        changed = True
        kept = [
            {k: v for k, v in frame.items() if k != "vars"}
            if isinstance(frame, Mapping) and isinstance(frame.get("vars"), Mapping)
            else frame
            for frame in frames
        ]
        return {**stacktrace, "frames": kept}

    def values_without_locals(container: Any) -> Any:
        values = container.get("values") if isinstance(container, Mapping) else container
        if not isinstance(values, list):
            return container
        values = [
            {**value, "stacktrace": frames_without_locals(value["stacktrace"])}
            if isinstance(value, Mapping) and "stacktrace" in value
            else value
            for value in values
        ]
        return {**container, "values": values} if isinstance(container, Mapping) else values

    copy = dict(payload)
    for key in ("exception", "threads"):
        if key in copy:
            copy[key] = values_without_locals(copy[key])
    if "stacktrace" in copy:
        copy["stacktrace"] = frames_without_locals(copy["stacktrace"])
    return copy if changed else payload


def _limits(payload: Mapping[str, Any], item_type: str) -> Iterator[Problem]:
    size = _size(payload)
    if size > EVENT_MAX_BYTES:
        reason = f"{item_type} of {size / 1e6:.1f} MB: Sentry rejects events over 1 MB decompressed (413)"
        yield Problem("", reason, "-", "limit", item_type)
    for key, value in _tags(payload):
        key_text = str(key)
        where = f"tags.{shorten(key_text, 40)}"
        if len(key_text) > TAG_KEY_MAX:
            yield Problem(
                where, f"tag key longer than {TAG_KEY_MAX} characters", _preview(key_text), "limit", item_type
            )
        elif not _TAG_KEY_CHARS.match(key_text):
            reason = "tag key with characters other than letters, digits, _ . : -"
            yield Problem(where, reason, _preview(key_text), "limit", item_type)
        if isinstance(value, str) and len(value) > TAG_VALUE_MAX:
            reason = f"tag value longer than {TAG_VALUE_MAX} characters"
            yield Problem(where, reason, _preview(value), "limit", item_type)


def validate(target: ScanTarget) -> list[Problem]:
    """What Relay reports as invalid in each event and transaction of ``target``, and what breaks
    Sentry's documented limits (tag keys and values).

    ``target`` is what :func:`~pytest_sentry_check.scan` takes: an ``Event``, ``sentry_events``
    or a collection, an envelope, a dict, or a list of them.
    """
    from .items import items_of

    normalizer = None
    problems: list[Problem] = []
    for item in items_of(target):
        if not is_event_like(item.item_type) or not isinstance(item.payload, Mapping):
            continue
        normalizer = normalizer or _normalizer()
        for_relay = _without_frame_locals(item.payload)
        text = _json_text(for_relay)
        try:
            if text is None:  # Relay's own serialization says what is wrong with it
                normalized = normalizer.normalize_event(dict(for_relay))
            else:
                normalized = normalizer.normalize_event(raw_event=text, json_loads=_loads)
        except Exception as exc:  # Relay rejects the whole item (or it is no JSON at all)
            reason = f"Relay rejects the whole {item.item_type}: {shorten(' '.join(str(exc).split()), 160)}"
            problems.append(Problem("", reason, "-", "relay", item.item_type))
            continue
        seen: set[tuple[str, str]] = set()
        for error in normalized.get("errors") or ():
            if not isinstance(error, Mapping) or error.get("type") != "invalid_data":
                continue
            reason = str(error.get("reason") or error.get("type"))
            path = _readable(str(error.get("name") or ""), normalized)
            if (path, reason) in seen:  # Relay lists some errors twice
                continue
            seen.add((path, reason))
            problems.append(Problem(path, reason, _preview(error.get("value")), "relay", item.item_type))
        limits = list(_limits(item.payload, item.item_type))
        if not any(problem.path == "" for problem in limits):  # not rejected whole for its size
            problems.extend(_trimmed(normalized.get("_meta"), normalized, "", item.item_type))
        problems.extend(limits)
    return problems


def _trimmed(meta: Any, normalized: Any, path: str, item_type: str) -> Iterator[Problem]:
    """Where Relay's trimming kept fewer items, or fewer characters, than were sent (its ``_meta``
    records the original length)."""
    if not isinstance(meta, Mapping):
        return
    node = meta.get("")
    if isinstance(node, Mapping) and isinstance(node.get("len"), int):
        sent = node["len"]
        where = _readable(path, normalized)
        kept = _at(normalized, path)
        if isinstance(kept, list) and len(kept) < sent:
            reason = f"{sent} items: Sentry keeps {len(kept)} (Relay trims the rest)"
            yield Problem(where, reason, "-", "limit", item_type)
        elif isinstance(kept, str) and len(kept) < sent and not path.startswith("tags."):
            # (a tag value has its own rule above, with a clearer message)
            reason = f"{sent} characters: Sentry keeps {len(kept)} (Relay cuts the rest)"
            yield Problem(where, reason, _preview(kept), "limit", item_type)
    for key, child in meta.items():
        if key:
            yield from _trimmed(child, normalized, f"{path}.{key}" if path else str(key), item_type)


def _at(data: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def assert_valid(target: ScanTarget) -> None:
    """``AssertionError`` listing what Sentry would reject or drop in ``target``; ``None`` if nothing."""
    __tracebackhide__ = True
    problems = validate(target)
    if not problems:
        return
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    lines = [f"assert_valid: {count} Sentry would reject or drop:"]
    lines += [f"  {problem}" for problem in problems[:20]]
    if len(problems) > 20:
        lines.append(f"  ... and {len(problems) - 20} more")
    lines.append(f"Fix what the application sets there (see {_DOCS}).")
    raise AssertionError("\n".join(lines))
