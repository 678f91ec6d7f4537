"""Fixtures the unit tests of several stages share."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest

MiB = 1024 * 1024


def _gzip_of_zeros(mib: int, prefix: bytes = b"") -> bytes:
    """A valid gzip file of ``prefix`` then ``mib`` MiB of zeros (1 GiB is 1 MB of gzip).

    Built without compressing it all: after a full flush, each MiB of zeros compresses to the
    same block, so the file is its first block, that block repeated, an empty last block and the
    trailer (the CRC-32 and the size of what it holds)."""
    zeros = bytes(MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(prefix + zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix + zeros)
    for _ in range(mib - 1):
        crc = zlib.crc32(zeros, crc)
    size = (len(prefix) + mib * MiB) & 0xFFFFFFFF
    return first + block * (mib - 1) + b"\x03\x00" + struct.pack("<II", crc, size)


@pytest.fixture
def gzip_of_zeros() -> Callable[..., bytes]:
    """``gzip_of_zeros(mib, prefix=b"")``: a zip bomb, in a few hundred milliseconds for 1 GiB."""
    return _gzip_of_zeros
