"""Field rules: a key whose name says "secret" must not carry a value.

Names are compared normalized (lower case, without ``-``, ``_``, ``.`` and spaces). Long terms
match anywhere in the name (``X-Api-Key`` contains ``apikey``); short ones only as a whole
word of it (``auth`` matches ``http_auth`` but not ``author``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST

__all__ = ["DEFAULT_FIELDS", "IP_FIELDS", "FieldMatcher", "is_scrubbed"]

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


def is_scrubbed(value: Any) -> bool:
    """Empty, null, ``[Filtered]`` (any case), all ``*``, or a bracketed placeholder (``[email]``)."""
    if value is None or value == "" or isinstance(value, bool):
        return True
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
            text = text[2:-1]  # the SDK's repr of a bytes value
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
