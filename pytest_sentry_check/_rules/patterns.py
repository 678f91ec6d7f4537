"""Value patterns: secrets and personal data recognised by shape, then validated.

Every rule keeps its true-positive and false-positive samples next to it (gitleaks-style);
the test-suite checks both, so a rule cannot drift into noise or blindness unnoticed. The
provider keys and the common formats live here; the service tokens in ``services``, the
personal data checked by libraries (phone numbers, national identifiers) in ``personal``.
:data:`PATTERN_RULES` gathers them all, by severity.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re

from .personal import DEVICE_RULES, NATIONAL_ID_RULE, PHONE_RULE
from .rule import SCRUBBED_CREDENTIAL, PatternRule, Validator, always, find_patterns, luhn, placeholder
from .services import CONNECTION_STRING_RULE, SERVICE_TOKEN_RULES

__all__ = ["PATTERN_RULES", "PEM_PRIVATE_KEY", "PatternRule", "Validator", "find_patterns"]

#: A whole PEM private key: its header, its body (real or escaped newlines) and its footer, or
#: everything after the header when the footer is cut off. The ``private-key`` rule finds keys
#: by their header; masking hides the whole block.
_PEM_LINE = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
PEM_PRIVATE_KEY = re.compile(rf"-----BEGIN {_PEM_LINE}.*?(?:-----END {_PEM_LINE}|\Z)", re.DOTALL)


# -- validators ---------------------------------------------------------------------------


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
    if len(set(digits)) == 1 or not luhn(digits):
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


def _auth_header(match: re.Match[str], path: str) -> str | None:
    scheme, credential = match.group("scheme"), match.group("credential")
    if SCRUBBED_CREDENTIAL.match(credential):
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
    if SCRUBBED_CREDENTIAL.match(match.group("password")):
        return None
    return "password in URL"


def _slack_token(match: re.Match[str], path: str) -> str | None:
    token = match.group(0)
    if placeholder(token.split("-", 1)[1]):
        return None  # xoxb-xxxxxxxxx-...
    if (
        token.startswith("xox")
        and "." not in token
        and (token.count("-") < 2 or not re.search(r"\d{8}", token))
    ):
        return None  # bot, user and legacy tokens carry a numeric team or user id: not xoxb-12345-abcd
    return "Slack token"


# -- rules ----------------------------------------------------------------------------------

_PROVIDER_KEYS = (
    PatternRule(
        "private-key",
        "critical",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
        always("PEM private key"),
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
        always("AWS access key id"),
        ("AKIAIOSFODNN7EXAMPLE", "key=ASIAY34FZKBOKMUTVV7A", "aws_access_key_id: AKIASEJSGHJAZVBKURW5"),
        ("AKIA", "AKIAIOSFODNN7EXAMPLEX1", "akiaiosfodnn7example"),
    ),
    PatternRule(
        "github-token",
        "critical",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b"),
        always("GitHub token"),
        (
            "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R",
            "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
            "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",
        ),
        ("ghp_short", "github_pat_", "ghx_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"),
    ),
    PatternRule(
        "gitlab-token",
        "critical",
        re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
        always("GitLab personal access token"),
        (
            "glpat-xyzABC123def456GHI789",
            "GITLAB_TOKEN=glpat-zdiMjDL2TkMviKAws5tL",
            "token glpat-Ab3_dE6-gH9jK2mN5pQ8",
        ),
        ("glpat-short", "gitlab-ci", "xglpat-zdiMjDL2TkMviKAws5tL"),
    ),
    PatternRule(
        "slack-token",
        "critical",
        re.compile(
            r"\b(?:xox[abeprs]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{20,}|xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,})\b"
        ),
        _slack_token,
        (
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxp-1234567890-abcdefghij",
            "SLACK_APP_TOKEN=xapp-1-A2KWLXJMMBO-3935512231528-a88c089a252ec7785409b3724415eecc1efcb1f2eb7982b78848ab9969d3f9d1",
        ),
        (
            "xoxo-hugs-and-kisses",
            "xoxb-",
            "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
            "xoxb-12345-abcd234",
            "xoxp-1234567890",
            "xoxb-Slack_BOT_TOKEN",
        ),
    ),
    PatternRule(
        "stripe-secret-key",
        "critical",
        re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
        always("Stripe secret key"),
        (
            "sk_live_51Habcdefghijklmnopqrstuv",
            "rk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "stripe.api_key = 'sk_live_pMzcnLgS86cK5Vp09NyKJ0PE'",
        ),
        ("pk_live_51Habcdefghijklmnopqrstuv", "sk_live_short", "task_live_update"),
    ),
    PatternRule(
        "google-api-key",
        "critical",
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
        always("Google API key"),
        (
            "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
            "key=AIzaFrAdd28ZK7TpusTQ3wrKVdbejpo5YIQjAxK",
            "GOOGLE_API_KEY: AIzaVe3pbKV5h64xL3xuwEcEdXvuSdGdWnUjL5u",
        ),
        ("AIzaShort", "AIRPORT-codes", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsH"),
    ),
    PatternRule(
        "anthropic-api-key",
        "critical",
        re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}"),
        always("Anthropic API key"),
        (
            "sk-ant-api03-" + "aB3_" * 24,
            "sk-ant-admin01-9jODPmj5jp34Sw2bz5S9jVXtWXPO-veTcv7r7t9lkjGLASRBIc5M8MCV_9I47H_44pEqtibbkHlPlXtilFW6B6rnk7qOn",
            "ANTHROPIC_API_KEY=sk-ant-api03-" + "Zx9-" * 21,
        ),
        ("sk-ant-short", "skant-api03", "sk-ant-api03-tooShortToBeAKey"),
    ),
    PatternRule(
        "openai-api-key",
        "critical",
        re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
        always("OpenAI API key"),
        (
            "sk-proj-" + "Ab1_" * 12,
            "sk-" + "A1b2C3d4" * 6,
            "sk-svcacct-oVHbs9uDRvZyNX9Kj3SH97zZe37IQlOMk9Dnc2U_",
        ),
        ("sk-short", "task-runner-configuration-file-name", "desk-" + "a" * 10),
    ),
    PatternRule(
        "sentry-auth-token",
        "critical",
        re.compile(r"\bsntry[us]_[A-Za-z0-9+/=_-]{40,}"),
        always("Sentry auth token"),
        (
            "sntryu_" + "0123456789abcdef" * 4,
            "sntrys_eyJpYXQiOjE2OTQwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ",
            "SENTRY_AUTH_TOKEN=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",
        ),
        ("sntryu_short", "sentry_sdk", "sntrys_"),
    ),
)
_CREDENTIALS = (
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
            "id_token=eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1LTQyIiwiZXhwIjoxNzY3MjI1NjAwfQ."
            "dgLqR44e4Lp5S9aa0TE68VRjqGbi2e2qnjUmTVMN4zk",
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhdXRoLnNob3AuZXhhbXBsZSIsInN1YiI6ImFuYSJ9."
            "SRhPjVumYqRUXOZYm0t2mpWBflZwlEH8s2jkv8mBUCic6zL4zTEmBXCF16yTtudHJSfgTOcVTr8ssZOkbLW63c",
        ),
        ("eyJub3RhbGciOnRydWV9.eyJzdWIiOiIxIn0.sig", "eyJ.eyJ.x", "eyJhbGciOiJIUzI1NiJ9"),
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
        (
            "postgres://app:s3cr3t-pw@db.internal:5432/shop",
            "https://user:hunter2@api.example.com/v1",
            "amqp://orders:Rb7-q2Lx@rabbit.internal:5672/",
        ),
        (
            "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789",
            "https://user:[Filtered]@host/",
            "http://host:8080/x@y",
        ),
    ),
)
_NUMBERS = (
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
        reads_key_path=True,
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
)
_EMAIL = (
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
)
_NETWORK = (
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

#: Every pattern rule, most severe first (a value's findings come in this order).
PATTERN_RULES: tuple[PatternRule, ...] = (
    *_PROVIDER_KEYS,
    *SERVICE_TOKEN_RULES,
    *_CREDENTIALS,
    CONNECTION_STRING_RULE,
    *_NUMBERS,
    NATIONAL_ID_RULE,
    *_EMAIL,
    PHONE_RULE,
    *_NETWORK,
    *DEVICE_RULES,
)
