"""Bounded decompression of gzip, zlib (HTTP's ``deflate``) and brotli data.

Factored out below every stage so that the ingest server (request bodies) and the scanner (item
payloads: replay recordings, compressed attachments) decompress one way. Output is made at most
1 MiB at a time and never kept past a limit, so a small bomb (1 GiB of zeros is 1 MB of gzip)
costs its limit, not its size:

- :func:`decompress` (the server): all of it or :class:`DecompressionError`: over the limit,
  cut off, bytes after the end, corrupt. The size is learnt first with 1 MiB in memory, then the
  data is decompressed into one buffer of exactly that size.
- :func:`decompress_prefix` (the scanner): as much as there is, up to the limit, saying whether
  the output went on past it or the data was cut off; bytes after the end (another gzip member
  is decompressed too) are kept as they are. Only data of which nothing decompresses raises.

brotli is the optional ``brotli`` package (the ``server`` extra), imported on first use.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CHUNK",
    "ENCODINGS",
    "LIMIT",
    "Decompressed",
    "DecompressionError",
    "MiB",
    "decompress",
    "decompress_prefix",
    "sniff",
]

MiB = 1024 * 1024
#: What is decompressed at once while sizes are checked.
CHUNK = MiB
#: The default limit of decompressed bytes: the ingest server's for a body, the scanner's for an item.
LIMIT = 32 * MiB
#: The encodings, as HTTP's ``Content-Encoding`` names them (``deflate`` is zlib, or raw deflate),
#: and ``zlib`` (a zlib stream only, what :func:`sniff` recognizes).
ENCODINGS = ("gzip", "deflate", "br", "zlib")

_GZIP_MAGIC = b"\x1f\x8b\x08"
# wbits: 32 + 15 reads a gzip or a zlib header; raw deflate (no header) needs -15
_WBITS = {"gzip": (47,), "x-gzip": (47,), "deflate": (15, -15), "zlib": (15,)}

Problem = Literal["too-large", "truncated", "trailing", "corrupt", "unavailable", "unsupported"]


class DecompressionError(ValueError):
    """Data that does not decompress within the rules.

    Attributes:
        problem: ``too-large`` (over the limit), ``truncated`` (the data ends before its
            stream does), ``trailing`` (bytes after the stream's end), ``corrupt``,
            ``unavailable`` (brotli without the ``brotli`` package), ``unsupported`` (no such
            encoding).
        detail: the decompressor's message, or the number of trailing bytes.
    """

    def __init__(self, problem: Problem, detail: str = ""):
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem: Problem = problem
        self.detail = detail


@dataclass(frozen=True)
class Decompressed:
    """What :func:`decompress_prefix` made of some data.

    Attributes:
        data: the decompressed bytes (at most the limit), then any bytes after the end as they were.
        format: what the data was: ``gzip``, ``zlib``, ``deflate`` (raw) or ``brotli``.
        truncated: the output went on past the limit: ``data`` is its first bytes only.
        complete: the compressed stream ended (``False``: the data was cut off or corrupt part
            way, and ``data`` is what came out before).
    """

    data: bytes
    format: str
    truncated: bool = False
    complete: bool = True


def sniff(data: bytes) -> str | None:
    """``gzip`` or ``zlib`` when ``data`` starts with their header, else ``None``.
    brotli has no signature: only a declared encoding says so."""
    if data[:3] == _GZIP_MAGIC:
        return "gzip"
    if len(data) >= 2:
        first, second = data[0], data[1]
        # RFC 1950: method 8 (deflate), a window of at most 32 KiB, no preset dictionary, and
        # the two bytes a multiple of 31 (78 01, 78 5e, 78 9c, 78 da, ...)
        if first & 0x0F == 8 and first >> 4 <= 7 and not second & 0x20 and (first << 8 | second) % 31 == 0:
            return "zlib"
    return None


@dataclass
class _End:
    """How a stream ended: ``ended`` (its end was read), the bytes after it, its format."""

    ended: bool = False
    trailing: bytes = b""
    format: str = ""


def _inflate(data: bytes, wbits: int, end: _End, members: bool) -> Iterator[bytes]:
    """The output of a zlib/gzip/raw deflate stream, at most ``CHUNK`` bytes a piece
    (``zlib.error`` if it is corrupt). ``members``: a gzip member after the end is read too."""
    decompressor = zlib.decompressobj(wbits)
    end.format = "gzip" if data[:3] == _GZIP_MAGIC else "zlib" if wbits > 0 else "deflate"
    while True:
        out = decompressor.decompress(data, CHUNK)
        if out:
            yield out
        data = decompressor.unconsumed_tail
        if decompressor.eof:
            rest = decompressor.unused_data
            if members and rest[:3] == _GZIP_MAGIC:
                decompressor, data = zlib.decompressobj(wbits), rest
                continue
            end.ended, end.trailing = True, rest
            return
        if not (out or data):  # all read, nothing pending, no end: cut off
            return


def _brotli_module() -> Any:
    try:
        import brotli
    except ImportError:
        raise DecompressionError("unavailable", "the brotli package is not installed") from None
    return brotli


def _unbrotli(data: bytes, end: _End) -> Iterator[bytes]:
    """The output of a brotli stream, about ``CHUNK`` bytes a piece (each call stops growing its
    output past it); ``DecompressionError`` if it is corrupt or brotli is not installed."""
    brotli = _brotli_module()
    decompressor = brotli.Decompressor()
    end.format = "brotli"
    try:
        while True:
            out = decompressor.process(data, output_buffer_limit=CHUNK)
            data = b""
            if out:
                yield out
            if decompressor.is_finished() or (not out and decompressor.can_accept_more_data()):
                break
    except brotli.error as exc:
        raise DecompressionError("corrupt", str(exc)) from None
    end.ended = decompressor.is_finished()


def _attempts(encoding: str) -> tuple[int, ...]:
    encoding = encoding.strip().lower()
    if encoding == "br":
        return ()
    if encoding not in _WBITS:
        raise DecompressionError("unsupported", encoding)
    return _WBITS[encoding]


def decompress(data: bytes, encoding: str, limit: int = LIMIT) -> bytes:
    """All of ``data`` decompressed (``encoding``: one of :data:`ENCODINGS`, or ``x-gzip``),
    or :class:`DecompressionError`. Decompressed twice: once to learn the size (refusing more
    than ``limit`` with 1 MiB in memory), then into one buffer of exactly that size."""
    attempts = _attempts(encoding)
    if not attempts:  # brotli
        end = _End()
        size = 0
        for out in _unbrotli(data, end):
            size += len(out)
            if size > limit:
                raise DecompressionError("too-large", str(limit))
        if not end.ended:
            raise DecompressionError("truncated")
        return bytes(_brotli_module().Decompressor().process(data, output_buffer_limit=max(size, 1)))
    error: zlib.error | None = None
    for wbits in attempts:
        try:
            end, size = _End(), 0
            for out in _inflate(data, wbits, end, members=False):
                size += len(out)
                if size > limit:
                    raise DecompressionError("too-large", str(limit))
            if not end.ended:
                raise DecompressionError("truncated")
            if end.trailing:
                raise DecompressionError("trailing", str(len(end.trailing)))
            return zlib.decompress(data, wbits, max(size, 1))
        except zlib.error as exc:
            error = exc
    raise DecompressionError("corrupt", str(error))


def decompress_prefix(data: bytes, encoding: str, limit: int = LIMIT) -> Decompressed:
    """As much of ``data`` decompressed as there is, up to ``limit`` bytes (see
    :class:`Decompressed`); :class:`DecompressionError` only if nothing decompresses (corrupt,
    or brotli without its package)."""
    attempts = _attempts(encoding)
    error: Exception | None = None
    for wbits in attempts or (0,):
        end = _End()
        chunks: list[bytes] = []
        size, truncated, complete = 0, False, True
        stream = _unbrotli(data, end) if not attempts else _inflate(data, wbits, end, members=True)
        try:
            for out in stream:
                if size + len(out) > limit:
                    chunks.append(out[: limit - size])
                    size, truncated = limit, True
                    break
                chunks.append(out)
                size += len(out)
        except (zlib.error, DecompressionError) as exc:
            if isinstance(exc, DecompressionError) and exc.problem == "unavailable":
                raise
            if not chunks:  # nothing came out: maybe another format, else corrupt
                error = exc
                continue
            complete = False  # corrupt part way: what came out before is kept
        if not truncated:
            complete = complete and end.ended
            if end.trailing:  # bytes after the end, as they are (what fits)
                chunks.append(end.trailing[: limit - size])
                truncated = len(end.trailing) > limit - size
        return Decompressed(b"".join(chunks), end.format, truncated, complete)
    if isinstance(error, DecompressionError):
        raise error
    raise DecompressionError("corrupt", str(error))
