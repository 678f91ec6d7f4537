"""The one place that turns captured values into text for people: short, and never a whole secret.

Every message, repr and report of the project goes through :func:`shorten` (any value) or
:func:`mask` (a value known to be sensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["forget_secrets", "mask", "register_secret", "sensitive_key", "shorten", "shorten_repr"]

_SENSITIVE_KEY = re.compile(
    r"pass|secret|token|api[-_.]?key|private|credential|auth|cookie|session|csrf|xsrf|jwt|bearer",
    re.IGNORECASE,
)
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Make every later :func:`shorten` mask ``value`` wherever it appears."""
    if len(value) >= 4:
        _secrets.add(value)


def forget_secrets(values: Iterable[str]) -> None:
    """Stop masking ``values`` (when the test that registered them ends)."""
    _secrets.difference_update(values)


def sensitive_key(key: str) -> bool:
    """Whether a key's name says its value is a secret (``Authorization``, ``api_key``, ...)."""
    return bool(_SENSITIVE_KEY.search(key))


def mask(value: Any) -> str:
    """``'Bea…[29 chars]'``: the first three characters and the length, never more."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= 3:
        return f"…[{len(text)} chars]"
    return f"{text[:3]}…[{len(text)} chars]"


def shorten(value: Any, limit: int = 60) -> str:
    """``repr``-like text of ``value``, cut to ``limit`` characters, registered secrets masked."""
    text = value if isinstance(value, str) else _safe_repr(value)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    if len(text) > limit:
        text = f"{text[: limit - 1]}…[{len(text)} chars]"
    return text


def shorten_repr(value: Any, limit: int = 60) -> str:
    """Like :func:`shorten`, but strings keep their quotes (``'auth'``), as in a message."""
    return shorten(_safe_repr(value), limit)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a hostile __repr__ must not break a failure message
        return f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
