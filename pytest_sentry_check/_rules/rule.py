"""What a pattern rule is, and the checks several rule modules share.

Factored out of ``patterns`` so that the rule modules (``patterns``, ``services``, ``personal``)
and the aggregate in ``patterns`` import it without a circle.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "SCRUBBED_CREDENTIAL",
    "PatternRule",
    "Validator",
    "always",
    "entropy",
    "find_patterns",
    "luhn",
    "placeholder",
    "text_before",
]

# A validator gets the match and the key path the value sits under; it returns a short
# description of what was recognised (never the value itself), or None to reject the candidate.
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
    #: The validator reads the key path (a card number under ``card``, a national phone number
    #: under ``phone``): an item's subtree can hold a finding without its own text showing why.
    reads_key_path: bool = False


def always(description: str) -> Validator:
    """A validator for shapes that need no further check."""
    return lambda match, path: description


def find_patterns(
    text: str, path: str, rules: tuple[PatternRule, ...]
) -> Iterator[tuple[PatternRule, str, str]]:
    """Yield ``(rule, matched text, description)`` for every validated match in ``text``."""
    for rule in rules:
        for match in rule.regex.finditer(text):
            description = rule.validate(match, path)
            if description is not None:
                yield rule, match.group(0), description


#: What a scrubber or a template leaves where a credential was: ``[Filtered]``, ``****``,
#: ``xxxx``, ``redacted``.
SCRUBBED_CREDENTIAL = re.compile(r"(?i)^(\[\w+\]|\*+|x+|redacted|filtered)$")
# Template placeholders: ${DB_PASSWORD}, {password}, <password>, %(password)s, %s, $PASSWORD
_PLACEHOLDER = re.compile(r"^(?:\$\{[^}]*\}|\{\{?[\w.]*\}?\}|<[^>]*>|%\(\w*\)s|%s|\$[A-Z_][A-Z0-9_]*)$")
# runs a person types for a made-up value: xxxxxx, 000000, ******, ......
_FILLER = re.compile(r"(?i)(x{6,}|\*{4,}|#{4,}|\.{4,}|(.)\2{7,})")


def placeholder(value: str) -> bool:
    """Whether ``value`` is a scrubbed value, a template placeholder or filler, not a secret."""
    return bool(SCRUBBED_CREDENTIAL.match(value) or _PLACEHOLDER.match(value) or _FILLER.search(value))


def entropy(text: str) -> float:
    """Shannon entropy in bits per character (random base64: about 5; a word: under 3)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def luhn(digits: str) -> bool:
    """The Luhn (mod 10) check of payment cards and IMEIs."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def text_before(match: re.Match[str], width: int) -> str:
    """Up to ``width`` characters of the text just before the match (its context)."""
    return match.string[max(0, match.start() - width) : match.start()]
