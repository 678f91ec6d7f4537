"""Sentry's ingestion protocol, as a local server must speak it: auth, bodies, envelopes.

No web framework here: :mod:`._server` calls these with what the request carried. Every check
raises :class:`IngestError` with the status code Sentry's ingestion (Relay) would answer, so a
bad request is a clear 4xx and nothing half-parsed is ever stored.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_sentry_check._capture.store import Capture, ReceivedEnvelope, Router
from pytest_sentry_check._model.compression import CHUNK as _CHUNK
from pytest_sentry_check._model.compression import LIMIT, DecompressionError, MiB, decompress
from pytest_sentry_check._model.item_types import event_type_of, item_type

__all__ = [
    "LIMIT_NAMES",
    "IngestError",
    "Limits",
    "auth_key",
    "check_stream_type",
    "decode_body",
    "deliver",
    "event_id_of",
    "parse_body",
]


class IngestError(Exception):
    """A request the server refuses: ``status`` is the HTTP status, the message says why, and
    ``limit`` names the :class:`Limits` field (or ``read_timeout``) the request went over, if any."""

    def __init__(self, status: int, message: str, *, limit: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.limit = limit


#: The fields of :class:`Limits`: what ``--limit NAME=VALUE`` and ini ``sentry_server_limits`` name.
LIMIT_NAMES = ("body", "decompressed", "items", "json_values")
_SIZES = ("body", "decompressed")  # in bytes; the others count
_UNITS = {"GiB": 1024 * MiB, "MiB": MiB, "KiB": 1024, "": 1}  # the largest first, for settings()
_SETTING = re.compile(r"([0-9]+)\s*(KiB|MiB|GiB)?")
_FORM = (
    "the limits are body and decompressed (sizes in bytes: 1048576, or with KiB, MiB or GiB: "
    "64MiB), items and json_values (whole numbers)"
)


@dataclass(frozen=True)
class Limits:
    """What one request may hold; each is checked before the part it limits is built.

    Sentry documents 20 MB for a compressed request, 1 MB for a decompressed event and 100 MB of
    attachments per event (docs.sentry.io/concepts/data-management/size-limits/); this server
    took 40 MB as received and 200 MB decompressed. It runs inside the test process, and Python
    objects parsed from JSON take up to about 28 times its size: a 40 MB body of ``[],[],...`` took
    1.2 GB, 200 MB would take 5-6 GB. These limits keep one request under about 4 times
    ``decompressed`` (``benchmarks/bench_server_memory.py``) and stay far above what a test
    sends: more than Sentry's 20 MB for a compressed request, and a 1 MB event (Sentry's limit
    for one) holds about 40,000 to 60,000 JSON values.

    - ``body``: bytes as received, compressed or not (413);
    - ``decompressed``: the envelope after its ``Content-Encoding`` (413), learnt by
      decompressing 1 MiB at a time and dropping the output, before the envelope is built;
    - ``items``: items in one envelope (413);
    - ``json_values``: JSON values in one envelope's headers and JSON payloads together (413),
      counted before anything is parsed as the commas and opening brackets in the text (inside
      strings too, so never fewer than the values). Each one counted takes at most about
      100 bytes once parsed (a 1-key object: 2 counted, 192 bytes), so a parse holds at most
      about 25 MB of objects. Texts are parsed one at a time;
      nesting deeper than Python's recursion limit is invalid JSON (400).
    """

    body: int = 32 * MiB
    decompressed: int = LIMIT
    items: int = 1000
    json_values: int = 250_000

    @classmethod
    def from_settings(cls, settings: str | Iterable[str] | Mapping[str, int | str]) -> Limits:
        """The limits ``settings`` name, the defaults for the others: ``name = value`` lines
        (ini ``sentry_server_limits``, ``serve --limit``; blank lines skipped, the last of a name
        wins), as a list or one text, or a mapping. ``body`` and ``decompressed`` are sizes in
        bytes (``1048576``) or with ``KiB``, ``MiB`` or ``GiB`` (``64MiB``), ``items`` and
        ``json_values`` whole numbers; all above 0. ``ValueError`` names the valid names and
        forms."""
        if isinstance(settings, str):
            settings = settings.splitlines()
        if isinstance(settings, Mapping):
            pairs: Iterable[tuple[object, int | str]] = settings.items()
        else:
            pairs = [_name_and_value(line) for line in settings if line.strip()]
        values: dict[str, int] = {}
        for name, value in pairs:
            if name not in LIMIT_NAMES:
                raise ValueError(f"unknown limit {name!r}: {_FORM}")
            values[str(name)] = _limit_value(str(name), value)
        return cls(**values)

    def settings(self) -> str:
        """``body=32MiB decompressed=32MiB items=1000 json_values=250000``: the form
        :meth:`from_settings` reads, sizes in the largest unit they are a whole number of."""
        return " ".join(
            f"{name}={_size_text(getattr(self, name)) if name in _SIZES else getattr(self, name)}"
            for name in LIMIT_NAMES
        )


def _name_and_value(line: str) -> tuple[str, str]:
    name, sep, value = line.partition("=")
    if not sep:
        raise ValueError(f"expected NAME=VALUE, not {line.strip()!r}: {_FORM}")
    return name.strip(), value.strip()


def _limit_value(name: str, value: object) -> int:
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (
        isinstance(value, str)
        and (match := _SETTING.fullmatch(value.strip()))
        and (name in _SIZES or not match[2])  # a unit only on a size
    ):
        number = int(match[1]) * _UNITS[match[2] or ""]
    if number is None or number <= 0:
        form = (
            "a size above 0, in bytes (1048576) or with KiB, MiB or GiB (64MiB)"
            if name in _SIZES
            else "a whole number above 0 (2000)"
        )
        raise ValueError(f"limit {name}: expected {form}, not {value!r}")
    return number


def _size_text(size: int) -> str:
    unit = next(unit for unit, factor in _UNITS.items() if size % factor == 0)
    return f"{size // _UNITS[unit]}{unit}"


def auth_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The public key from ``X-Sentry-Auth``, ``Authorization: Sentry ...`` or ``?sentry_key=``."""
    for name in ("x-sentry-auth", "authorization"):
        value = headers.get(name, "")
        if value.lower().startswith("sentry "):
            for part in value[7:].split(","):
                key, _, found = part.strip().partition("=")
                if key == "sentry_key" and found:
                    return found
    return query.get("sentry_key") or None


_DECOMPRESSION_ERRORS = {  # status, message (the encoding and the detail filled in)
    "truncated": (400, "{encoding} body is truncated"),
    "trailing": (400, "{encoding} body has {detail} bytes after its end (several members?)"),
    "corrupt": (400, "{encoding} body could not be decompressed: {detail}"),
    "unavailable": (415, "brotli body, but the brotli package is not installed"),
}


def decode_body(body: bytes, encoding: str, limits: Limits) -> bytes:
    """The request body without its ``Content-Encoding`` (gzip, deflate, br), within the limits.

    A compressed body is decompressed twice (:func:`~pytest_sentry_check._model.compression.decompress`):
    once to learn its size (refusing it past the limit with 1 MiB in memory), then into one
    buffer of exactly that size."""
    if len(body) > limits.body:
        raise IngestError(413, f"body of {len(body)} bytes is over the limit of {limits.body}", limit="body")
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limits.decompressed:
            raise IngestError(
                413,
                f"envelope of {len(body)} bytes is over the limit of {limits.decompressed}",
                limit="decompressed",
            )
        return body
    if encoding not in ("gzip", "x-gzip", "deflate", "br"):
        raise IngestError(415, f"unsupported Content-Encoding {encoding!r} (gzip, deflate, br or none)")
    try:
        return decompress(body, encoding, limits.decompressed)
    except DecompressionError as exc:
        if exc.problem == "too-large":
            raise IngestError(
                413, f"body decompresses to over {limits.decompressed} bytes", limit="decompressed"
            ) from None
        status, message = _DECOMPRESSION_ERRORS[exc.problem]
        raise IngestError(status, message.format(encoding=encoding, detail=exc.detail)) from None


_ENVELOPE_MEDIA = "application/x-sentry-envelope"


def check_stream_type(content_type: str, sentry_client: str = "") -> None:
    """Spotlight's ``/stream`` takes envelopes only: ``application/x-sentry-envelope``, or
    ``text/plain`` from the browser SDK (which sends that to avoid a CORS preflight and says so
    in ``?sentry_client=sentry.javascript.browser/...``, as Spotlight's sidecar reads it); else 415."""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media == _ENVELOPE_MEDIA:
        return
    if media == "text/plain" and sentry_client.startswith("sentry.javascript.browser"):
        return
    shown = media or "no Content-Type"
    raise IngestError(415, f"{shown} is not accepted on /stream (send {_ENVELOPE_MEDIA})")


def _reject_constant(name: str) -> Any:
    # NaN and Infinity: Python's json takes them, JSON (and Relay) does not
    raise ValueError(f"{name} is not a JSON value")


_BLANK = re.compile(rb"\s*")


def _text(value: str) -> str:
    """A string parsed from Latin-1 read as the UTF-8 it was (escaped characters are kept)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _check_utf8(view: memoryview) -> None:
    """``UnicodeDecodeError`` (positions in ``view``) unless ``view`` is UTF-8. Decoded 1 MiB at
    a time and dropped: one character outside Latin-1 never makes Python store a whole text at
    4 bytes a character."""
    start = 0
    while start < len(view):
        final = start + _CHUNK >= len(view)
        try:
            _, used = codecs.utf_8_decode(view[start : start + _CHUNK], "strict", final)
        except UnicodeDecodeError as exc:  # the error as one decode of the whole text says it
            whole = bytes(view[: start + exc.end])
            raise UnicodeDecodeError("utf-8", whole, start + exc.start, start + exc.end, exc.reason) from None
        start += used


class _Parser:
    """Parses one body's JSON headers and payloads, each from a range of the body's bytes, within
    the envelope's budget of JSON values. Nothing parsed is kept."""

    def __init__(self, body: bytes, limits: Limits):
        self.body = body
        self.limit = limits.json_values
        self.used = 0

    def charge(self, start: int, end: int, what: str) -> None:
        """Count ``body[start:end]``'s values into the budget, or ``IngestError`` 413. The count
        is of the commas and opening brackets (and 1), inside strings too, so never less than the
        values: a few linear scans in C, before anything is built."""
        self.used += sum(self.body.count(mark, start, end) for mark in (b",", b"[", b"{")) + 1
        if self.used > self.limit:
            raise IngestError(
                413, f"{what} takes the envelope over {self.limit} JSON values", limit="json_values"
            )

    def parse(self, start: int, end: int, what: str) -> Any:
        """``body[start:end]`` parsed (ValueError or RecursionError if it is not JSON), charged to
        the budget first. It is checked to be UTF-8, then parsed as Latin-1 (one character per
        byte): JSON's syntax is ASCII, so that accepts the same texts, and a text is never widened
        to 4 bytes a character. Strings outside ASCII come out garbled: callers read ASCII only."""
        self.charge(start, end, what)
        view = memoryview(self.body)[start:end]
        _check_utf8(view)
        return json.loads(str(view, "latin-1"), parse_constant=_reject_constant)

    def json(self, start: int, end: int, what: str) -> Any:
        try:
            return self.parse(start, end, what)
        except (ValueError, RecursionError) as exc:
            message = f"{what} is not valid JSON: {type(exc).__name__}: {exc}"[:300]
            raise IngestError(400, message) from None


def _dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _line_end(body: bytes, start: int) -> int:
    end = body.find(b"\n", start)
    return len(body) if end < 0 else end


def _items(parser: _Parser, limits: Limits) -> Iterator[tuple[int, str, int, int]]:
    """``(index, type, start, end)`` of each item's payload in the body, framed as the envelope
    format says: a declared ``length`` counts the payload's bytes as received, else the payload
    ends at the newline. Offsets, not copies."""
    body = parser.body
    position = _line_end(body, 0) + 1  # past the envelope's header, checked by the caller
    index = 0
    while position < len(body):
        end = _line_end(body, position)
        if _BLANK.fullmatch(body, position, end):  # a blank line (the end of the last item)
            position = end + 1
            continue
        if index >= limits.items:
            raise IngestError(413, f"envelope has more than {limits.items} items", limit="items")
        try:
            headers = parser.parse(position, end, f"item {index} header")
        except (ValueError, RecursionError):
            headers = None
        if not isinstance(headers, dict) or not isinstance(headers.get("type"), str):
            raise IngestError(400, f"item {index}: its header is not a JSON object with a type")
        kind, length = _text(headers["type"]), headers.get("length")
        start = min(end + 1, len(body))
        if length is None:
            stop = _line_end(body, start)
        elif not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise IngestError(
                400, f"item {index} ({kind}): length must be a whole number of bytes, not {length!r}"
            )
        else:
            stop = start + length
            if stop > len(body):
                has = len(body) - start
                while has and body[start + has - 1] == ord("\n"):
                    has -= 1
                raise IngestError(400, f"item {index} ({kind}) declares {length} bytes, has {has}")
            if not _BLANK.fullmatch(body, stop, _line_end(body, stop)):
                raise IngestError(400, f"item {index} ({kind}): more bytes than its length of {length}")
        yield index, kind, start, stop
        position = _line_end(body, stop) + 1
        index += 1


def parse_body(
    body: bytes, content_type: str, endpoint: str, limits: Limits | None = None, *, sentry_client: str = ""
) -> bytes:
    """The envelope to store, as bytes, from a decoded body; ``IngestError`` if it is invalid.

    ``endpoint`` is ``envelope``, ``store`` or ``stream`` (Spotlight's: envelopes only, see
    :func:`check_stream_type`; ``sentry_client`` is the request's ``?sentry_client=``). The store
    endpoint, and the envelope endpoint given ``application/json``, take one event as JSON (as
    Relay does), stored as its payload byte for byte. Every JSON text is counted against
    ``limits`` before it is parsed, and parsed one at a time.
    """
    limits = limits or Limits()
    if endpoint == "stream":
        check_stream_type(content_type, sentry_client)
        content_type = _ENVELOPE_MEDIA
    parser = _Parser(body, limits)
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise IngestError(415, f"{media} is not accepted here (send an envelope or a JSON event)")
    if endpoint == "store" or media == "application/json":
        event = parser.json(0, len(body), "event")
        if not isinstance(event, dict):
            raise IngestError(400, "event is not a JSON object")
        event_id = event.get("event_id")
        header = {"event_id": event_id} if isinstance(event_id, str) and event_id.isascii() else {}
        item = {"type": event_type_of(event).name, "length": len(body)}
        return b"%s\n%s\n%s\n" % (_dumps(header), _dumps(item), body)
    try:
        header = parser.parse(0, _line_end(body, 0), "envelope header")
    except (ValueError, RecursionError) as exc:
        raise IngestError(400, f"not an envelope: {exc}"[:300]) from None
    if not isinstance(header, dict):
        raise IngestError(400, "not an envelope: its header line is not a JSON object")
    for index, name, start, end in _items(parser, limits):
        entry = item_type(name)
        if (
            entry is not None
            and entry.json
            and not isinstance(parser.json(start, end, f"item {index} ({name})"), dict)
        ):
            raise IngestError(400, f"item {index} ({name}) is not a JSON object")
    return body


def event_id_of(raw: bytes) -> str | None:
    """The ``event_id`` in an accepted envelope's header (ASCII, as event ids are)."""
    try:
        headers = json.loads(str(memoryview(raw)[: _line_end(raw, 0)], "latin-1") or "{}")
    except (ValueError, RecursionError):
        return None
    event_id = headers.get("event_id") if isinstance(headers, dict) else None
    return event_id if isinstance(event_id, str) and event_id.isascii() else None


def deliver(router: Router, raw: bytes, to: Capture | None = None) -> None:
    """Route an envelope the local server accepted as if the SDK in this process had sent it:
    into ``to`` (the test whose DSN key it carried) or the running test's capture, and the gate.
    Its client reports become ``dropped``."""
    router.deliver("envelopes", ReceivedEnvelope(raw, time.time(), "sentry-check-server"), to)
