"""The one place that turns captured values into text for people: short, and never a whole secret.

Every message, repr and report of the project goes through :func:`shorten` (any value) or
:func:`mask` (a value known to be sensitive). The values registered as secrets live here, so
the scanner and every renderer mask the same ones; what a secret looks like (canary forms,
patterns, sensitive names) comes from ``_rules``, below both.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "also_masking",
    "forget_secrets",
    "mask",
    "mask_secrets",
    "printable",
    "register_secret",
    "sensitive_key",
    "shorten",
    "shorten_repr",
]

_secrets: set[str] = set()
# Rules confident enough to mask on sight in any message (loaded lazily: the scanner imports us).
_MASK_ON_SIGHT_SEVERITIES = ("critical", "high")
# personal data below high that shows up in messages and summaries (a log line "reset failed for
# ana@...", "SMS to +44 20 7946 0958 failed"); national-id is high, so masked already
_MASK_ON_SIGHT_RULES = frozenset({"email", "phone-number", "imei", "mac-address"})
# What a text must hold for a rule to mask anything in it with no key to go by, checked before the
# rule's regex runs (most shown values hold neither): a phone number is recognised in free text only
# with its country code (+44 ...), an IMEI only when named (tests/unit/masking prove both).
_ON_SIGHT_NEEDS = {"phone-number": re.compile(r"\+\d"), "imei": re.compile(r"(?i)imei")}
# A message has no key to go by: rules that ask the key (a bare digit run is a card number only
# under a card-like key) are given one that lets them judge the value alone.
_ANY_KEY = "card"


def register_secret(value: str) -> None:
    """Make every later :func:`shorten` mask ``value`` wherever it appears."""
    if len(value) >= 4:
        _secrets.add(value)


@contextlib.contextmanager
def also_masking(values: Iterable[str]) -> Iterator[None]:
    """Mask ``values`` too while the block runs (a test's canaries, when its reports are
    rendered after its ``sentry_secrets`` fixture unregistered them)."""
    added = {value for value in values if len(value) >= 4} - _secrets
    _secrets.update(added)
    try:
        yield
    finally:
        _secrets.difference_update(added)


def forget_secrets(values: Iterable[str]) -> None:
    """Stop masking ``values`` (when the test that registered them ends)."""
    _secrets.difference_update(values)


def sensitive_key(key: str) -> bool:
    """Whether a key's name says its value is a secret (``Authorization``, ``api_key``, ...)."""
    from ._rules.fields import FieldMatcher

    global _field_matcher
    if _field_matcher is None:
        _field_matcher = FieldMatcher()
    return _field_matcher.match(str(key)) is not None


_field_matcher: Any = None


def _mask_patterns(text: str) -> str:
    from ._rules.patterns import PATTERN_RULES, PEM_PRIVATE_KEY

    # a key's body is the secret, not its header: the whole block goes
    text = PEM_PRIVATE_KEY.sub(lambda match: mask(match.group(0)), text)
    for rule in PATTERN_RULES:
        if rule.severity not in _MASK_ON_SIGHT_SEVERITIES and rule.id not in _MASK_ON_SIGHT_RULES:
            continue
        needs = _ON_SIGHT_NEEDS.get(rule.id)
        if (needs is None or needs.search(text)) and rule.regex.search(text):

            def masked(match: re.Match[str], rule: Any = rule) -> str:
                shown = rule.validate(match, _ANY_KEY)
                return mask(match.group(0)) if shown else match.group(0)

            text = rule.regex.sub(masked, text)
    return text


def mask(value: Any) -> str:
    """``'Bea…[29 chars]'``: the length and at most the first three characters (a quarter of a
    short value), never more."""
    text = value if isinstance(value, str) else repr(value)
    keep = min(3, len(text) // 4)  # a 4-digit PIN shows one digit, never three
    return f"{printable(text[:keep])}…[{len(text)} chars]"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with lone surrogates (what ``surrogateescape`` decoding makes of undecodable
    bytes) written as ``\\udcff``: a terminal, a file or a JSON encoder in UTF-8 can take it."""
    if not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


def shorten(value: Any, limit: int = 60) -> str:
    """``repr``-like text of ``value``, cut to ``limit`` characters, registered secrets masked."""
    text = value if isinstance(value, str) else _safe_repr(value)
    total = len(text)
    if len(text) > 4 * limit:
        text = text[: 4 * limit]  # masking needs some context; scanning a 10 MB value does not
        cut = True
    else:
        cut = False
    text = mask_secrets(text)
    if cut or len(text) > limit:
        text = f"{text[: limit - 1]}…[{total} chars]"
    return text


def shorten_repr(value: Any, limit: int = 60) -> str:
    """Like :func:`shorten`, but strings keep their quotes (``'auth'``), as in a message."""
    return shorten(_safe_repr(value), limit)


def mask_secrets(text: str) -> str:
    """``text`` with registered secrets (in any spelling: case, URL, base64...) and anything a
    critical or high pattern recognises masked, and personal data (email addresses, phone numbers
    with their country code, MAC addresses, IMEIs); the length is not changed otherwise."""
    if _secrets:
        from ._rules.canaries import CanaryMatcher

        global _matcher
        if _matcher is None or set(_matcher.values) != _secrets:
            _matcher = CanaryMatcher(sorted(_secrets))
        text = _matcher.sub(text, mask)
    return printable(_mask_patterns(text))


_matcher: Any = None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a hostile __repr__ must not break a failure message
        return f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
