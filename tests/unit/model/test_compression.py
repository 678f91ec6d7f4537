"""Bounded decompression (``_model/compression.py``): the ingest server's strict form and the
scanner's prefix form. No test here measures time; memory is measured with tracemalloc."""

from __future__ import annotations

import gzip
import sys
import tracemalloc
import zlib
from collections.abc import Callable

import brotli
import pytest

from pytest_sentry_check._model.compression import (
    LIMIT,
    Decompressed,
    DecompressionError,
    MiB,
    decompress,
    decompress_prefix,
    sniff,
)

TEXT = b'{"user": {"email": "ana@shop.example"}}\n' * 50


class TestSniff:
    """Which data starts like a compressed stream (brotli has no signature)."""

    @pytest.mark.parametrize("level", [1, 6, 9])
    def test_zlib_streams_of_every_level(self, level: int) -> None:
        assert sniff(zlib.compress(TEXT, level)) == "zlib"

    def test_a_gzip_file(self) -> None:
        assert sniff(gzip.compress(TEXT)) == "gzip"

    @pytest.mark.parametrize(
        "data",
        [TEXT, b"", b"x", b"plain text", b"\x1f\x8bX not gzip", brotli.compress(TEXT), b"\x89PNG\r\n"],
        ids=["json", "empty", "one byte", "text", "gzip magic, other method", "brotli", "png"],
    )
    def test_other_data(self, data: bytes) -> None:
        assert sniff(data) is None


class TestDecompress:
    """All of it or an error: what the ingest server answers a request with."""

    @pytest.mark.parametrize(
        ("encoding", "compress"),
        [
            ("gzip", gzip.compress),
            ("x-gzip", gzip.compress),
            ("gzip", zlib.compress),  # gzip's reader takes a zlib stream too
            ("deflate", zlib.compress),
            ("deflate", lambda data: zlib.compress(data, wbits=-15)),
            ("zlib", zlib.compress),
            ("br", brotli.compress),
        ],
    )
    def test_each_encoding(self, encoding: str, compress: Callable[[bytes], bytes]) -> None:
        assert decompress(compress(TEXT), encoding) == TEXT

    @pytest.mark.parametrize(
        ("data", "encoding", "problem", "detail"),
        [
            (gzip.compress(b"x" * 2049), "gzip", "too-large", "2048"),
            (brotli.compress(b"x" * 2049), "br", "too-large", "2048"),
            (gzip.compress(TEXT, mtime=0)[:-12], "gzip", "truncated", ""),
            (brotli.compress(TEXT)[:-4], "br", "truncated", ""),
            (gzip.compress(TEXT, mtime=0) + b"junk", "gzip", "trailing", "4"),
            (
                b"not gzip at all",
                "gzip",
                "corrupt",
                "Error -3 while decompressing data: incorrect header check",
            ),
            (
                b"not zlib at all",
                "zlib",
                "corrupt",
                "Error -3 while decompressing data: incorrect header check",
            ),
            (b"\xff" * 8, "br", "corrupt", "brotli: decoder failed"),
            (TEXT, "zstd", "unsupported", "zstd"),
        ],
        ids=[
            "gzip bomb",
            "brotli bomb",
            "gzip cut off",
            "brotli cut off",
            "bytes after the end",
            "not gzip",
            "not zlib",
            "not brotli",
            "zstd",
        ],
    )
    def test_what_is_refused(self, data: bytes, encoding: str, problem: str, detail: str) -> None:
        with pytest.raises(DecompressionError) as refused:
            decompress(data, encoding, 2048)
        assert (refused.value.problem, refused.value.detail) == (problem, detail)

    def test_a_1_gib_bomb_is_refused_with_a_few_mib_in_memory(
        self, gzip_of_zeros: Callable[..., bytes]
    ) -> None:
        bomb = gzip_of_zeros(1024)
        assert len(bomb) < 1_100_000
        tracemalloc.start()
        try:
            with pytest.raises(DecompressionError, match=f"too-large: {LIMIT}"):
                decompress(bomb, "gzip")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * MiB  # 1 MiB of output at a time, and the input's unread part


class TestDecompressPrefix:
    """As much as there is, up to the limit: what the scanner reads."""

    def test_a_1_gib_bomb_gives_its_first_32_mib_and_says_so(
        self, gzip_of_zeros: Callable[..., bytes]
    ) -> None:
        """1 GiB of zeros in 1 MB of gzip: the output stops at the limit, with about twice the
        limit in memory at most (its pieces, then the bytes they are joined into)."""
        bomb = gzip_of_zeros(1024, prefix=b"tok_")
        tracemalloc.start()
        try:
            result = decompress_prefix(bomb, "gzip")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (len(result.data), result.truncated, result.complete, result.format) == (
            LIMIT,
            True,
            True,
            "gzip",
        )
        assert result.data[:5] == b"tok_\0"
        assert 32 * MiB == LIMIT
        assert peak < 2 * LIMIT + 8 * MiB

    def test_the_limit_is_exact(self) -> None:
        data = gzip.compress(b"x" * 3000)
        assert decompress_prefix(data, "gzip", 3000) == Decompressed(b"x" * 3000, "gzip", False, True)
        assert decompress_prefix(data, "gzip", 2999) == Decompressed(b"x" * 2999, "gzip", True, True)

    def test_a_brotli_bomb_stops_at_the_limit(self) -> None:
        result = decompress_prefix(brotli.compress(b"\0" * (8 * MiB)), "br", 2 * MiB)
        assert (len(result.data), result.truncated, result.format) == (2 * MiB, True, "brotli")

    def test_data_cut_off_gives_what_it_held(self) -> None:
        data = gzip.compress(TEXT, mtime=0)
        result = decompress_prefix(data[: len(data) // 2], "gzip")
        assert (result.complete, result.truncated) == (False, False)
        assert len(result.data) > 0
        assert TEXT.startswith(result.data)

    def test_several_gzip_members_are_read_one_after_the_other(self) -> None:
        data = gzip.compress(b"first ") + gzip.compress(b"second")
        assert decompress_prefix(data, "gzip") == Decompressed(b"first second", "gzip")

    def test_bytes_after_the_end_are_kept_as_they_are(self) -> None:
        data = zlib.compress(b"compressed ") + b"then plain"
        assert decompress_prefix(data, "zlib") == Decompressed(b"compressed then plain", "zlib")

    def test_raw_deflate_is_tried_after_zlib(self) -> None:
        data = zlib.compress(TEXT, wbits=-15)
        assert decompress_prefix(data, "deflate") == Decompressed(TEXT, "deflate")

    @pytest.mark.parametrize(("data", "encoding"), [(b"not gzip at all", "gzip"), (b"\xff" * 8, "br")])
    def test_data_of_which_nothing_decompresses_is_an_error(self, data: bytes, encoding: str) -> None:
        with pytest.raises(DecompressionError) as refused:
            decompress_prefix(data, encoding)
        assert refused.value.problem == "corrupt"

    def test_brotli_without_its_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "brotli", None)  # what an environment without it imports
        with pytest.raises(DecompressionError) as refused:
            decompress_prefix(brotli.compress(TEXT), "br")
        assert (refused.value.problem, refused.value.detail) == (
            "unavailable",
            "the brotli package is not installed",
        )
