"""Personal data recognised by shape and checked by the libraries that know the numbering plans:
phone numbers (``phonenumbers``), national identifiers (``python-stdnum``, the optional ``[pii]``
extra), and device identifiers (MAC addresses, IMEIs).

Both libraries are imported on first use, never when the package loads: pytest loads this plugin
in every run, and most runs never scan. Without ``python-stdnum`` the ``national-id`` rule finds
nothing (its licence, LGPL, keeps it optional).

Each rule keeps at least three true and three false samples (tested in
``tests/unit/rules/test_personal_rules.py``).
"""

from __future__ import annotations

import importlib
import re
import sys
from types import ModuleType
from typing import Any

from .rule import PatternRule, luhn, text_before

__all__ = [
    "DEVICE_RULES",
    "ID_KEY_WORDS",
    "NATIONAL_ID_RULE",
    "PHONE_KEY_WORDS",
    "PHONE_REGIONS",
    "PHONE_RULE",
    "key_words",
]


_NOT_INSTALLED: set[str] = set()


def _module(name: str) -> ModuleType | None:
    """``importlib.import_module(name)``, or None when it is not installed (asked once).

    The module itself is looked up each time, never kept: an in-process pytester run drops
    what its inner run imported from ``sys.modules``, and a kept copy then loads its lazy
    metadata into a fresh copy of the package."""
    if name in _NOT_INSTALLED:
        return None
    try:
        return sys.modules.get(name) or importlib.import_module(name)
    except ImportError:
        _NOT_INSTALLED.add(name)
        return None


def key_words(long: tuple[str, ...], short: tuple[str, ...]) -> re.Pattern[str]:
    """Words of a key path, each at the start of a segment, after ``_ - .`` or a space, or
    capitalised after a lower-case letter (``customerPhone``); short ones end there too
    (``tel``, not ``telemetry``). The prefilter's trigger looks for the same words at the same
    places in an item's text, followed by ``":``."""
    words = "|".join((*long, *(rf"(?:{word})(?![a-z])" for word in short)))
    camel = "|".join(
        (
            *(f"{word[0].upper()}(?i:{word[1:]})" for word in long),
            *(f"{word[0].upper()}(?i:{word[1:]})(?![a-z])" for word in short),
        )
    )
    return re.compile(rf"(?:^|[-_. ])(?i:{words})|[a-z](?:{camel})")


# -- phone numbers --------------------------------------------------------------------------

#: The regions a number written without its country code is checked against, in this order.
#: Such a number counts only as the whole value of a phone key (or of a key under one).
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "IN", "AU", "JP")

#: The words of a key holding a phone number: (long, short).
PHONE_KEY_WORDS = (
    ("phone", "telephone", "cellphone", "mobile", "msisdn", "whatsapp", "telef"),
    ("tel", "fax", "cell"),
)
_PHONE_KEY = key_words(*PHONE_KEY_WORDS)
# numbers a caller does not mind sharing: a company's hotline
_BUSINESS_LINES = ("TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "UAN", "VOICEMAIL")


def _phone_number(text: str, regions: tuple[str | None, ...]) -> str | None:
    phonenumbers: Any = _module("phonenumbers")
    if phonenumbers is None:
        return None
    for region in regions:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        kind = phonenumbers.number_type(number)
        if any(kind == getattr(phonenumbers.PhoneNumberType, name) for name in _BUSINESS_LINES):
            return None
        country = phonenumbers.region_code_for_number(number) or region
        return f"phone number ({country}, valid for its numbering plan)"
    return None


def _date_like(digits: str) -> bool:
    """20261203 or 1733212800(123): a date or a Unix time, under whatever key."""
    if len(digits) == 8 and digits[:2] in ("19", "20"):
        return 1 <= int(digits[4:6]) <= 12 and 1 <= int(digits[6:8]) <= 31
    return len(digits) in (10, 13) and digits[0] == "1" and digits[1] in "5678"


def _phone(match: re.Match[str], path: str) -> str | None:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or text.count("(") != text.count(")"):
        return None
    if text.startswith("+"):
        # "+44+20+7946+0958": a query string the SDK percent-decoded keeps "+" for its spaces
        return _phone_number("+" + text[1:].replace("+", " "), (None,))
    if not re.match(r"[(0]|\d{3}", text):
        return None  # national numbers start with a trunk prefix, a bracket or an area code
    near = ".".join(path.rsplit(".", 2)[-2:])  # the key and its parent
    # under a phone key, the value must be the number alone (not "phone_verified_at": a date)
    if not _PHONE_KEY.search(near) or match.string not in (text, f"'{text}'"):  # (the SDK's repr)
        return None
    if _date_like(digits):
        return None
    return _phone_number(text, PHONE_REGIONS)


PHONE_RULE = PatternRule(
    "phone-number",
    "medium",
    re.compile(
        r"(?<![\w+.])\+[1-9][\d ().+-]{6,20}\d(?![\w@])"  # international: valid anywhere
        r"|(?<![\w+.-])\(?\d[\d ().-]{5,18}\d(?![\w.@-])"  # national: only under a phone key
    ),
    _phone,
    (  # tested as the value of a key "phone"
        "+44 20 7946 0958",
        "SMS to +1 (202) 555-0143 failed: carrier rejected",
        "callback +49 30 901820",
        "whatsapp:+919876543210",
        "020 7946 0958",
        "(415) 555-2671",
        "note=+44+20+7946+0958",  # a query string as the SDK sends it: "+" for the spaces
    ),
    (
        "order 4471234567890 shipped",
        "ts=1733212800",
        "took 1733212800123 ms",
        "listening on 127.0.0.1:8080",
        "2026-12-03 10:15:00+01:00",
        "shop@4.2.0+20261203",
        "support: +1 800 555 0199",  # toll free: a business line
        "+12 345",
        "call 020 7946 0958",  # a national number in a sentence: not looked for
        "version 10.15.7.20231103",
        "LIMIT 20 OFFSET 4000000",
    ),
    reads_key_path=True,
)


# -- national identifiers (python-stdnum, optional) ----------------------------------------

#: The words of a key holding an identity number: (long, short).
ID_KEY_WORDS = (
    (
        "national[-_ ]?(?:id|insurance)", "identity[-_ ]?(?:number|no|card)", "id[-_ ]?(?:card|number)",
        "tax[-_ ]?(?:id|number|code)", "fiscal[-_ ]?code", "codice[-_ ]?fiscale", "aadhaa?r",
        "burgerservicenummer", "personnummer", "personal[-_ ]?(?:id|number|code)", "pesel",
        "steuer[-_ ]?id", "idnr", "insee", "nhs",
    ),
    ("nin", "nino", "dni", "nie", "nif", "nir", "cpf", "bsn", "tin", "pnr"),  # codespell:ignore nin
)  # fmt: skip
_ID_KEY = key_words(*ID_KEY_WORDS)

# compact length -> the formats of that length (stdnum module, label)
_BY_LENGTH: dict[int, tuple[tuple[str, str], ...]] = {
    9: (("nl.bsn", "NL BSN"),),
    10: (("gb.nhs", "UK NHS number"), ("se.personnummer", "SE personnummer")),
    11: (("br.cpf", "BR CPF"), ("pl.pesel", "PL PESEL"), ("de.idnr", "DE tax id")),
    12: (("in_.aadhaar", "IN Aadhaar"), ("se.personnummer", "SE personnummer")),
    15: (("fr.nir", "FR NIR"),),
}


def _national_id(match: re.Match[str], path: str) -> str | None:
    kind = match.lastgroup
    text = match.group(0)
    if len(set(re.sub(r"[\W_]", "", text))) == 1:
        return None  # 0000000000 passes some checksums
    formats: tuple[tuple[str, str], ...]
    if kind == "cpf":  # 123.456.789-09: a shape of its own, anywhere
        formats = (("br.cpf", "BR CPF"),)
    elif not _ID_KEY.search(".".join(path.rsplit(".", 2)[-2:])):
        return None  # an identity number only under a key that says so (or under one below it)
    elif kind == "cf":
        formats = (("it.codicefiscale", "IT codice fiscale"),)
    elif kind == "es":
        formats = (("es.nie", "ES NIE"),) if text[0] in "XYZ" else (("es.dni", "ES DNI"),)
    else:
        formats = _BY_LENGTH.get(len(re.sub(r"\D", "", text)), ())
    for name, label in formats:
        module = _module(f"stdnum.{name}")
        if module is not None and module.is_valid(text):
            return f"national identifier ({label}, check digits valid)"
    return None


NATIONAL_ID_RULE = PatternRule(
    "national-id",
    "high",
    re.compile(
        r"(?<!\w)(?:"
        r"(?P<cf>[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z])"
        r"|(?P<cpf>\d{3}\.\d{3}\.\d{3}-\d{2})"
        r"|(?P<es>[XYZ]-?\d{7}-?[A-Z]|\d{8}-?[A-Z])"
        r"|(?P<digits>\d[\d .-]{7,22}\d)"
        r")(?!\w)"
    ),
    _national_id,
    (  # tested as the value of a key "national_id"
        "CPF 120.311.693-43",
        "RSSMRA85T10A562S",
        "10652234Z",
        "Y3809290K",
        "961291242",
        "9699 5572 0355",
        "170 052 3376",
        "85061576134",
        "50255841395",
        "1 85 05 78 006 084 91",
        "850709-8781",
    ),
    (  # tested under a key that says nothing
        "CPF 120.311.693-44",  # wrong check digits
        "RSSMRA85T10A562S",  # any 16 capitals and digits
        "order 961291242",  # BSN-valid, but nothing says it is one
        "invoice 85061576134 paid",
        "10652234Z",
    ),
    reads_key_path=True,
)


# -- device identifiers ---------------------------------------------------------------------


def _mac(match: re.Match[str], path: str) -> str | None:
    octets = bytes.fromhex(re.sub(r"[:-]", "", match.group(0)))
    if len(set(octets)) == 1:
        return None  # 00:00:00:00:00:00, ff:ff:ff:ff:ff:ff: none, broadcast
    local = "locally administered" if octets[0] & 0x02 else "universally administered"
    return f"MAC address ({local})"


_IMEI_CONTEXT = re.compile(r"(?i)imei")


def _imei(match: re.Match[str], path: str) -> str | None:
    digits = re.sub(r"\D", "", match.group(0))
    if not (_IMEI_CONTEXT.search(path) or _IMEI_CONTEXT.search(text_before(match, 40))):
        return None  # 15 Luhn-valid digits alone: an order id as often as a phone
    if digits[:8] == "00000000" or len(set(digits)) == 1 or not luhn(digits):
        return None
    return "IMEI (Luhn valid)"


DEVICE_RULES: tuple[PatternRule, ...] = (
    PatternRule(
        "mac-address",
        "low",
        re.compile(r"(?<![\w:.-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:.-])"),
        _mac,
        ("00:1A:2B:3C:4D:5E", "client mac=a4-83-e7-12-9b-0c", "HWaddr 3c:22:fb:97:41:d2 up"),
        (
            "ff:ff:ff:ff:ff:ff",
            "00:00:00:00:00:00",
            "fe80::1ff:fe23:4567:890a",
            "10:15:30",
            "SHA256 ab:cd:ef:01:23:45:67:89:ab:cd",
            "00:1A:2B:3C:4D",
        ),
    ),
    PatternRule(
        "imei",
        "low",
        re.compile(r"(?<![\d-])\d{2}[ -]?\d{6}[ -]?\d{6}[ -]?\d(?![\d-])"),
        _imei,
        ("IMEI 490154203237518", "device imei: 35-209900-176148-1", "imei=356938035643809"),
        (
            "490154203237518",  # alone: as likely an order id
            "IMEI 490154203237519",  # Luhn fails
            "IMEI 000000000000000",
            "imei: 1733212800123",
        ),
        reads_key_path=True,
    ),
)
