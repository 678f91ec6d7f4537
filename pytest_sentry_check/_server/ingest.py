"""Sentry's ingestion protocol, as a local server must speak it: auth, bodies, envelopes.

No web framework here: :mod:`._server` calls these with what the request carried. Every check
raises :class:`IngestError` with the status code Sentry's ingestion (Relay) would answer, so a
bad request is a clear 4xx and nothing half-parsed is ever stored.
"""

from __future__ import annotations

import io
import json
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sentry_sdk.envelope import Envelope, Item, PayloadRef

from pytest_sentry_check._capture.store import Capture, ReceivedEnvelope, Router
from pytest_sentry_check._model.item_types import event_type_of, item_type

__all__ = [
    "IngestError",
    "Limits",
    "auth_key",
    "decode_body",
    "deliver",
    "parse_body",
]


class IngestError(Exception):
    """A request the server refuses: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    """Body size limits: Sentry's own are 40 MB compressed and 200 MB for an envelope."""

    body: int = 40 * 1024 * 1024
    decompressed: int = 200 * 1024 * 1024


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


def decode_body(body: bytes, encoding: str, limits: Limits) -> bytes:
    """The request body without its ``Content-Encoding`` (gzip, deflate, br), within the limits."""
    if len(body) > limits.body:
        raise IngestError(413, f"body of {len(body)} bytes is over the limit of {limits.body}")
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        # wbits: 32 + 15 reads a gzip or zlib header; raw deflate needs -15
        attempts = (47,) if encoding != "deflate" else (15, -15)
        for wbits in attempts:
            try:
                decompressor = zlib.decompressobj(wbits)
                data = decompressor.decompress(body, limits.decompressed + 1)
                if len(data) > limits.decompressed:
                    raise IngestError(413, f"body decompresses to over {limits.decompressed} bytes")
                if not decompressor.eof:
                    raise IngestError(400, f"{encoding} body is truncated")
                if decompressor.unused_data:
                    extra = len(decompressor.unused_data)
                    raise IngestError(
                        400, f"{encoding} body has {extra} bytes after its end (several members?)"
                    )
                return data
            except zlib.error as exc:
                error = exc
        raise IngestError(400, f"{encoding} body could not be decompressed: {error}")
    if encoding == "br":
        try:
            import brotli
        except ImportError:
            raise IngestError(415, "brotli body, but the brotli package is not installed") from None
        decompressor = brotli.Decompressor()
        try:  # bounded output: a small body must not expand into gigabytes
            data = decompressor.process(body, output_buffer_limit=limits.decompressed + 1)
        except brotli.error as exc:
            raise IngestError(400, f"br body could not be decompressed: {exc}") from None
        if len(data) > limits.decompressed:
            raise IngestError(413, f"body decompresses to over {limits.decompressed} bytes")
        if not decompressor.is_finished():
            raise IngestError(400, "br body is truncated")
        return bytes(data)
    raise IngestError(415, f"unsupported Content-Encoding {encoding!r} (gzip, deflate, br or none)")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _loads(data: bytes) -> Any:
    # UTF-8, as the format says (json.loads would guess UTF-16 from a NUL byte); NaN and
    # Infinity: Python's json takes them, JSON (and Relay) does not
    return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)


def _json(data: bytes, what: str) -> Any:
    try:
        return _loads(data)
    except (ValueError, RecursionError) as exc:
        raise IngestError(400, f"{what} is not valid JSON: {type(exc).__name__}: {exc}"[:300]) from None


def _items(body: bytes) -> Iterator[tuple[int, str, bytes]]:
    """``(index, type, payload)`` of each item, framed as the envelope format says: a declared
    ``length`` counts the payload's bytes as received, else the payload ends at the newline."""
    stream = io.BytesIO(body)
    stream.readline()  # the envelope's header, checked by the caller
    index = 0
    while True:
        line = stream.readline()
        if not line:
            return
        if not line.strip():  # a blank line (the end of the last item)
            continue
        try:
            headers = _loads(line)
        except (ValueError, RecursionError):
            headers = None
        if not isinstance(headers, dict) or not isinstance(headers.get("type"), str):
            raise IngestError(400, f"item {index}: its header is not a JSON object with a type")
        kind, length = headers["type"], headers.get("length")
        if length is None:
            payload = stream.readline().rstrip(b"\n")
        elif not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise IngestError(
                400, f"item {index} ({kind}): length must be a whole number of bytes, not {length!r}"
            )
        else:
            payload = stream.read(length)
            if len(payload) < length:
                has = len(payload.rstrip(b"\n"))
                raise IngestError(400, f"item {index} ({kind}) declares {length} bytes, has {has}")
            if stream.readline().strip():
                raise IngestError(400, f"item {index} ({kind}): more bytes than its length of {length}")
        yield index, kind, payload
        index += 1


def parse_body(body: bytes, content_type: str, endpoint: str) -> bytes:
    """The envelope to store, as bytes, from a decoded body; ``IngestError`` if it is invalid.

    ``endpoint`` is ``envelope`` or ``store``. The store endpoint, and the envelope endpoint
    given ``application/json``, take one event as JSON (as Relay does).
    """
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise IngestError(415, f"{media} is not accepted here (send an envelope or a JSON event)")
    if endpoint == "store" or media == "application/json":
        event = _json(body, "event")
        if not isinstance(event, dict):
            raise IngestError(400, "event is not a JSON object")
        kind = event_type_of(event).name
        headers = {"event_id": event["event_id"]} if isinstance(event.get("event_id"), str) else {}
        envelope = Envelope(headers=headers, items=[Item(PayloadRef(json=event), type=kind)])
        return envelope.serialize()
    try:
        header = _loads(body.split(b"\n", 1)[0])
    except (ValueError, RecursionError) as exc:
        raise IngestError(400, f"not an envelope: {exc}"[:300]) from None
    if not isinstance(header, dict):
        raise IngestError(400, "not an envelope: its header line is not a JSON object")
    for index, name, payload in _items(body):
        entry = item_type(name)
        if (
            entry is not None
            and entry.json
            and not isinstance(_json(payload, f"item {index} ({name})"), dict)
        ):
            raise IngestError(400, f"item {index} ({name}) is not a JSON object")
    return body


def deliver(router: Router, raw: bytes, to: Capture | None = None) -> None:
    """Route an envelope the local server accepted as if the SDK in this process had sent it:
    into ``to`` (the test whose DSN key it carried) or the running test's capture, and the gate.
    Its client reports become ``dropped``."""
    router.deliver("envelopes", ReceivedEnvelope(raw, time.time(), "sentry-check-server"), to)
