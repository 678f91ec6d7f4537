"""One pass over an item's serialized text says which rules could match anywhere in it.

Most items of a test-suite are clean, so the scanner first runs every trigger over the whole
serialized item at once (google-re2's ``Set``: linear time, no catastrophic backtracking on
hostile payloads), and walks the item value by value only for the rules that fired. A trigger
may fire where its rule finds nothing (it has no lookarounds, no validation); it must never
stay quiet where its rule would fire.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from pytest_sentry_check._model.items import ordered_members
from pytest_sentry_check._rules.personal import ID_KEY_WORDS, PHONE_KEY_WORDS
from pytest_sentry_check._rules.rule import PatternRule


def _re2() -> Any:
    """google-re2, imported on first use (most runs never scan); None when not installed, in
    which case the scanner stays correct, only slower."""
    try:
        import re2
    except ImportError:
        return None
    return re2


__all__ = [
    "PATTERN_TRIGGERS",
    "TriggerSet",
    "any_pattern",
    "decoded_strings",
    "encoded",
    "field_trigger",
    "may_match",
    "query_parameters",
    "subtree_filter",
    "trigger_text",
    "with_decoded",
]

# Larger texts take the (slower, backtracking but correct) Python path: RE2's DFA could exceed
# its memory budget on them, and a Set reports that only as "no match".
_RE2_MAX_TEXT = 4 << 20


def _key_trigger(words: tuple[tuple[str, ...], tuple[str, ...]], value: str) -> str:
    """A JSON key holding one of ``words`` where ``_rules.personal.key_words`` finds them in a
    path (a segment's start is a quote here), then ``value``. The words start only after a
    quote, a separator or a lower-case letter: few partial matches, a small automaton."""
    every = (*words[0], *words[1])
    lower = "|".join(every)
    camel = "|".join(f"{word[0].upper()}(?i:{word[1:]})" for word in every)
    return rf'(?:[-"_. ](?i:{lower})|[a-z](?:{camel}))[^"]*"\s*:\s*{value}'


#: For each pattern rule, an RE2-compatible over-approximation of its regex.
PATTERN_TRIGGERS: dict[str, str] = {
    "private-key": r"PRIVATE KEY",
    "aws-access-key": r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    "github-token": r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_",
    "gitlab-token": r"glpat-",
    "slack-token": r"xox[abeprs]-|xapp-\d-",
    "stripe-secret-key": r"[sr]k_(?:live|test)_",
    "google-api-key": r"AIza[0-9A-Za-z_-]{35}",
    "anthropic-api-key": r"sk-ant-",
    "openai-api-key": r"sk-[A-Za-z0-9_-]{32}",
    "sentry-auth-token": r"sntry[us]_",
    "slack-webhook": r"hooks\.slack\.com/",
    # the rule needs a name (path or text) or a key id next to the 40 characters: so does this
    "aws-secret-key": r"(?i:aws[-_ ]?secret|secret[-_ ]?access[-_ ]?key)|(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    "twilio-api-key": r"SK[0-9a-f]{8}",
    "sendgrid-api-key": r"SG\.[A-Za-z0-9_-]{10}",
    "npm-token": r"npm_[A-Za-z0-9]{12}",  # not npm_config_..., npm_package_...
    "pypi-token": r"pypi-AgE",
    "huggingface-token": r"(?:hf|api_org)_[A-Za-z]{12}",
    "mailgun-api-key": r"(?i:mailgun)|api:key-",
    "databricks-token": r"dapi[0-9a-f]{8}",
    "heroku-api-key": r"HRKU-AA|(?i:heroku)",
    "jwt": r"eyJ[A-Za-z0-9_-]{5,}\.eyJ",
    "auth-header": r"(?i:bearer|basic)(?:\s|\\[tnr]|\\u00a0)+[A-Za-z0-9._~+/=-]{8}",
    "url-password": r"://[^/\s:@\"']+:[^/\s@\"']+@",
    # "key=" of a connection string's credential (a tab between may be JSON-escaped), or a URL
    # with a password and an empty user name
    "connection-string": r"(?i:password|pwd|account ?key|access ?key|shared ?access ?signature)"
    r"(?:\s|\\[tnr])*=|://:[^/\s:@\"']+@",
    # separated groups anywhere; a bare digit run only right after a card-like key
    # (and "'4111...'": the SDK sends some frame variables as their Python repr)
    "credit-card": r"\d{4}[ -]\d{4}[ -]\d{4}|\d{4}[ -]\d{6}[ -]\d{4}"
    r"|(?i:card|credit|payment|\bcc|\bpan\b)[^\"']{0,40}[\"']?\s*:\s*[\"']{0,2}\d{13,19}",
    "iban": r"[A-Z]{2}\d{2} ?[A-Z0-9]{4} ?[A-Z0-9]{4}",
    "us-ssn": r"\d{3}-\d{2}-\d{4}",
    # a formatted CPF anywhere; other formats only under a key that names them
    "national-id": r"\d{3}\.\d{3}\.\d{3}-\d{2}|" + _key_trigger(ID_KEY_WORDS, r'(?:"|[{\[])'),
    # not after "//": the user part of a URL (a DSN's key) is no mailbox
    "email": r"(?:^|[^\w.+/-]|[^/]/)[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}",
    # "+CC" and digits anywhere; a national number ("(", "0" or three digits first) only as the
    # value of a phone key, or under one. Not the key "phonenumbers" of the SDK's module list:
    # a version follows.
    "phone-number": r"\+[1-9][\d ().+-]{5}|"
    + _key_trigger(PHONE_KEY_WORDS, r"""(?:"'?(?:[(0]|\d{3})|[{\[])"""),
    # not a loopback (127.x), multicast or reserved (224-255.x) address, nor one right after
    # "@" (a DSN's host): the rule reports none of them, and a test's DSN or a uvicorn test's
    # URL put one in every event, which then was walked value by value
    "ip-address": r"(?:^|[^0-9.@])(?:\d|[1-9]\d|1[01]\d|12[0-689]|1[3-9]\d|2[01]\d|22[0-3])"
    r"\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:[^0-9.]|$)"
    r"|[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}:[0-9a-fA-F]{1,4}|[0-9a-fA-F]{1,4}::[0-9a-fA-F]{1,4}",
    "mac-address": r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}"
    r"[:-][0-9A-Fa-f]{2}",
    "imei": r"(?i:imei)",
}


def _key(long_terms: Iterable[str], short_terms: Iterable[str]) -> str:
    """A JSON key (with its quotes) holding one of the terms. Long terms may have separators
    between their letters; short ones must be a word of the name (``http_auth``, ``httpAuth``,
    ``userPIN``; not ``author``, not ``mapping``). Terms are grouped into few alternatives: the
    fewer, the smaller (and faster) RE2's automaton."""
    rest = '[^"]*'  # unbounded: counted repeats would multiply RE2's automaton states
    long_group = "|".join(
        sorted(("[-_. ]*".join(map(re.escape, t)) for t in long_terms), key=len, reverse=True)
    )
    shorts = sorted(short_terms)
    bodies = [f"{rest}(?i:{long_group}){rest}"] if long_group else []
    if shorts:
        lower = "|".join(map(re.escape, shorts))
        capitalized = "|".join(re.escape(t.capitalize()) for t in shorts)
        upper = "|".join(re.escape(t.upper()) for t in shorts)
        after = f'(?:[^a-z0-9"]{rest})?'
        bodies.append(f'(?:{rest}(?:[^A-Za-z0-9"]|\\\\u[0-9a-fA-F]{{4}}))?(?i:{lower}){after}')
        bodies.append(f"{rest}[a-z0-9](?:{capitalized}|{upper}){after}")
    return f'"(?:{"|".join(bodies)})"' if bodies else ""


def _split(terms: Iterable[str], subset: Iterable[str]) -> tuple[list[str], list[str]]:
    chosen = set(subset)
    terms = list(terms)
    return [t for t in terms if t not in chosen], [t for t in terms if t in chosen]


def field_trigger(
    long_terms: Iterable[str],
    short_terms: Iterable[str],
    *,
    numeric: Iterable[str] = (),
    addresses: Iterable[str] = (),
) -> str:
    """A sensitive name used as a JSON key, as the name of a ``[name, value]`` pair, or as a query
    parameter in a string, with a value the field rule may report: a non-empty string that is no
    placeholder (``[Filtered]``) or object repr (``<Session ...>``), a non-empty object or list;
    a number of 3 digits or more only under a ``numeric`` term (a PIN); under an ``addresses``
    term (``REMOTE_ADDR``), only a value with an IP address's digits."""
    long_terms, short_terms = list(long_terms), list(short_terms)
    general_long, ip_long = _split(long_terms, addresses)
    general_short, ip_short = _split(short_terms, addresses)
    general = _key(general_long, general_short)
    if not general and not (ip_long or ip_short):
        return ""
    value = r"""(?:"(?:[^"\['<]|'[^"\[<])|\{\s*"|\[\s*[^\]\s])"""
    alternatives = [rf"{general}\s*:\s*{value}", rf"\[\s*{general}\s*,\s*{value}"] if general else []
    numeric_key = _key(*(_split(terms, numeric)[1] for terms in (long_terms, short_terms)))
    if numeric_key:
        alternatives.append(rf"{numeric_key}\s*:\s*\"?-?\d{{3}}")
    ip_key = _key(ip_long, ip_short)
    if ip_key:
        alternatives.append(rf'{ip_key}\s*:\s*(?:"[^"]*(?:\d\.\d|:[0-9a-fA-F])|[{{\[])')
    if general:
        # the same pair as JSON text inside a JSON string: \"api_token\":\"...
        alternatives.append(f'\\\\{general[:-1]}\\\\"\\s*:\\s*\\\\"[^"\\\\]')
    spelled = ["[-_. ]*".join(map(re.escape, t)) for t in long_terms] + [re.escape(t) for t in short_terms]
    terms = "|".join(spelled)
    # a query parameter inside a string: "?api_key=...", "&token=..."
    alternatives.append(rf"[?&\"][^=&\"\s]{{0,80}}(?i:{terms})[^=&\"\s]{{0,80}}=[^&\"\s]")
    return "|".join(alternatives)


@functools.lru_cache(maxsize=64)
def any_pattern(patterns: tuple[PatternRule, ...]) -> re.Pattern[str]:
    """One regex matching wherever any of ``patterns`` does (group names made unique, numbered
    back-references shifted, flags scoped), so a value none of them matches costs one search."""
    parts = []
    offset = 0  # capturing groups of the rules before this one
    for index, rule in enumerate(patterns):
        pattern = rule.regex.pattern.removeprefix("(?i)")
        pattern = re.sub(r"\(\?P([<=])(\w+)", rf"(?P\1r{index}_\2", pattern)
        pattern = re.sub(r"\\([1-9])", _shifted(offset), pattern)
        parts.append(f"(?i:{pattern})" if rule.regex.flags & re.IGNORECASE else f"(?:{pattern})")
        offset += rule.regex.groups
    return re.compile("|".join(parts))


def _shifted(offset: int) -> Callable[[re.Match[str]], str]:
    """A replacement for a numbered back-reference, ``offset`` groups further on."""
    return lambda match: f"\\{int(match.group(1)) + offset}"


def may_match(pattern: re.Pattern[str], value: Any, text: str) -> bool:
    """Whether a pattern rule may find something in the value (or its URL-decoded form)."""
    if type(value) is str:
        if len(text) < 6:
            return False
    elif type(value) is not int or len(text) < 13:  # an int: only a card number
        return False
    return bool(pattern.search(text)) or (
        encoded(text) and bool(pattern.search(urllib.parse.unquote_plus(text)))
    )


def decoded_strings(text: str) -> str:
    """What the triggers must also read of the JSON strings in ``text``, one per line (``""``
    when nothing): the URL-decoded form of a string holding URL-encoded data (``%XX``, or ``+``
    beside an ``=``), and each parameter of a query string as a JSON pair (``"phone":"020 ..."``:
    rules that need a key's name see the parameter's). Only those strings are decoded, not the
    whole item: an item with one query string is as cheap as any other."""
    found: dict[str, None] = {}
    for marker in ("%", "+", "="):
        position = text.find(marker)
        while position != -1:
            if (marker == "=" and not _NAME_CHAR.match(text, position - 1)) or (
                marker == "%" and not _PERCENT.match(text, position)
            ):
                position = text.find(marker, position + 1)  # "page = 2", "%s": nothing encoded
                continue
            start = _string_edge(text, position, -1)
            end = _string_edge(text, position, 1)
            found[text[start:end]] = None
            position = text.find(marker, end + 1)
    extras = []
    for string in found:
        decoded = urllib.parse.unquote_plus(string) if encoded(string) else string
        if decoded != string:
            extras.append(decoded)
        extras.extend(f"{json.dumps(name)}:{json.dumps(value)}" for name, value in query_parameters(string))
    return "".join(f"\n{extra}" for extra in extras)


_NAME_CHAR = re.compile(r"[^\s=&#\"\\]")
_QUERY_START = re.compile(r"[^\s=&#\"\\]{1,100}=")


def query_parameters(text: str) -> list[tuple[str, str]]:
    """``(name, value)`` of each parameter when ``text`` is a query string, a URL with one, or a
    form body (``a=1&b=2``; a segment without ``=`` belongs to the value before it, as when the
    SDK sends ``p=Tr0ub4dor&3`` decoded); ``[]`` otherwise."""
    query = text.split("?", 1)[1] if "?" in text else text
    if not _QUERY_START.match(query) or " " in query.split("&", 1)[0]:
        return []
    pairs: list[tuple[str, str]] = []
    for segment in query.split("#", 1)[0].split("&"):
        name, equals, value = segment.partition("=")
        if equals and name and not any(c in name for c in " \t\n"):
            pairs.append((urllib.parse.unquote_plus(name), urllib.parse.unquote_plus(value)))
        elif pairs:  # "&3" of a decoded value
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}&{segment}")
    return pairs


def _string_edge(text: str, position: int, step: int) -> int:
    """Where the JSON string around ``position`` starts (step -1) or ends (step 1): at an
    unescaped quote, or the text's edge."""
    while True:
        quote = text.rfind('"', 0, position) if step < 0 else text.find('"', position)
        if quote == -1:
            return 0 if step < 0 else len(text)
        before = quote  # count the backslashes before the quote without copying the text
        while before > 0 and text[before - 1] == "\\":
            before -= 1
        if (quote - before) % 2 == 0:
            return quote + 1 if step < 0 else quote
        position = quote if step < 0 else quote + 1


def encoded(text: str) -> bool:
    """Whether ``text`` may hold URL-encoded data: percent escapes, or a ``+`` for a space in
    a query string (``note=Bearer+tok_...``)."""
    return bool(_PERCENT.search(text)) or ("+" in text and "=" in text)


def subtree_filter(triggers: TriggerSet) -> Callable[[Any], bool] | None:
    """``may_hold(subtree)``: whether a parsed-JSON subtree's text fires one of ``triggers``
    (RE2 reads the bytes orjson writes). None without orjson or triggers: walk everything."""
    if _orjson is None or not triggers.names:
        return None

    def may_hold(subtree: Any) -> bool:
        text = _orjson_text(subtree)
        return text is None or bool(triggers.match(text))

    return may_hold


_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_orjson: Any
try:
    import orjson as _orjson
except ImportError:
    _orjson = None


class TriggerSet:
    """Named RE2 patterns matched together in one pass; ``re`` one by one as a fallback."""

    def __init__(self, patterns: dict[str, str]):
        self.names = [name for name, pattern in patterns.items() if pattern]
        self._python = {name: re.compile(patterns[name]) for name in self.names}
        self._set = None
        re2 = _re2()
        if re2 is not None and self.names:
            options = re2.Options()
            options.max_mem = 64 << 20
            options.log_errors = False
            search_set = re2.Set.SearchSet(options)
            for name in self.names:
                search_set.Add(patterns[name])
            search_set.Compile()
            self._set = search_set

    def match(self, text: str | bytes) -> set[str]:
        """The names of the patterns found in ``text`` (UTF-8 bytes too: what orjson wrote)."""
        if self._set is not None and len(text) <= _RE2_MAX_TEXT:
            indexes = self._set.Match(text)  # None when nothing matched
            return {self.names[index] for index in indexes or ()}
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return {name for name, pattern in self._python.items() if pattern.search(text)}


def with_decoded(text: str | bytes) -> str | bytes:
    """``text`` with what the triggers must also read of its strings (``decoded_strings``)."""
    if isinstance(text, str):
        return text + decoded_strings(text)
    if b"%" in text or b"+" in text:  # (RE2 reads orjson's bytes as they are)
        return text + decoded_strings(text.decode("utf-8", "replace")).encode()
    return text


def trigger_text(payload: Any, json_native: bool) -> str | bytes:
    """The item as JSON text, for the triggers. Parsed JSON goes to orjson when installed (several
    times faster); anything else to the json module, which refuses what contains itself and
    stops at the recursion limit (orjson does not count tuples there and can crash the process),
    and writes sets as lists and bytes as text, as the walk reads them."""
    if json_native:
        text = _orjson_text(payload)
        if text is not None:
            return text
    return json.dumps(payload, default=_as_json, skipkeys=False)


def _orjson_text(value: Any) -> bytes | None:
    """``value`` as orjson writes it; None without orjson, or for what it refuses (huge ints,
    lone surrogates: the json module may still take them)."""
    if _orjson is None:
        return None
    try:
        return bytes(_orjson.dumps(value, option=_orjson.OPT_NON_STR_KEYS))
    except (TypeError, ValueError):
        return None


def _as_json(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return ordered_members(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)
