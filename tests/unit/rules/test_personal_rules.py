"""The personal-data rules (``_rules/personal.py``): phone numbers through ``phonenumbers``,
national identifiers through ``python-stdnum`` (the optional ``[pii]`` extra), MAC addresses
and IMEIs; and that neither library is imported before a value needs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pytest_sentry_check._rules import personal
from pytest_sentry_check._rules.patterns import PATTERN_RULES, find_patterns
from pytest_sentry_check._scan.api import scan

RULES = {rule.id: rule for rule in PATTERN_RULES}


def _found(rule_id: str, text: str, path: str = "extra.note") -> list[str]:
    return [description for _, _, description in find_patterns(text, path, (RULES[rule_id],))]


class TestPhoneNumbers:
    @pytest.mark.parametrize(
        ("text", "country"),
        [
            ("+44 20 7946 0958", "GB"),
            ("+1 (202) 555-0143", "US"),
            ("+33 1 42 68 53 00", "FR"),
            ("+55 11 91234-5678", "BR"),
            ("+81 3-1234-5678", "JP"),
            ("+44+20+7946+0958", "GB"),  # in a query string the SDK sent percent-decoded
        ],
    )
    def test_an_international_number_is_found_anywhere(self, text: str, country: str) -> None:
        """With its country code, a number valid for its country's plan needs no key."""
        assert _found("phone-number", f"retry SMS to {text} later") == [
            f"phone number ({country}, valid for its numbering plan)"
        ]

    @pytest.mark.parametrize(
        "path",
        ["user.phone", "extra.phone_number", "extra.customerPhone", "extra.MOBILE", "extra.tel",
         "request.data.contact.phone.home", "extra.fax"],
    )  # fmt: skip
    def test_a_national_number_is_found_as_the_value_of_a_phone_key(self, path: str) -> None:
        assert _found("phone-number", "020 7946 0958", path) == [
            "phone number (GB, valid for its numbering plan)"
        ]

    def test_regions_are_tried_in_order(self) -> None:
        """A national number is checked against PHONE_REGIONS, first valid wins."""
        assert personal.PHONE_REGIONS[0] == "US"
        assert _found("phone-number", "(415) 555-2671", "user.phone") == [
            "phone number (US, valid for its numbering plan)"
        ]
        # valid in Germany and in France: the first region in the list names it
        assert _found("phone-number", "06 12 34 56 78", "user.phone") == [
            "phone number (DE, valid for its numbering plan)"
        ]

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            ("extra.phone_verified_at", "2026-12-03 10:15:00"),  # a date, not the number alone
            ("extra.phone", "20261203"),  # a date under a phone key
            ("extra.phone", "1733212800"),  # a Unix time
            ("extra.phone", "123"),
            ("extra.phone", "9.0.43"),
            ("extra.phone", "call 020 7946 0958"),  # not the number alone
            ("extra.telemetry_id", "02079460958"),  # "tel" only as a word
            ("extra.hotel", "02079460958"),
            ("extra.order_id", "02079460958"),
            ("modules.phonenumbers", "9.0.43"),
            ("extra.note", "port 8080, build 20231103, order 4471234567890"),
            ("extra.note", "+1 800 555 0199"),  # toll free: a company's line
            ("extra.note", "+999 1234 5678"),  # no such country
        ],
    )
    def test_digit_runs_that_are_no_phone_number(self, path: str, value: str) -> None:
        assert _found("phone-number", value, path) == []

    def test_in_an_event_the_finding_is_masked(self) -> None:
        [finding] = scan({"user": {"id": "u1", "phone": "+44 20 7946 0958"}}, detectors=["phone-number"])
        assert (finding.rule, finding.severity, finding.path, finding.preview) == (
            "phone-number", "medium", "user.phone", "+44…[16 chars]")  # fmt: skip


class TestNationalIds:
    @pytest.fixture(autouse=True)
    def _stdnum(self) -> None:
        pytest.importorskip("stdnum", reason="the national-id rule needs the [pii] extra")

    @pytest.mark.parametrize(
        ("key", "value", "label"),
        [
            ("national_id", "RSSMRA85T10A562S", "IT codice fiscale"),
            ("codice_fiscale", "RSSMRA85T10A562S", "IT codice fiscale"),
            ("dni", "10652234Z", "ES DNI"),
            ("nie", "Y3809290K", "ES NIE"),
            ("bsn", "961291242", "NL BSN"),
            ("aadhaar", "9699 5572 0355", "IN Aadhaar"),
            ("nhsNumber", "170 052 3376", "UK NHS number"),
            ("pesel", "85061576134", "PL PESEL"),
            ("steuer_id", "50255841395", "DE tax id"),
            ("nir", "1 85 05 78 006 084 91", "FR NIR"),
            ("personnummer", "850709-8781", "SE personnummer"),
            ("customer_cpf", "91352626640", "BR CPF"),
        ],
    )
    def test_each_format_is_found_under_a_key_that_names_it(self, key: str, value: str, label: str) -> None:
        assert _found("national-id", value, f"user.{key}") == [
            f"national identifier ({label}, check digits valid)"
        ]

    def test_a_formatted_cpf_needs_no_key(self) -> None:
        assert _found("national-id", "customer 120.311.693-43 blocked") == [
            "national identifier (BR CPF, check digits valid)"
        ]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("dni", "10652234A"),  # wrong letter
            ("bsn", "123456789"),  # fails the 11-test
            ("national_id", "0000000000"),
            ("national_id", "RSSMRA85T10A562X"),
            ("order_id", "961291242"),  # valid BSN digits, but no key says so
            ("nine", "961291242"),  # a short word only as a word
            ("tax_id", "2026-12-03"),
        ],
    )
    def test_what_is_not_an_identity_number(self, key: str, value: str) -> None:
        assert _found("national-id", value, f"user.{key}") == []

    def test_without_stdnum_the_rule_finds_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The [pii] extra is optional (LGPL): without it the rule stays quiet, it does not fail."""
        monkeypatch.setattr(personal, "_module", lambda name: None)
        assert _found("national-id", "10652234Z", "user.dni") == []
        assert _found("national-id", "120.311.693-43") == []


class TestDeviceIdentifiers:
    def test_mac_addresses(self) -> None:
        assert _found("mac-address", "wlan0 HWaddr 3c:22:fb:97:41:d2") == [
            "MAC address (universally administered)"
        ]
        assert _found("mac-address", "02-42-ac-11-00-02") == ["MAC address (locally administered)"]
        assert _found("mac-address", "3c:22:fb-97:41:d2") == []  # mixed separators
        assert _found("mac-address", "2001:db8:85a3::8a2e:370:7334") == []

    def test_imei_needs_its_name(self) -> None:
        assert _found("imei", "490154203237518", "extra.device.imei") == ["IMEI (Luhn valid)"]
        assert _found("imei", "490154203237518", "extra.order_id") == []


def test_neither_library_is_imported_before_a_value_needs_it() -> None:
    """Importing every rule, and scanning what needs neither library, loads neither (pytest loads
    the plugin in every run); a phone-shaped value then loads phonenumbers."""
    code = textwrap.dedent(
        """
        import sys
        from pytest_sentry_check import scan
        from pytest_sentry_check._rules.patterns import PATTERN_RULES
        scan({"extra": {"note": "ana@shop.example", "order": "4471234567890", "dni": "x"}})
        print(sorted(m for m in ("phonenumbers", "stdnum") if m in sys.modules))
        scan({"extra": {"note": "+44 20 7946 0958"}})
        print(sorted(m for m in ("phonenumbers", "stdnum") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["[]", "['phonenumbers']"]


def _forget(package: str) -> None:
    """What an in-process pytester run does at its end to the modules its inner run imported."""
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        del sys.modules[name]


def test_a_library_dropped_from_sys_modules_is_imported_again() -> None:
    """An in-process ``pytester`` run that imported phonenumbers removes it from ``sys.modules``
    at its end. A module object kept from before then loaded a region's metadata into a fresh
    copy of the package, and every later lookup of that region failed (AssertionError inside
    ``phonenumbers.parse``). Tuvalu and Malta: regions no other test looks up."""
    _forget("phonenumbers")
    assert _found("phone-number", "retry SMS to +688 90 1234 later") == [
        "phone number (TV, valid for its numbering plan)"
    ]
    _forget("phonenumbers")
    assert _found("phone-number", "retry SMS to +356 9696 1234 later") == [
        "phone number (MT, valid for its numbering plan)"
    ]
