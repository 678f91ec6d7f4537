"""Field rules: a key whose name says "secret" must not carry a value.

Names are compared normalized (lower case, without ``-``, ``_``, ``.`` and spaces). Long terms
match anywhere in the name (``X-Api-Key`` contains ``apikey``); short ones only as a whole
word of it (``auth`` matches ``http_auth`` but not ``author``).

A name is half the evidence: :func:`harmless_value` says when the value under it cannot carry a
credential or personal data (a token counter, an auth method's name, a rotation period), so the
field rule does not fire on an LLM app's settings. See ``docs/scrubbing.md#the-field-rule``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST

__all__ = ["DEFAULT_FIELDS", "IP_FIELDS", "NUMERIC_SECRETS", "FieldMatcher", "harmless_value", "is_scrubbed"]

# Relay's @password key terms and its sensitive cookie names (session, csrf, xsrf families).
_RELAY_TERMS = (
    "password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "auth", "credential",
    "credentials", "privatekey", "private_key", "session", "sessionid", "sid", "csrf", "csrftoken",
    "xsrf", "xsrftoken", "jsessionid", "phpsessid", "connect.sid", "laravel_session", "cookie",
)  # fmt: skip
_OTHER_TERMS = ("pin", "otp", "ssn", "cvv", "cvc", "passphrase", "jwt", "bearer", "authorization")

#: The default sensitive names: sentry-sdk's denylists, Relay's terms, and a few more.
DEFAULT_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys([*DEFAULT_DENYLIST, *DEFAULT_PII_DENYLIST, *_RELAY_TERMS, *_OTHER_TERMS])
)

_SHORT = 5  # terms shorter than this match whole words only
# Names that contain a long term but hold no secret: token counts of AI spans, and the like.
_NOT_SECRET = re.compile(r"tokens$|tokencount|tokenizer|tokentype|tokenusage|sessioncount|sessionduration")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_PLACEHOLDER = re.compile(r"^(?:\[[^\[\]]{1,40}\]|\*+|<redacted>|<filtered>|\{\{auto\}\})$", re.IGNORECASE)
#: Names whose values are personal only when they really are an IP address.
IP_FIELDS = frozenset(re.sub(r"[-_. ]", "", name.lower()) for name in DEFAULT_PII_DENYLIST)


def _normalize(name: str) -> str:
    return re.sub(r"[-_. ]", "", name.lower())


def _unquoted(text: str) -> str:
    """The SDK sends frame variables as their Python repr: ``'[Filtered]'``, ``b'x'``."""
    text = text.strip()
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        return text[2:-1]
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        return text[1:-1]
    return text


def is_scrubbed(value: Any) -> bool:
    """Empty, null, ``[Filtered]`` (any case, also quoted as the SDK's repr), all ``*``, or a
    bracketed placeholder (``[email]``)."""
    if value is None or value == "" or isinstance(value, bool):
        return True
    if isinstance(value, str):
        text = _unquoted(value)
        return text == "" or bool(_PLACEHOLDER.match(text))
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


class FieldMatcher:
    """Tells whether a key names a secret, for a given list of sensitive names."""

    def __init__(self, fields: Iterable[str] = DEFAULT_FIELDS, safe_fields: Iterable[str] = ()):
        long_terms: set[str] = set()
        short_terms: set[str] = set()
        for name in fields:
            normalized = _normalize(name)
            if normalized:
                (short_terms if len(normalized) < _SHORT else long_terms).add(normalized)
        self.long_terms = tuple(sorted(long_terms))
        self.short_terms = tuple(sorted(short_terms))
        self._long = re.compile("|".join(sorted(map(re.escape, long_terms), key=len, reverse=True)) or "(?!)")
        self._short = short_terms
        self._safe = {_normalize(name) for name in safe_fields}
        self._cache: dict[str, str | None] = {}

    def match(self, key: str) -> str | None:
        """The sensitive term ``key`` contains, or None."""
        if key in self._cache:
            return self._cache[key]
        term = self._match(key)
        if len(self._cache) < 10_000:
            self._cache[key] = term
        return term

    def _match(self, key: str) -> str | None:
        if key.startswith(("b'", 'b"')) and key.endswith(("'", '"')):
            key = key[2:-1]
        normalized = _normalize(key)
        if not normalized or normalized in self._safe or _NOT_SECRET.search(normalized):
            return None
        found = self._long.search(normalized)
        if found:
            return found.group(0)
        for word in _WORD_SPLIT.split(key):
            if word.lower() in self._short:
                return word.lower()
        return None


# -- values that cannot carry a secret ---------------------------------------------------------

#: Terms whose secrets are short numbers: under these, a number of 3 digits or more is a finding.
NUMERIC_SECRETS = frozenset({"pin", "otp", "cvv", "cvc", "ssn", "passcode"})
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_DURATION = re.compile(
    r"(?i)P(?=[\dT])(?:\d+(?:\.\d+)?[YMWD])*(?:T(?=\d)(?:\d+(?:\.\d+)?[HMS])+)?"  # ISO 8601
    r"|\d+(?:\.\d+)?\s?(?:ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?"
    r"|months?|y|years?)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
# "<httpx.BasicAuth object at 0x7f...>", "<Session my-suite exitstatus=0 testsfailed=0>": the SDK's
# repr of an object in frame variables (the pattern and canary rules still read inside it)
_OBJECT_REPR = re.compile(r"<[A-Za-z_][\w.]*(?:\s[^\n]*)?>", re.DOTALL)
#: Short words an auth or token setting takes: schemes, grant and token types, algorithms,
#: storage back-ends, switches and states. A closed list: any other word may be a password.
VOCABULARY = frozenset(
    """
    basic bearer digest oauth oauth1 oauth2 oidc openid saml saml2 sso ldap kerberos ntlm negotiate
    jwt jws jwe hmac mtls tls ssl apikey api_key api-key password passwordless magic_link magiclink
    otp totp hotp sms email webauthn passkey fido2 mfa 2fa cookie cookies session sessions token
    header headers query body form none anonymous anon guest internal service user client
    client_credentials authorization_code refresh_token implicit device_code pkce access refresh
    id id_token access_token pat hs256 hs384 hs512 rs256 rs384 rs512 es256 es384 es512 ps256 ps384
    ps512 eddsa sha1 sha256 sha384 sha512 md5 bcrypt scrypt argon2 argon2id pbkdf2 aes aes256 rsa
    ecdsa ed25519 true false null nil yes no on off enabled disabled enable disable required
    optional strict lax auto default always never daily weekly monthly yearly hourly manual
    automatic valid invalid expired revoked active inactive pending missing unknown success
    failed failure ok error denied granted allowed read write admin redis memory memcached
    database db file env environment vault kms keychain keyring local remote cache secure insecure
    plain plaintext hashed encrypted masked redacted hidden sent received signed unsigned
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# name words that make a sensitive name a setting: "auth_method", "token_type", "session_ttl"
_SETTING_WORDS = (
    "method", "type", "kind", "mode", "scheme", "schemes", "provider", "backend", "strategy",
    "policy", "algorithm", "alg", "format", "source", "store", "storage", "location", "header",
    "name", "field", "param", "parameter", "url", "uri", "endpoint", "path", "file",
    "length", "len", "size", "count", "limit", "max", "min", "ttl", "timeout", "expiry", "expires",
    "expiresin", "lifetime", "age", "maxage", "duration", "period", "interval", "rotation",
    "version", "enabled", "required", "status", "scope", "scopes", "level", "strength",
)  # fmt: skip
_SETTING_NAME = re.compile("(?:" + "|".join(sorted(_SETTING_WORDS, key=len, reverse=True)) + ")$")
_RANDOM_RUN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")


def _looks_random(text: str) -> bool:
    """A run of 16+ token characters mixing letters and digits or cases, spread out like a key."""
    for run in _RANDOM_RUN.findall(text):
        classes = sum(
            (any(c.islower() for c in run), any(c.isupper() for c in run), any(c.isdigit() for c in run))
        )
        if classes >= 2 and len(set(run)) >= min(12, len(run) // 2):
            return True
    return False


def harmless_value(term: str, name: str, value: Any) -> bool:
    """Whether ``value``, under a name holding the sensitive ``term``, cannot carry a credential or
    personal data: a number (not under a PIN-like term), a switch, a date or duration, a word of
    :data:`VOCABULARY`, an object's repr, or a value that does not look random under a setting's
    name (``auth_method``, ``token_url``, ``session_ttl``)."""
    if isinstance(value, bool) or value is None:
        return True
    numeric = term in NUMERIC_SECRETS
    if isinstance(value, (int, float)):
        return not numeric or abs(value) < 100
    if not isinstance(value, str):
        return False
    text = _unquoted(value)
    if _NUMBER.fullmatch(text):
        return not numeric or sum(c.isdigit() for c in text) < 3
    if text.lower() in VOCABULARY or _DURATION.fullmatch(text) or _DATE.fullmatch(text):
        return True
    if _OBJECT_REPR.fullmatch(text):
        return True
    normalized = _normalize(_unquoted(name))
    return (
        bool(_SETTING_NAME.search(normalized)) and not normalized.endswith(term) and not _looks_random(text)
    )
