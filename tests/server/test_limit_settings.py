"""Limits and the read timeout from settings: ``serve --limit NAME=VALUE`` and ``--read-timeout``,
ini ``sentry_server_limits`` and ``sentry_server_read_timeout`` all read them this way."""

from __future__ import annotations

import dataclasses
import math

import pytest

from pytest_sentry_check._server.app import read_timeout_from_setting
from pytest_sentry_check._server.ingest import LIMIT_NAMES, Limits

FORM = (
    "the limits are body and decompressed (sizes in bytes: 1048576, or with KiB, MiB or GiB: "
    "64MiB), items and json_values (whole numbers)"
)
SIZE = "expected a size above 0, in bytes (1048576) or with KiB, MiB or GiB (64MiB)"
COUNT = "expected a whole number above 0 (2000)"


class TestLimitsFromSettings:
    def test_the_names_are_the_fields(self) -> None:
        assert tuple(field.name for field in dataclasses.fields(Limits)) == LIMIT_NAMES

    def test_nothing_set_is_the_defaults(self) -> None:
        assert Limits.from_settings([]) == Limits()
        assert Limits.from_settings(["", "   "]) == Limits()
        assert Limits.from_settings({}) == Limits()

    def test_lines_set_the_limits_they_name(self) -> None:
        """The ini's ``name = value`` and the command line's ``name=value``; sizes with a unit."""
        limits = Limits.from_settings(["body = 64MiB", "decompressed=2GiB", "items = 2", "json_values=1000"])
        assert limits == Limits(body=64 * 2**20, decompressed=2 * 2**30, items=2, json_values=1000)

    @pytest.mark.parametrize(
        ("value", "size"),
        [
            ("1", 1),
            ("2048", 2048),
            ("1KiB", 1024),
            ("1 KiB", 1024),
            ("64MiB", 64 * 2**20),
            ("3GiB", 3 * 2**30),
        ],
    )
    def test_a_size_is_bytes_or_kib_mib_gib(self, value: str, size: int) -> None:
        assert Limits.from_settings([f"body={value}"]).body == size

    def test_one_text_is_its_lines(self) -> None:
        assert Limits.from_settings("items = 2\nbody = 1KiB\n") == Limits(items=2, body=1024)

    def test_the_last_setting_of_a_name_wins(self) -> None:
        assert Limits.from_settings(["items=5", "items=7"]).items == 7

    def test_a_mapping_takes_numbers_and_texts(self) -> None:
        limits = Limits.from_settings({"body": 4096, "decompressed": "1MiB", "items": "3"})
        assert limits == Limits(body=4096, decompressed=2**20, items=3)

    def test_settings_reads_back(self) -> None:
        """What ``serve`` prints on start: the form it reads, the largest whole unit."""
        limits = Limits(body=2**20, decompressed=1536, items=2, json_values=1000)
        assert limits.settings() == "body=1MiB decompressed=1536 items=2 json_values=1000"
        assert Limits.from_settings(limits.settings().split()) == limits
        assert Limits(body=1024, decompressed=3 * 2**30).settings().startswith("body=1KiB decompressed=3GiB ")

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            (["size=1MiB"], f"unknown limit 'size': {FORM}"),
            (["Body=1MiB"], f"unknown limit 'Body': {FORM}"),
            (["body"], f"expected NAME=VALUE, not 'body': {FORM}"),
            ({"json-values": 5}, f"unknown limit 'json-values': {FORM}"),
            (["body=64MB"], f"limit body: {SIZE}, not '64MB'"),
            (["body=1.5MiB"], f"limit body: {SIZE}, not '1.5MiB'"),
            (["decompressed="], f"limit decompressed: {SIZE}, not ''"),
            (["body=0"], f"limit body: {SIZE}, not '0'"),
            (["body=0KiB"], f"limit body: {SIZE}, not '0KiB'"),
            (["body=-1"], f"limit body: {SIZE}, not '-1'"),
            (["items=2KiB"], f"limit items: {COUNT}, not '2KiB'"),
            (["items=many"], f"limit items: {COUNT}, not 'many'"),
            (["json_values=0"], f"limit json_values: {COUNT}, not '0'"),
            ({"items": 0}, f"limit items: {COUNT}, not 0"),
            ({"items": True}, f"limit items: {COUNT}, not True"),
            ({"body": 1.5}, f"limit body: {SIZE}, not 1.5"),
        ],
    )
    def test_a_bad_name_or_value_says_the_names_and_the_form(self, settings: object, message: str) -> None:
        with pytest.raises(ValueError) as raised:
            Limits.from_settings(settings)  # type: ignore[arg-type]
        assert str(raised.value) == message


class TestReadTimeoutFromSetting:
    @pytest.mark.parametrize(
        ("value", "seconds"), [("5", 5.0), (" 0.5 ", 0.5), ("30", 30.0), (2, 2.0), (0.25, 0.25)]
    )
    def test_seconds(self, value: str | float, seconds: float) -> None:
        assert read_timeout_from_setting(value) == seconds

    @pytest.mark.parametrize("value", ["0", "-1", "soon", "", "inf", "nan", "1s", 0, math.inf, True])
    def test_anything_but_a_positive_number_says_the_form(self, value: str | float) -> None:
        with pytest.raises(ValueError) as raised:
            read_timeout_from_setting(value)
        assert str(raised.value) == f"expected a number of seconds above 0 (such as 5 or 0.5), not {value!r}"
