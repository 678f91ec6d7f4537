"""Value patterns: secrets and personal data recognised by shape, then validated.

Every rule keeps its true-positive and false-positive samples next to it (gitleaks-style);
the test-suite checks both, so a rule cannot drift into noise or blindness unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["PATTERN_RULES", "PEM_PRIVATE_KEY", "PatternRule", "find_patterns"]

#: A whole PEM private key: its header, its body (real or escaped newlines) and its footer, or
#: everything after the header when the footer is cut off. The ``private-key`` rule finds keys
#: by their header; masking hides the whole block.
_PEM_LINE = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
PEM_PRIVATE_KEY = re.compile(rf"-----BEGIN {_PEM_LINE}.*?(?:-----END {_PEM_LINE}|\Z)", re.DOTALL)

# A validator gets the match and the key path the value sits under; it returns a short
# description of what was recognised, or None to reject the candidate.
Validator = Callable[["re.Match[str]", str], "str | None"]


@dataclass(frozen=True)
class PatternRule:
    """A value pattern: a regex for candidates, a validator, and samples proving both."""

    id: str
    severity: str
    regex: re.Pattern[str]
    validate: Validator
    true_positives: tuple[str, ...] = field(default=())
    false_positives: tuple[str, ...] = field(default=())


def _always(description: str) -> Validator:
    return lambda match, path: description


# -- validators ---------------------------------------------------------------------------


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_CARD_BRANDS: tuple[tuple[str, re.Pattern[str], tuple[int, ...]], ...] = (
    ("Visa", re.compile(r"4"), (13, 16, 19)),
    ("Mastercard", re.compile(r"5[1-5]|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)"), (16,)),
    ("American Express", re.compile(r"3[47]"), (15,)),
    ("Discover", re.compile(r"6(?:011|5|4[4-9])"), (16, 19)),
    ("JCB", re.compile(r"35(?:2[89]|[3-8])"), (16, 19)),
    ("Diners Club", re.compile(r"3(?:0[0-5]|[68])"), (14, 16)),
)
_CARD_CONTEXT = re.compile(r"(?i)card|\bcc|\bpan\b|credit|payment")


def _card(match: re.Match[str], path: str) -> str | None:
    text = match.group(0)
    digits = re.sub(r"[ -]", "", text)
    separated = digits != text
    if not separated and not _CARD_CONTEXT.search(path):
        return None  # a bare digit run is only a card number where the key says so
    if len(set(digits)) == 1 or not _luhn(digits):
        return None
    for brand, prefix, lengths in _CARD_BRANDS:
        if prefix.match(digits) and len(digits) in lengths:
            return f"Luhn-valid {brand} number"
    return None


_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip


def _iban(match: re.Match[str], path: str) -> str | None:
    iban = re.sub(r"\s", "", match.group(0)).upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return None
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return f"{iban[:2]} IBAN, mod-97 valid" if int(number) % 97 == 1 else None


def _ssn(match: re.Match[str], path: str) -> str | None:
    area, group, serial = match.group("area"), match.group("group"), match.group("serial")
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return None
    digits = area + group + serial
    if len(set(digits)) == 1 or digits in ("123456789", "078051120"):
        return None
    return "US social security number"


def _ip(match: re.Match[str], path: str) -> str | None:
    text = match.group(0)
    start, end = match.span()
    source = match.string
    before = source[max(0, start - 8) : start].lower()
    if re.search(r"(?:\bv|version[\s:=]*|@|[\d.]|[A-Za-z]/)$", before) or source[end : end + 1] == ".":
        return None  # release "app@1.2.3.4", "v1.2.3.4", or part of a longer dotted run
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_multicast or address.is_link_local:
        return None
    if address.is_reserved:
        return None
    kind = "private" if address.is_private else "public"
    return f"{kind} IPv{address.version} address"


def _b64decode(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _jwt(match: re.Match[str], path: str) -> str | None:
    header = _b64decode(match.group("header"))
    try:
        decoded = json.loads(header) if header else None
    except ValueError:
        return None
    if isinstance(decoded, dict) and "alg" in decoded:
        return f"JSON Web Token (alg {str(decoded['alg'])[:10]})"
    return None


_SCRUBBED_CREDENTIAL = re.compile(r"(?i)^(\[\w+\]|\*+|x+|redacted|filtered)$")


def _auth_header(match: re.Match[str], path: str) -> str | None:
    scheme, credential = match.group("scheme"), match.group("credential")
    if _SCRUBBED_CREDENTIAL.match(credential):
        return None
    if not re.search(r"\d", credential) and len(credential) < 20:
        return None  # "missing bearer credentials": a word, not a token
    if scheme.lower() == "basic":
        decoded = _b64decode(credential.replace("+", "-").replace("/", "_"))
        if not decoded or b":" not in decoded:
            return None
        return "Basic credentials (user:password)"
    return "Bearer credential"


def _email(match: re.Match[str], path: str) -> str | None:
    before = match.string[max(0, match.start() - 3) : match.start()]
    if before.endswith("//"):
        return None  # the user part of a URL (a DSN's public key), not a mailbox
    domain = match.group(0).split("@", 1)[1]
    if re.match(r"\d+\.\d+", domain):
        return None  # a release: "shop@2.0.0-rc.final"
    if match.string[match.end() : match.end() + 1] == ":":
        return None  # an scp-style remote: "git@github.com:org/repo.git"
    return "email address"


def _userinfo(match: re.Match[str], path: str) -> str | None:
    if _SCRUBBED_CREDENTIAL.match(match.group("password")):
        return None
    return "password in URL"


# -- rules ----------------------------------------------------------------------------------

PATTERN_RULES: tuple[PatternRule, ...] = (
    PatternRule(
        "private-key",
        "critical",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        _always("PEM private key"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow",
            "-----BEGIN PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ),
        ("-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----", "private key rotation scheduled"),
    ),
    PatternRule(
        "aws-access-key",
        "critical",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
        _always("AWS access key id"),
        ("AKIAIOSFODNN7EXAMPLE", "key=ASIAY34FZKBOKMUTVV7A"),
        ("AKIA", "AKIAIOSFODNN7EXAMPLEX1", "akiaiosfodnn7example"),
    ),
    PatternRule(
        "github-token",
        "critical",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b"),
        _always("GitHub token"),
        ("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R", "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"),
        ("ghp_short", "github_pat_", "ghx_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"),
    ),
    PatternRule(
        "gitlab-token",
        "critical",
        re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
        _always("GitLab personal access token"),
        ("glpat-xyzABC123def456GHI789",),
        ("glpat-short", "gitlab-ci"),
    ),
    PatternRule(
        "slack-token",
        "critical",
        re.compile(r"\bxox[abeprs]-[A-Za-z0-9-]{10,}\b"),
        _always("Slack token"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxp-1234567890-abcdefghij"),
        ("xoxo-hugs-and-kisses", "xoxb-"),
    ),
    PatternRule(
        "stripe-secret-key",
        "critical",
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
        _always("Stripe secret key"),
        ("sk_live_51Habcdefghijklmnopqrstuv", "rk_test_4eC39HqLyjWDarjtT1zdp7dc"),
        ("pk_live_51Habcdefghijklmnopqrstuv", "sk_live_short", "task_live_update"),
    ),
    PatternRule(
        "google-api-key",
        "critical",
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
        _always("Google API key"),
        ("AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",),
        ("AIzaShort", "AIRPORT-codes"),
    ),
    PatternRule(
        "anthropic-api-key",
        "critical",
        re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}"),
        _always("Anthropic API key"),
        ("sk-ant-api03-" + "aB3_" * 24,),
        ("sk-ant-short", "skant-api03"),
    ),
    PatternRule(
        "openai-api-key",
        "critical",
        re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
        _always("OpenAI API key"),
        ("sk-proj-" + "Ab1_" * 12, "sk-" + "A1b2C3d4" * 6),
        ("sk-short", "task-runner-configuration-file-name", "desk-" + "a" * 10),
    ),
    PatternRule(
        "sentry-auth-token",
        "critical",
        re.compile(r"\bsntry[us]_[A-Za-z0-9+/=_-]{40,}"),
        _always("Sentry auth token"),
        (
            "sntryu_" + "0123456789abcdef" * 4,
            "sntrys_eyJpYXQiOjE2OTQwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ",
        ),
        ("sntryu_short", "sentry_sdk"),
    ),
    PatternRule(
        "jwt",
        "high",
        re.compile(
            # a token starts where no base64url character precedes it: inside a run of them
            # ("-eyJ-eyJ..."), every "eyJ" would start a scan of up to 1,000 characters
            r"(?<![A-Za-z0-9_-])(?P<header>eyJ[A-Za-z0-9_-]{5,1000})"
            r"\.eyJ[A-Za-z0-9_-]{0,8000}\.[A-Za-z0-9_-]{0,1000}"
        ),
        _jwt,
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
        ("eyJub3RhbGciOnRydWV9.eyJzdWIiOiIxIn0.sig", "eyJ.eyJ.x"),
    ),
    PatternRule(
        "auth-header",
        "high",
        re.compile(r"(?i)\b(?P<scheme>bearer|basic)\s+(?P<credential>[A-Za-z0-9._~+/=-]{8,})"),
        _auth_header,
        (
            "Bearer tok_live_51Habc123",
            "Authorization: Basic dXNlcjpodW50ZXIy",
            "bearer abcdefghijklmnopqrstuv",
        ),
        ("Bearer [Filtered]", "Basic aGVsbG8gd29ybGQ=", "bearer token expired", "Bearer ********"),
    ),
    PatternRule(
        "url-password",
        "high",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^/\s:@\"']{1,256}:(?P<password>[^/\s@\"']{1,256})@"),
        _userinfo,
        ("postgres://app:s3cr3t-pw@db.internal:5432/shop", "https://user:hunter2@api.example.com/v1"),
        (
            "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789",
            "https://user:[Filtered]@host/",
            "http://host:8080/x@y",
        ),
    ),
    PatternRule(
        "credit-card",
        "high",
        re.compile(
            r"(?<![\d.-])(?:\d{4}[ -]){3}\d{1,7}(?![\d-])"
            r"|(?<![\d.-])\d{4}[ -]\d{6}[ -]\d{4,5}(?![\d-])"  # American Express, Diners: 4-6-5, 4-6-4
            r"|(?<![\d.])\d{13,19}(?![\d.])"
        ),
        _card,
        ("4111 1111 1111 1111", "5555-5555-5555-4444", "3782 8224 6310 005", "3782 822463 10005"),
        ("4111 1111 1111 1112", "1795423546203724", "0000 0000 0000 0000", "2026-11-23-1234"),
    ),
    PatternRule(
        "iban",
        "high",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
        _iban,
        ("DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606"),
        ("DE89370400440532013001", "AB12345678901234", "XX00 0000 0000 0000"),
    ),
    PatternRule(
        "us-ssn",
        "high",
        re.compile(r"(?<![\d-])(?P<area>\d{3})-(?P<group>\d{2})-(?P<serial>\d{4})(?![\d-])"),
        _ssn,
        ("078-05-1121", "ssn: 219-09-9999", "536-90-4399"),
        ("000-12-3456", "666-12-3456", "912-34-5678", "111-11-1111", "2026-11-2345", "123-45-6789"),
    ),
    PatternRule(
        "email",
        "medium",
        re.compile(
            r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}(?![\w-])"
        ),
        _email,
        ("ana.lopez@shop.example", "mailto:bo+tag@mail.co.uk", "user 'kim@example.org' not found"),
        (
            "checkout@2.3.1",
            "pkg@1.2.3",
            "app@1.0.0",
            "git@github",
            "@decorator",
            "sentry.python.fastapi@2.75.0",
            "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789",
            "redis://cache@redis.internal.example",
        ),
    ),
    PatternRule(
        "ip-address",
        "low",
        re.compile(
            r"(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w:])"
            r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
            r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4}(?![\w:])"
        ),
        _ip,
        (
            "client 203.0.113.77 blocked",
            "x-forwarded-for: 81.2.69.160",
            "2001:db8:85a3::8a2e:370:7334",
            "10.1.2.3",
        ),
        ("127.0.0.1", "version 1.2.3.4", "app@4.3.2.1", "0.0.0.0", "1.2.3.4.5", "::1", "fe80::1"),
    ),
)


def find_patterns(
    text: str, path: str, rules: tuple[PatternRule, ...]
) -> Iterator[tuple[PatternRule, str, str]]:
    """Yield ``(rule, matched text, description)`` for every validated match in ``text``."""
    for rule in rules:
        for match in rule.regex.finditer(text):
            description = rule.validate(match, path)
            if description is not None:
                yield rule, match.group(0), description
