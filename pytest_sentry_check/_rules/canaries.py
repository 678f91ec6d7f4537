"""Canaries: exact values a test registers, found in any encoding they may take on the way out,
and the realistic unique values ``sentry_secrets.make(kind)`` makes."""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CANARY_KINDS", "MIN_LENGTH", "CanaryMatcher"]

MIN_LENGTH = 6
_MIN_PREFIX = 8
_MIN_TRUNCATED = 12


def _surviving_prefix(value: str) -> int:
    """How much of a value must survive truncation to count: 12 characters and half of it, so a
    shared beginning ("ak_live_", "eyJhbGci") never matches by itself."""
    return max(_MIN_TRUNCATED, (len(value) + 1) // 2)


_ELLIPSIS = re.compile(r"(?:\.\.\.|…)$")


def _base64_cores(value: bytes, encode: Callable[[bytes], bytes]) -> Iterator[str]:
    """The part of ``value``'s base64 that is the same wherever ``value`` sits in a longer blob."""
    for offset in range(3):
        encoded = encode(b"\0" * offset + value).decode().rstrip("=")
        lead = (offset * 4 + 2) // 3  # characters influenced by the padding bytes before
        tail = (len(value) + offset) % 3  # a partial last group depends on what follows
        core = encoded[lead : len(encoded) - (1 if tail else 0)]
        if len(core) >= _MIN_PREFIX:
            yield core


@dataclass(frozen=True)
class _Form:
    text: str
    encoding: str
    case_sensitive: bool


def _forms(value: str) -> list[_Form]:
    # a lone surrogate (from surrogateescape decoding) has no UTF-8 form: its code point is kept
    raw = value.encode("utf-8", "surrogatepass")
    forms = [
        _Form(value, "raw", False),
        # full case mappings can change length ("ß".upper() == "SS"), so they are forms of their own
        _Form(value.upper(), "upper-cased", False),
        _Form(value.lower(), "lower-cased", False),
        _Form(json.dumps(value)[1:-1], "JSON-escaped", False),
        _Form(quote(value, safe=""), "URL-encoded", False),
        _Form(quote_plus(value, safe=""), "URL-encoded (+)", False),
        _Form(quote(value, safe="/"), "URL-encoded", False),  # urllib's default keeps "/"
        _Form(quote(value, safe="!~*'()"), "URL-encoded", False),  # encodeURIComponent
        _Form(value.replace("/", "\\/"), "JSON-escaped", False),  # JSON may escape "/" as "\/"
        _Form(repr(raw)[2:-1], "bytes repr", False),
    ]
    forms += [_Form(core, "base64", True) for core in _base64_cores(raw, base64.b64encode)]
    forms += [_Form(core, "base64url", True) for core in _base64_cores(raw, base64.urlsafe_b64encode)]
    # exact text: full case mappings can change length ("İ".lower() is two code points), so a
    # case-insensitive regex on one spelling does not always find the other
    unique: dict[tuple[str, bool], _Form] = {}
    for form in forms:
        unique.setdefault((form.text, form.case_sensitive), form)
    return list(unique.values())


def quote(value: str, safe: str) -> str:
    return urllib.parse.quote(value, safe=safe, errors="surrogatepass")


def quote_plus(value: str, safe: str) -> str:
    return urllib.parse.quote_plus(value, safe=safe, errors="surrogatepass")


def _alternation(texts: Iterable[str]) -> str:
    """One regex alternative per literal, longest first (so the longest form wins)."""
    return "|".join(map(re.escape, sorted(set(texts), key=len, reverse=True)))


def _json_spellings(text: str) -> set[str]:
    """``text`` as regexes for itself and both its JSON spellings: escaped non-ASCII (json's
    default) and raw (orjson's). Lone surrogates only escaped: the triggers read UTF-8 text."""
    spellings = {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    return {re.escape(s) for s in spellings if not _LONE_SURROGATE.search(s)}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class CanaryMatcher:
    """Finds registered values in text: every encoding in one regex pass, then truncated prefixes."""

    def __init__(self, values: Iterable[str]):
        self.values = tuple(dict.fromkeys(v for v in values if len(v) >= MIN_LENGTH))
        self._forms: dict[str, tuple[str, str]] = {}
        insensitive: list[str] = []
        sensitive: list[str] = []
        for value in self.values:
            for form in _forms(value):
                key = form.text if form.case_sensitive else form.text.lower()
                self._forms.setdefault(key, (value, form.encoding))
                (sensitive if form.case_sensitive else insensitive).append(form.text)
        self._insensitive = re.compile(_alternation(insensitive), re.IGNORECASE) if insensitive else None
        self._sensitive = re.compile(_alternation(sensitive)) if sensitive else None
        self._prefixes = {
            value[: _surviving_prefix(value)]: value for value in self.values if len(value) > _MIN_TRUNCATED
        }

    def __bool__(self) -> bool:
        return bool(self.values)

    def _lookup(self, found: str, sensitive: bool) -> tuple[str, str]:
        """The canary (and encoding) a regex match stands for."""
        key = found if sensitive else found.lower()
        if key in self._forms:
            return self._forms[key]
        flags = 0 if sensitive else re.IGNORECASE  # simple case folding matched: ask each form
        for text, entry in self._forms.items():
            if re.fullmatch(re.escape(text), found, flags):
                return entry
        return self.values[0], "raw"

    def trigger_pattern(self) -> str:
        """Every form (and its JSON-escaped spelling, and each 8-character prefix) in one pattern."""
        insensitive: set[str] = set()
        sensitive: set[str] = set()
        for value in self.values:
            for form in _forms(value):
                target = sensitive if form.case_sensitive else insensitive
                # JSON escapes non-ASCII per code point, so each case spelling escapes differently
                spellings = (
                    {form.text} if form.case_sensitive else {form.text, form.text.lower(), form.text.upper()}
                )
                for spelling in spellings:
                    target.update(_json_spellings(spelling))
            insensitive.update(_json_spellings(value[: _surviving_prefix(value)]))
        parts = [f"(?i:{'|'.join(sorted(insensitive))})"] if insensitive else []
        parts += sorted(sensitive)
        return "|".join(parts)

    def sub(self, text: str, replace: Callable[[str], str]) -> str:
        """``text`` with each registered value (in any of its forms) replaced by
        ``replace(value)`` (the masking module passes its ``mask``)."""
        if self._insensitive is not None:
            text = self._insensitive.sub(lambda match: replace(self._lookup(match.group(0), False)[0]), text)
        if self._sensitive is not None:
            text = self._sensitive.sub(lambda match: replace(self._lookup(match.group(0), True)[0]), text)
        return text

    def find(self, text: str) -> Iterator[tuple[str, str]]:
        """Yield ``(canary, how it appears)`` for each registered value in ``text``."""
        seen: set[str] = set()
        for pattern, sensitive in ((self._insensitive, False), (self._sensitive, True)):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                found = match.group(0)
                value, encoding = self._lookup(found, sensitive)
                if value not in seen:
                    seen.add(value)
                    how = encoding if encoding != "raw" or found == value else "case changed"
                    yield value, how
        if _ELLIPSIS.search(text):
            body = _ELLIPSIS.sub("", text)
            for prefix, value in self._prefixes.items():
                start = body.rfind(prefix)  # truncation cuts the end: the last occurrence counts
                if value not in seen and start >= 0 and value.startswith(body[start:]):
                    seen.add(value)
                    yield value, f"truncated to {len(body) - start} characters"


def _luhn_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _card() -> str:
    body = "4" + _digits(14)
    return body + _luhn_digit(body)


def _ssn() -> str:
    area, group, serial = secrets.randbelow(600) + 100, secrets.randbelow(98) + 1, secrets.randbelow(9998) + 1
    return f"{area:03d}-{group:02d}-{serial:04d}"


def _iban() -> str:
    bban = "37040044" + _digits(10)
    check = 98 - int("".join(str(int(c, 36)) for c in bban + "DE00")) % 97
    return f"DE{check:02d}{bban}"


def _jwt() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': _alnum(12), 'canary': True})}.{_alnum(43)}"


#: What ``sentry_secrets.make(kind)`` can make: realistic, unique values.
CANARY_KINDS: Mapping[str, Callable[[], str]] = MappingProxyType(
    {
        "password": lambda: f"Pw-{_alnum(14)}!7",
        "token": lambda: f"tok_{secrets.token_hex(16)}",
        "api_key": lambda: f"ak_live_{_alnum(28)}",
        "email": lambda: f"canary.{secrets.token_hex(5)}@example.com",
        "card": _card,
        "iban": _iban,
        "jwt": _jwt,
        "bearer": lambda: _alnum(40),
        "aws_key": lambda: (
            "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        ),
        "ssn": _ssn,
    }
)
