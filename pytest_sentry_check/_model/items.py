"""One envelope item's payload, its values with their paths, and the items inside any target.

A *target* is what ``scan``, ``assert_scrubbed`` and ``validate`` take: a sentry-sdk
``Envelope``, raw envelope bytes, a plain dict, a sequence of targets, or any object with an
``envelope_items()`` method (records, ``sentry_events`` and its collections have one). The scanner and the
validator read targets through :func:`items_of` and never import the query stage.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

from sentry_sdk.envelope import Envelope

from .compression import LIMIT, DecompressionError, MiB, decompress_prefix, sniff
from .item_types import event_type_of, item_type
from .rrweb import event_notes

__all__ = [
    "JSON_VALUES",
    "TEXT_WINDOW",
    "HasEnvelopeItems",
    "Leaf",
    "PathLink",
    "ScanItem",
    "ScanTarget",
    "binary_items",
    "encoding_of",
    "items_of",
    "json_of",
    "key_text",
    "mark_parsed",
    "ordered_members",
    "pair_name",
    "path_of",
]


@dataclass(frozen=True)
class Leaf:
    """One value inside an item: its path, the key it is under, and the value."""

    path: tuple[str, ...]
    key: str
    value: Any

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class ScanItem:
    """One envelope item's payload (parsed JSON, or ``bytes`` for an attachment that is no JSON).

    ``json_native``: the payload was parsed from JSON text, so it holds only dicts, lists,
    strings, numbers, booleans and None, and cannot contain itself. Anything else (a dict a
    test built) is read more carefully: cycles, tuples, sets, bytes, hostile ``__str__``.

    ``origin``: where the payload is, when it is not the item's bytes as sent, in words that
    end a finding's detail: ``in the gzip-compressed attachment``.

    ``notes``: words about some places, by the first segment of their path, that end the detail
    of a finding there too (a replay recording's rrweb events: ``typed into input#coupon``).
    """

    item_type: str
    payload: Any
    json_native: bool = False
    origin: str = ""
    notes: Mapping[str, str] | None = None

    def detail_at(self, detail: str, path: str) -> str:
        """A finding's ``detail`` at ``path`` with where it was: the origin, the path's note."""
        note = self.notes.get(path.split(".", 1)[0], "") if self.notes else ""
        where = ", ".join(part for part in (self.origin, note) if part)
        return f"{detail} ({where})" if detail and where else detail or where

    def leaves(self) -> Iterator[Leaf]:
        """Every scalar value with its path; dict keys and ``[name, value]`` pairs too."""
        if isinstance(self.payload, bytes):
            yield Leaf((), "", self.payload.decode("utf-8", "replace"))
            return
        # Paths are built as links to the parent's and made tuples at the leaves only: a path
        # copied at every level costs its depth there, quadratic in a deep structure.
        stack: list[tuple[PathLink, str, Any]] = [(None, "", self.payload)]
        seen: set[int] = set()
        while stack:
            link, key, node = stack.pop()
            if isinstance(node, (Mapping, list, tuple)):
                if id(node) in seen:  # a structure that contains itself: visit it once
                    continue
                seen.add(id(node))
            if isinstance(node, Mapping):
                named = [(key_text(k), v) for k, v in node.items()]
                stack.extend(reversed([((link, text), text, v) for text, v in named]))
            elif isinstance(node, (list, tuple)):
                stack.extend(
                    reversed([((link, str(i)), pair_name(node, i) or key, v) for i, v in enumerate(node)])
                )
            elif isinstance(node, (set, frozenset)):  # a plain dict target may hold any Python value
                members = enumerate(ordered_members(node))
                stack.extend(reversed([((link, str(i)), key, v) for i, v in members]))
            elif isinstance(node, (bytes, bytearray)):
                yield Leaf(path_of(link), key, bytes(node).decode("utf-8", "replace"))
            else:
                yield Leaf(path_of(link), key, node)

    def key_links(self) -> Iterator[tuple[PathLink, str]]:
        """Every dict key with the link of its value's path (``path_of`` makes it a tuple)."""
        stack: list[tuple[PathLink, Any]] = [(None, self.payload)]
        seen: set[int] = set()
        while stack:
            link, node = stack.pop()
            if isinstance(node, (Mapping, list, tuple)):
                if id(node) in seen:
                    continue
                seen.add(id(node))
            if isinstance(node, Mapping):
                for k, v in node.items():
                    text = key_text(k)
                    child = (link, text)
                    yield child, text
                    stack.append((child, v))
            elif isinstance(node, (list, tuple)):
                stack.extend(((link, str(i)), v) for i, v in enumerate(node))

    def key_paths(self) -> Iterator[tuple[tuple[str, ...], str]]:
        """Every dict key with the path of its value (canaries can hide in keys)."""
        for link, key in self.key_links():
            yield path_of(link), key


#: A path as a chain of ``(parent, segment)`` links, ``None`` for the root.
PathLink: TypeAlias = "tuple[PathLink, str] | None"


def path_of(link: PathLink) -> tuple[str, ...]:
    """The path a chain of links stands for, from the root."""
    parts: list[str] = []
    while link is not None:
        link, segment = link
        parts.append(segment)
    return tuple(reversed(parts))


def key_text(key: Any) -> str:
    """A dict key as a path segment: ``str(key)``, or ``<type>`` when that raises (a hostile
    ``__str__``, an int over Python's 4,300-digit conversion limit)."""
    if type(key) is str:
        return key
    try:
        return str(key)
    except Exception:
        return f"<{type(key).__name__}>"


def _sort_key(value: Any) -> tuple[str, str]:
    try:
        return type(value).__name__, repr(value)
    except Exception:  # a hostile __repr__, a huge int: such members keep their set order
        return type(value).__name__, ""


def ordered_members(values: set[Any] | frozenset[Any]) -> list[Any]:
    """A set's members in a stable order (by type name and repr), so their paths repeat."""
    return sorted(values, key=_sort_key)


def pair_name(node: list[Any] | tuple[Any, ...], index: int) -> str | None:
    """For a ``[name, value]`` pair (header lists, Starlette's scope headers), the name of the value."""
    if index == 1 and len(node) == 2 and isinstance(node[0], str) and not isinstance(node[1], (dict, list)):
        return node[0]
    return None


@runtime_checkable
class HasEnvelopeItems(Protocol):
    """A target that knows its own items (``sentry_events``, ``Records`` collections)."""

    def envelope_items(self) -> Iterable[ScanItem]: ...


#: What ``scan``, ``assert_scrubbed`` and ``validate`` accept.
ScanTarget: TypeAlias = (
    HasEnvelopeItems | Envelope | bytes | bytearray | Mapping[str, Any] | list[Any] | tuple[Any, ...]
)


#: JSON values (counted as commas and opening brackets, as the ingest server counts them) an
#: item's text may hold to be parsed for the scan; more is read as text (Python objects parsed
#: from JSON take up to about 100 bytes a value).
JSON_VALUES = 250_000

#: Text longer than this is scanned in windows of at most this many bytes (see :func:`_windows`).
TEXT_WINDOW = MiB
_SLACK = 64 * 1024

_DECLARED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}
_BROTLI_TYPES = frozenset({"application/x-brotli", "application/brotli"})
_JSON_START = re.compile(rb"\s*[\[{]")
_FORMATS = {"gzip": "gzip", "zlib": "zlib", "deflate": "deflate", "brotli": "brotli"}


def json_of(data: bytes) -> Any:
    """``data`` parsed, when it is a JSON object or array within :data:`JSON_VALUES`; else None."""
    if not _JSON_START.match(data) or sum(map(data.count, (b",", b"[", b"{"))) >= JSON_VALUES:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def encoding_of(data: bytes, headers: Mapping[str, Any]) -> str | None:
    """How ``data`` is compressed: a ``content_encoding`` header, else the gzip or zlib header
    it starts with, else brotli if its content type or file name says so."""
    declared = headers.get("content_encoding")
    if isinstance(declared, str) and declared.strip().lower() in _DECLARED:
        return _DECLARED[declared.strip().lower()]
    sniffed = sniff(data)
    if sniffed is not None:
        return sniffed
    content_type, filename = headers.get("content_type"), headers.get("filename")
    if (isinstance(content_type, str) and content_type.split(";")[0].strip().lower() in _BROTLI_TYPES) or (
        isinstance(filename, str) and filename.lower().endswith(".br")
    ):
        return "br"
    return None


def _windows(data: bytes) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each window of ``data``: at most :data:`TEXT_WINDOW` bytes, cut after
    a newline in its last 64 KiB, else a space, when there is one (a token is never cut then), else
    at a character's start."""
    start = 0
    while start < len(data):
        stop = min(start + TEXT_WINDOW, len(data))
        if stop < len(data):
            cut = data.rfind(b"\n", stop - _SLACK, stop)
            if cut <= start:
                cut = data.rfind(b" ", stop - _SLACK, stop)
            if cut > start:
                stop = cut + 1
            else:
                while stop > start + 1 and data[stop] & 0xC0 == 0x80:  # inside a UTF-8 character
                    stop -= 1
        yield start, stop
        start = stop


def _text_items(
    name: str, data: bytes, described: str, note: str = "", as_sent: bool = False
) -> Iterator[ScanItem]:
    """``data`` as text: one item, or one per window when it is longer than :data:`TEXT_WINDOW`
    (each one pass of the scanner's prefilter); ``origin`` says where each is (``as_sent``: the
    item's bytes, said only with a ``note`` or a window)."""
    if len(data) <= TEXT_WINDOW:
        yield ScanItem(name, data, origin="" if as_sent and not note else f"in {described}{note}")
        return
    view = memoryview(data)
    for start, stop in _windows(data):
        yield ScanItem(
            name, bytes(view[start:stop]), origin=f"in bytes {start:,} to {stop - 1:,} of {described}{note}"
        )


def _content_items(
    name: str, data: bytes, headers: Mapping[str, Any], noun: str, rrweb: bool = False
) -> Iterator[ScanItem]:
    """The scan items of a payload's content: decompressed when it is compressed (up to
    :data:`~.compression.LIMIT` bytes), then parsed when it is JSON, else its text. ``rrweb``:
    the content is a replay recording's events, each noted (``typed into input#coupon``)."""
    encoding = encoding_of(data, headers)
    if encoding is None:
        parsed = json_of(data)
        if parsed is not None:
            yield ScanItem(name, parsed, json_native=True, notes=event_notes(parsed) if rrweb else None)
        else:
            yield from _text_items(name, data, f"the {noun}", as_sent=True)
        return
    try:
        result = decompress_prefix(data, encoding, LIMIT)
    except DecompressionError as exc:  # nothing decompresses: scanned as sent
        missing = ": brotli-compressed, and brotli is not installed" if exc.problem == "unavailable" else ""
        yield from _text_items(name, data, f"the {noun} as sent", missing, as_sent=True)
        return
    described = f"the {_FORMATS[result.format]}-compressed {noun}"
    if result.truncated:
        described = f"the first {LIMIT // MiB} MiB of {described}"
        note = ", the rest not scanned"
    elif not result.complete:
        note = ", cut off: scanned as far as it goes"
    else:
        note = ""
    parsed = json_of(result.data) if result.complete and not result.truncated else None
    if parsed is not None:
        notes = event_notes(parsed) if rrweb else None
        yield ScanItem(name, parsed, json_native=True, origin=f"in {described}", notes=notes)
    else:
        yield from _text_items(name, result.data, described, note)
    if not result.complete:  # the rest may not be compressed data at all: scanned as sent too
        yield from _text_items(name, data, f"the {noun} as sent", as_sent=True)


def binary_items(name: str, data: bytes, headers: Mapping[str, Any] | None = None) -> Iterator[ScanItem]:
    """The scan items of an item whose payload is bytes (an attachment, a replay recording, an
    item that is no JSON), with its item ``headers`` (``filename``, ``content_type``).

    Compressed content (gzip, zlib, raw deflate or brotli, see :func:`encoding_of`) is
    decompressed within :data:`~.compression.LIMIT`; content that is JSON is parsed (its paths are
    then real paths), else scanned as text. A replay recording's header line is an item of its own.
    """
    headers = headers or {}
    entry = item_type(name)
    noun = entry.noun[0] if entry is not None else f"{name} item"
    if entry is not None and entry.header_line:
        line, newline, content = data.partition(b"\n")
        header = json_of(line)
        if newline and isinstance(header, dict):
            yield ScanItem(name, header, json_native=True)
            yield from _content_items(name, content, headers, noun, rrweb=True)
            return
    yield from _content_items(name, data, headers, noun)


#: Envelopes parsed from bytes (the capture store's): sentry-sdk's parser keeps an event's or a
#: transaction's parsed JSON and drops its bytes, yet every payload in them holds JSON types only
_PARSED: weakref.WeakSet[Envelope] = weakref.WeakSet()


def mark_parsed(envelope: Envelope) -> Envelope:
    """Note that ``envelope`` was parsed from bytes: its payloads are scanned as JSON (serialized
    by orjson for the prefilter, walked without a cycle check)."""
    _PARSED.add(envelope)
    return envelope


def _items_of_raw(raw: bytes) -> Iterator[ScanItem]:
    """Envelope bytes; bytes that are no envelope are scanned as one text item."""
    try:
        envelope = Envelope.deserialize(raw)
    except (ValueError, RecursionError, TypeError, AttributeError, KeyError):
        # not an envelope (a header that is JSON but no object, a length that is no number),
        # or nested deeper than the parser goes: scanned as text
        yield from _text_items("envelope", raw, "the envelope", as_sent=True)
        return
    yield from _items_of_envelope(mark_parsed(envelope))


def _items_of_envelope(envelope: Envelope) -> Iterator[ScanItem]:
    parsed = envelope in _PARSED
    for item in envelope.items:
        name = str(item.type)
        entry = item_type(name)
        if entry is not None and not entry.scanned:
            continue
        if entry is not None and not entry.json:
            yield from binary_items(name, item.payload.get_bytes(), item.headers)
            continue
        payload = item.payload.json
        # a payload that also has its bytes was parsed from them (the capture store does that)
        # or serialized to them by the json module, which refuses cycles and deep nesting
        native = parsed or payload is None or item.payload.bytes is not None
        if payload is None:
            try:
                payload = json.loads(item.payload.get_bytes())
            except (ValueError, RecursionError):
                yield from binary_items(name, item.payload.get_bytes(), item.headers)
                continue
        yield ScanItem(name, payload, json_native=native)


def items_of(target: Any) -> Iterator[ScanItem]:
    """The items inside any supported target."""
    # (a class attribute, not isinstance: a runtime Protocol check costs ~10 µs a call)
    if callable(getattr(type(target), "envelope_items", None)):  # records, collections, sentry_events
        yield from target.envelope_items()
    elif isinstance(target, Envelope):
        yield from _items_of_envelope(target)
    elif isinstance(target, (bytes, bytearray)):
        yield from _items_of_raw(bytes(target))
    elif isinstance(target, Mapping):
        # the target itself, not a copy: a root that contains itself is then visited once
        yield ScanItem(event_type_of(target).name, target if isinstance(target, dict) else dict(target))
    elif isinstance(target, Sequence) and not isinstance(target, str):
        for element in target:
            yield from items_of(element)
    else:
        raise TypeError(
            f"cannot scan a {type(target).__name__}: pass an Event, sentry_events (or one of its "
            "collections), an Envelope, envelope bytes, a dict, or a list of them"
        )
