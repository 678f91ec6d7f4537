"""Walk what was sent, item by item, and let each detector look at every value.

Targets: an ``Event`` (or any record), ``SentryEvents`` and its collections, a sentry-sdk
``Envelope``, raw envelope bytes, a plain dict, or a list of any of these.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from pytest_sentry_check._masking import mask, mask_secrets
from pytest_sentry_check._model.item_types import item_type
from pytest_sentry_check._model.items import PathLink, ScanItem, path_of
from pytest_sentry_check._rules.canaries import CanaryMatcher
from pytest_sentry_check._rules.fields import (
    IP_FIELDS,
    NUMERIC_SECRETS,
    FieldMatcher,
    harmless_value,
    is_scrubbed,
)
from pytest_sentry_check._rules.patterns import PATTERN_RULES, PatternRule, find_patterns

from .detectors import Detector
from .finding import Finding
from .prefilter import (
    PATTERN_TRIGGERS,
    TriggerSet,
    any_pattern,
    encoded,
    field_trigger,
    may_match,
    query_parameters,
    subtree_filter,
    trigger_text,
    with_decoded,
)
from .walk import Value, unbytes, values_of

__all__ = ["Scanner", "scanner_for"]

_RULES_BY_ID = {rule.id: rule for rule in PATTERN_RULES}
_OPT_IN = ("user-path",)


@functools.lru_cache(maxsize=32)
def _trigger_set(triggers: tuple[tuple[str, str], ...]) -> TriggerSet:
    return TriggerSet(dict(triggers))


class Scanner:
    """The rules of one configuration, ready to scan item after item (immutable)."""

    def __init__(
        self,
        secrets: Iterable[str],
        fields: Iterable[str],
        safe_fields: Iterable[str],
        detectors: Sequence[str | Detector],
    ):
        self.canaries = CanaryMatcher(secrets)
        self.fields = FieldMatcher(fields, safe_fields)
        names = [d for d in detectors if isinstance(d, str)]
        unknown = [n for n in names if n not in ("canary", "field", *_RULES_BY_ID, *_OPT_IN)]
        if unknown:
            valid = ", ".join(["canary", "field", *_RULES_BY_ID, *_OPT_IN])
            raise ValueError(f"unknown detector {unknown[0]!r}; detectors are: {valid}")
        self.use_canaries = "canary" in names
        self.use_fields = "field" in names
        self.use_user_paths = "user-path" in names
        self.patterns: tuple[PatternRule, ...] = tuple(_RULES_BY_ID[n] for n in names if n in _RULES_BY_ID)
        self.custom = [d for d in detectors if not isinstance(d, str)]
        self._every_rule = frozenset({"field", "canary", *(rule.id for rule in self.patterns)})
        triggers = {rule.id: PATTERN_TRIGGERS[rule.id] for rule in self.patterns}
        if "credit-card" in triggers:
            # a bare digit run is a card where a card-like key sits anywhere above it: both must occur
            triggers[_CARD_CONTEXT] = r"(?i:card|credit|payment|\bcc\b|\bpan\b)"
            triggers[_CARD_DIGITS] = r"\d{13,19}"
        if self.use_fields:
            triggers["field"] = field_trigger(
                self.fields.long_terms, self.fields.short_terms, numeric=NUMERIC_SECRETS, addresses=IP_FIELDS
            )
        if self.use_canaries and self.canaries:
            triggers["canary"] = self.canaries.trigger_pattern()
        self._triggers = triggers
        self.triggers = _trigger_set(tuple(sorted(triggers.items())))

    def scan_item(self, item: ScanItem) -> Iterator[Finding]:
        if not item.origin and not item.notes:
            yield from self._scan_item(item)
            return
        for finding in self._scan_item(item):  # a decompressed or cut payload says where it was
            yield replace(finding, detail=item.detail_at(finding.detail, finding.path))

    def _scan_item(self, item: ScanItem) -> Iterator[Finding]:
        fired = self._fired(item)
        if fired is None:  # too large for one pass: the triggers run on each value instead
            yield from self._walk(item, set(self._every_rule), per_value=True)
        elif fired or self.use_user_paths:
            yield from self._walk(item, fired)
        for detector in self.custom:
            for finding in detector(item):
                yield replace(finding, path=self._shown_text(finding.path))

    def _shown_text(self, path: str) -> str:
        """A path from elsewhere (a plugin detector), secrets in it masked."""
        return mask_secrets(self.canaries.sub(path, mask) if self.canaries else path)

    def _shown(self, path: tuple[str, ...], shown: dict[str, str] | None = None) -> str:
        """The path as findings show it: a key holding a secret is masked, segment by segment
        (masking the joined path would swallow its neighbours: an email key eats the dots).
        ``shown``: the segments masked so far in this item (a leaky item repeats its paths)."""
        if shown is None:
            return ".".join(self._shown_text(segment) for segment in path)
        parts = []
        for segment in path:
            text = shown.get(segment)
            if text is None:
                text = shown[segment] = self._shown_text(segment)
            parts.append(text)
        return ".".join(parts)

    def _fired(self, item: ScanItem) -> set[str] | None:
        """The rules worth walking the item for: their triggers matched its serialized text
        (``None``: the text is too large for one pass)."""
        text: str | bytes
        try:
            if isinstance(item.payload, bytes):
                text = item.payload.decode("utf-8", "replace")
            else:
                text = trigger_text(item.payload, item.json_native)
        except Exception:  # odd payloads (hostile __str__, cycles): no prefilter, walk everything
            return set(self._every_rule)
        if len(text) > _PREFILTER_MAX_TEXT:
            return None
        fired = self.triggers.match(with_decoded(text))
        if _CARD_CONTEXT in fired and _CARD_DIGITS in fired:
            fired.add("credit-card")
        return fired - {_CARD_CONTEXT, _CARD_DIGITS}  # helpers: they never warrant a walk alone

    def _worth_searching(self, patterns: tuple[PatternRule, ...], value: str) -> tuple[PatternRule, ...]:
        """Of the rules that fired for the item, those worth a search of one long string: its
        own JSON text fires their triggers (RE2, linear), which a rule that needs no key
        cannot match without. A backtracking search of a 60 KB frame local costs milliseconds
        (the IP address rule: 12 ms) where the item fired for a value elsewhere."""
        keyless = tuple(sorted((r.id, PATTERN_TRIGGERS[r.id]) for r in patterns if not r.reads_key_path))
        if not keyless:
            return patterns
        try:
            fired = _trigger_set(keyless).match(with_decoded(trigger_text(value, True)))
        except Exception:  # lone surrogates json refuses too: search as before
            return patterns
        return tuple(rule for rule in patterns if rule.reads_key_path or rule.id in fired)

    def _fired_in(self, text: str) -> set[str]:
        """The rules whose triggers match one value (a bare digit run may be a card)."""
        if encoded(text):
            text = f"{text}\n{urllib.parse.unquote_plus(text)}"
        if _LONE_SURROGATE.search(text):
            text = json.dumps(text)  # the triggers read JSON text, where these are escaped
        fired = self.triggers.match(text)
        if _CARD_DIGITS in fired:
            fired.add("credit-card")
        return fired

    def _walk(self, item: ScanItem, fired: set[str], per_value: bool = False) -> Iterator[Finding]:
        kind = item.item_type
        use_canaries = self.use_canaries and "canary" in fired
        use_fields = self.use_fields and "field" in fired
        patterns = tuple(rule for rule in self.patterns if rule.id in fired)
        payload = item.payload
        keys: list[tuple[str, PathLink, bool]] | None = None
        values: Iterator[Value]
        if isinstance(payload, bytes):
            values = iter([(payload.decode("utf-8", "replace"), "", None, False, None)])
        else:
            if patterns or use_canaries or per_value:
                keys = []
            name_of = self.fields.match if use_fields else None
            may_hold = None if per_value or not item.json_native else self._may_hold(fired)
            values = values_of(payload, name_of, keys, may_cycle=not item.json_native, may_hold=may_hold)
        segments: dict[str, str] = {}  # each path segment masked once per item
        for value, key, link, safe, above in values:
            if type(value) is str:
                text = value
            elif value is None or isinstance(value, bool):
                continue
            else:
                try:
                    text = str(value)
                except Exception:  # a hostile __str__, an int over 4,300 digits
                    continue
            if per_value:  # the field rule reads keys, which a value's text does not hold
                here = self._fired_in(text)
                use_canaries = self.use_canaries and "canary" in here
                patterns = tuple(rule for rule in self.patterns if rule.id in here)
            # most values need nothing: decide that here, without a call per value
            value_patterns = patterns
            if patterns and type(value) is str and len(text) >= _LONG_VALUE and not per_value and not safe:
                value_patterns = self._worth_searching(patterns, text)
            if value_patterns and (safe or not may_match(any_pattern(value_patterns), value, text)):
                # (a query string's parameter names are context the whole text's match lacks)
                keyed = "=" in text and type(value) is str and not safe
                value_patterns = (
                    tuple(rule for rule in value_patterns if rule.reads_key_path) if keyed else ()
                )
            if not (use_canaries or value_patterns or self.use_user_paths):
                if safe or not use_fields:
                    continue
                if not (key and (above or self.fields.match(key))) and not (
                    type(value) is str and ("=" in text or '":' in text)
                ):
                    continue
            found = self._value_findings(
                kind,
                value,
                text,
                key,
                link,
                safe=safe,
                above=above,
                use_canaries=use_canaries,
                use_fields=use_fields,
                patterns=value_patterns,
            )
            shown = ""
            for finding in found:
                shown = shown or self._shown(path_of(link), segments)
                yield replace(finding, path=shown)
        if use_fields and isinstance(payload, bytes):
            yield from self._text_fields(kind, payload.decode("utf-8", "replace"))
        if keys and per_value:  # every rule may apply to a key: no trigger read the keys
            yield from self._key_findings(kind, keys, self.use_canaries, self.patterns)
        elif keys:
            yield from self._key_findings(kind, keys, use_canaries, patterns)

    def _may_hold(self, fired: set[str]) -> Callable[[Any], bool] | None:
        """Whether a subtree's own text fires a trigger of the rules that fired for its item;
        None (walk everything) where a fired rule reads the key path above the value."""
        if self.use_user_paths or any(rule.reads_key_path for rule in self.patterns if rule.id in fired):
            return None  # (user-path reads every frame's file name, triggers or not)
        return subtree_filter(
            _trigger_set(tuple(sorted((n, p) for n, p in self._triggers.items() if n in fired)))
        )

    def _key_findings(
        self,
        kind: str,
        keys: list[tuple[str, PathLink, bool]],
        use_canaries: bool,
        patterns: tuple[PatternRule, ...],
    ) -> Iterator[Finding]:
        """A secret used as a key (its path is made only for a finding: deep paths are long)."""
        for key, link, safe in keys:
            if patterns and len(key) >= 6 and not safe:
                hits = tuple(rule for rule in patterns if rule.regex.search(key))
                if hits:
                    above = path_of(link)[:-1]
                    for rule, match, description in find_patterns(key, ".".join(above), hits):
                        where = ".".join((self._shown(above), mask(key))).lstrip(".")
                        detail = f"{description} (a key)"
                        yield Finding(rule.id, "pattern", rule.severity, kind, where, mask(match), detail)
            if use_canaries:
                for canary, how in self.canaries.find(key):
                    detail = f"registered secret in a key, {how}"
                    where = self._shown(path_of(link))
                    yield Finding("canary", "canary", "critical", kind, where, mask(canary), detail)

    def _value_findings(
        self,
        kind: str,
        value: Any,
        text: str,
        key: str,
        link: PathLink,
        *,
        safe: bool,
        above: str | None,
        use_canaries: bool,
        use_fields: bool,
        patterns: tuple[PatternRule, ...],
    ) -> Iterator[Finding]:
        """What the rules find in one value (paths empty: the caller fills them in, masked)."""
        if use_canaries:
            for canary, how in self.canaries.find(text):
                yield Finding(
                    "canary", "canary", "critical", kind, "", mask(canary), f"registered secret, {how}"
                )
        if safe:
            if self.use_user_paths and key in ("abs_path", "filename"):
                yield from self._user_path(kind, text)
            return
        if use_fields and key:
            term = self.fields.match(key) or above
            if term is not None:
                yield from self._field(kind, term, key, value, text)
        if use_fields and type(value) is str:
            if "=" in text:
                yield from self._query_parameters(kind, text)
            if '":' in text and link is not None:  # JSON inside a string: a logged body, a bytes repr
                # (not a payload's raw text: _text_fields reads that, keys as paths)
                for term, found in self._json_pairs(text):
                    detail = f"sensitive field {term!r} (in JSON text inside the value)"
                    yield Finding("field", "field", "high", kind, "", mask(found), detail)
        if not patterns:
            return
        if type(value) is int and len(text) >= 13:  # a card number stored as an int
            cards = tuple(rule for rule in patterns if rule.id == "credit-card")
            if cards:
                yield from self._patterns(kind, text, link, cards)
        elif type(value) is str and len(text) >= 6:
            seen: set[tuple[str, str]] = set()
            keyed = tuple(rule for rule in patterns if rule.reads_key_path) if "=" in text else ()
            searches = [self._patterns(kind, candidate, link, patterns) for candidate in _decodings(text)]
            for name, parameter in query_parameters(text) if keyed else ():
                searches.append(self._patterns(kind, parameter, (link, name), keyed))  # under its name
            for finding in (finding for search in searches for finding in search):
                if (finding.rule, finding.preview) not in seen:
                    seen.add((finding.rule, finding.preview))
                    yield finding

    @staticmethod
    def _patterns(
        kind: str, text: str, link: PathLink, patterns: tuple[PatternRule, ...]
    ) -> Iterator[Finding]:
        hits = tuple(rule for rule in patterns if rule.regex.search(text))
        if not hits:
            return
        dotted = ".".join(path_of(link))  # validators read the path (a card number under "card")
        for rule, found, description in find_patterns(text, dotted, hits):
            yield Finding(rule.id, "pattern", rule.severity, kind, "", mask(found), description)

    def _field(self, kind: str, term: str, key: str, value: Any, text: str) -> Iterator[Finding]:
        entry = item_type(kind)
        if entry is not None and key in entry.harmless_keys:
            return  # e.g. a release-health session id, not a login session
        if key == "type" and text in _ATTRIBUTE_TYPES:
            return  # the type tag of a log/span attribute, not its value
        if is_scrubbed(value) or harmless_value(term, key, value):
            return
        if term in IP_FIELDS and not _is_ip(text):
            return
        # the sensitive term only: a key can itself hold the secret
        yield Finding("field", "field", "high", kind, "", mask(unbytes(text)), f"sensitive field {term!r}")

    def _text_fields(self, kind: str, text: str) -> Iterator[Finding]:
        """``"name": "value"`` pairs in a payload that did not parse as JSON (nested deeper than
        the parser goes, or cut off): the field rule on each, its path the key's name."""
        for match in _JSON_PAIR.finditer(text):
            key, value = match.group(1), match.group(2)
            term = self._sensitive_pair(key, value)
            if term is not None:
                detail = f"sensitive field {term!r} (in text that is not JSON)"
                yield Finding("field", "field", "high", kind, self._shown_text(key), mask(value), detail)

    def _json_pairs(self, text: str) -> Iterator[tuple[str, str]]:
        """``(term, value)`` of each sensitive ``"name": "value"`` pair in a string."""
        for match in _JSON_PAIR.finditer(text):
            term = self._sensitive_pair(match.group(1), match.group(2))
            if term is not None:
                yield term, match.group(2)

    def _sensitive_pair(self, key: str, value: str) -> str | None:
        term = self.fields.match(key)
        if term is None or not value or is_scrubbed(value) or harmless_value(term, key, value):
            return None
        return term

    def _query_parameters(self, kind: str, text: str) -> Iterator[Finding]:
        """Sensitive names in a query string, a URL's query or a form body: ``api_key=...``."""
        for name, value in query_parameters(text):
            term = self.fields.match(name)
            if term is None or is_scrubbed(value) or harmless_value(term, name, value):
                continue
            if not (term in IP_FIELDS and not _is_ip(value)):
                detail = f"sensitive query parameter {term!r}"
                yield Finding("field", "field", "high", kind, "", mask(value), detail)

    @staticmethod
    def _user_path(kind: str, text: str) -> Iterator[Finding]:
        for marker in ("/home/", "/Users/", "\\Users\\"):
            start = text.find(marker)
            if start >= 0:
                user = text[start + len(marker) :].replace("\\", "/").split("/", 1)[0]
                if user:
                    yield Finding(
                        "user-path", "pattern", "low", kind, "", mask(user), "user name in a file path"
                    )
                return


_JSON_PAIR = re.compile(r'"([^"\\]{1,100})"\s*:\s*"((?:[^"\\]|\\.){0,10000})"')
_CARD_CONTEXT, _CARD_DIGITS = "credit-card:context", "credit-card:digits"
_ATTRIBUTE_TYPES = frozenset({"string", "integer", "double", "boolean", "array"})
_PREFILTER_MAX_TEXT = 4 << 20
#: Strings from this length on get their own trigger pass before a rule's search (shorter ones
#: cost less to search than to check).
_LONG_VALUE = 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _decodings(text: str) -> Iterator[str]:
    """The text, and its URL-decoded form when it has one (query strings, URLs, cookies)."""
    yield text
    if encoded(text):
        decoded = urllib.parse.unquote_plus(text)
        if decoded != text:
            yield decoded


def _is_ip(text: str) -> bool:
    for part in text.replace(",", " ").split():
        try:
            address = ipaddress.ip_address(part.strip())
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            return True
    return False


@functools.lru_cache(maxsize=16)
def scanner_for(
    secrets: tuple[str, ...],
    fields: tuple[str, ...],
    safe_fields: tuple[str, ...],
    detectors: tuple[str | Detector, ...],
) -> Scanner:
    """Scanners are immutable; one per configuration serves every scan of a test-suite."""
    return Scanner(secrets, fields, safe_fields, detectors)
