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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from pytest_sentry_check._masking import mask, mask_secrets
from pytest_sentry_check._model.item_types import item_type
from pytest_sentry_check._model.items import Leaf, ScanItem, path_of
from pytest_sentry_check._rules.canaries import CanaryMatcher
from pytest_sentry_check._rules.fields import IP_FIELDS, FieldMatcher, is_scrubbed
from pytest_sentry_check._rules.patterns import PATTERN_RULES, PatternRule, find_patterns

from .detectors import Detector
from .finding import Finding
from .prefilter import PATTERN_TRIGGERS, TriggerSet, field_trigger

__all__ = ["Scanner", "scanner_for"]

_RULES_BY_ID = {rule.id: rule for rule in PATTERN_RULES}
_OPT_IN = ("user-path",)

# Safe by shape and path: identifiers, SDK metadata and timestamps are never personal data.
_SAFE_TOP = frozenset(
    {"event_id", "sdk", "modules", "debug_meta", "_meta", "platform", "timestamp", "start_timestamp",
     "release", "dist", "received", "type", "level", "logger", "environment", "breakdowns", "measurements",
     "_metrics_summary", "spans_truncated"}
)  # fmt: skip
_SAFE_KEYS = frozenset(
    {"trace_id", "span_id", "parent_span_id", "segment_id", "profile_id", "event_id", "sentry-trace",
     "baggage", "traceparent", "tracestate", "timestamp", "start_timestamp", "thread_id", "sample_rate",
     "sample_rand", "public_key", "abs_path", "filename", "module", "function", "package", "lineno",
     "colno", "context_line", "pre_context", "post_context", "instruction_addr", "in_app"}
)  # fmt: skip
# not "response" (Set-Cookie headers) nor "otel" (attributes): those carry data
_SAFE_CONTEXTS = frozenset({"trace", "runtime", "os", "device", "app", "culture", "profile"})
# keys whose lists hold source code, not data; keys naming a release
_SOURCE_LISTS = frozenset({"pre_context", "post_context"})
_SAFE_RELEASE_KEYS = frozenset({"release", "sentry.release", "sentry.environment"})


def _is_safe(path: tuple[str, ...], key: str = "") -> bool:
    if not path:
        return False
    if path[0] in _SAFE_TOP or path[-1] in _SAFE_KEYS or _unbytes(key) in _SAFE_KEYS:
        return True  # (key: also the name of a [name, value] pair, e.g. a baggage header)
    if _SOURCE_LISTS.intersection(path[-2:]) or _SAFE_RELEASE_KEYS.intersection(path[-2:]):
        return True
    if path[0] == "contexts" and len(path) > 1 and path[1] in _SAFE_CONTEXTS:
        # the trace context's ids are safe; its "data" carries whatever the app put there
        return not (path[1] == "trace" and len(path) > 2 and path[2] == "data")
    # sentry-trace / baggage header pairs: [..., "sentry-trace", value]
    return len(path) >= 2 and path[-2] in ("headers",) and path[-1] in _SAFE_KEYS


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
            triggers["field"] = field_trigger(self.fields.long_terms, self.fields.short_terms)
        if self.use_canaries and self.canaries:
            triggers["canary"] = self.canaries.trigger_pattern()
        self.triggers = _trigger_set(tuple(sorted(triggers.items())))

    def scan_item(self, item: ScanItem) -> Iterator[Finding]:
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

    def _shown(self, path: tuple[str, ...]) -> str:
        """The path as findings show it: a key holding a secret is masked, segment by segment
        (masking the joined path would swallow its neighbours: an email key eats the dots)."""
        return ".".join(self._shown_text(segment) for segment in path)

    def _fired(self, item: ScanItem) -> set[str] | None:
        """The rules worth walking the item for: their triggers matched its serialized text
        (``None``: the text is too large for one pass)."""
        try:
            if isinstance(item.payload, bytes):
                text = item.payload.decode("utf-8", "replace")
            else:
                text = _serialize(item.payload)
        except Exception:  # odd payloads (hostile __str__, cycles): no prefilter, walk everything
            return set(self._every_rule)
        if len(text) > _PREFILTER_MAX_TEXT:
            return None
        if _encoded(text):
            text = f"{text}\n{urllib.parse.unquote_plus(text)}"
        fired = self.triggers.match(text)
        if _CARD_CONTEXT in fired and _CARD_DIGITS in fired:
            fired.add("credit-card")
        return fired - {_CARD_CONTEXT, _CARD_DIGITS}  # helpers: they never warrant a walk alone

    def _fired_in(self, text: str) -> set[str]:
        """The rules whose triggers match one value (a bare digit run may be a card)."""
        if _encoded(text):
            text = f"{text}\n{urllib.parse.unquote_plus(text)}"
        fired = self.triggers.match(text)
        if _CARD_DIGITS in fired:
            fired.add("credit-card")
        return fired

    def _walk(self, item: ScanItem, fired: set[str], per_value: bool = False) -> Iterator[Finding]:
        kind = item.item_type
        use_canaries = self.use_canaries and "canary" in fired
        use_fields = self.use_fields and "field" in fired
        patterns = tuple(rule for rule in self.patterns if rule.id in fired)
        card_rule = tuple(rule for rule in patterns if rule.id == "credit-card")
        for leaf in item.leaves():
            value = leaf.value
            if value is None or isinstance(value, bool):
                continue
            try:
                text = value if isinstance(value, str) else str(value)
            except Exception:  # a hostile __str__ must not stop the scan
                continue
            if per_value:  # the field rule reads keys, which a value's text does not hold
                here = self._fired_in(text)
                use_canaries = self.use_canaries and "canary" in here
                patterns = tuple(rule for rule in self.patterns if rule.id in here)
                card_rule = tuple(rule for rule in patterns if rule.id == "credit-card")
            found = self._leaf_findings(
                kind,
                leaf,
                text,
                use_canaries=use_canaries,
                use_fields=use_fields,
                patterns=patterns,
                card_rule=card_rule,
            )
            shown = ""
            for finding in found:
                shown = shown or self._shown(leaf.path)
                yield replace(finding, path=shown)
        if use_fields and isinstance(item.payload, bytes):
            yield from self._text_fields(kind, item.payload.decode("utf-8", "replace"))
        if (patterns or use_canaries) and not isinstance(item.payload, bytes):
            for link, key in item.key_links():  # a secret used as a key
                if patterns and len(key) >= 6:
                    path = path_of(link)  # only for a key that may be a secret: deep paths are long
                    if not _is_safe(path):
                        for rule, match, description in find_patterns(key, ".".join(path[:-1]), patterns):
                            where = ".".join((self._shown(path[:-1]), mask(key))).lstrip(".")
                            detail = f"{description} (a key)"
                            yield Finding(rule.id, "pattern", rule.severity, kind, where, mask(match), detail)
                if use_canaries:
                    for canary, how in self.canaries.find(key):
                        detail = f"registered secret in a key, {how}"
                        where = self._shown(path_of(link))
                        yield Finding("canary", "canary", "critical", kind, where, mask(canary), detail)

    def _leaf_findings(
        self,
        kind: str,
        leaf: Leaf,
        text: str,
        *,
        use_canaries: bool,
        use_fields: bool,
        patterns: tuple[PatternRule, ...],
        card_rule: tuple[PatternRule, ...],
    ) -> Iterator[Finding]:
        """What the rules find in one value (paths unmasked: the caller masks them)."""
        value = leaf.value
        dotted = leaf.dotted
        if use_canaries:
            for canary, how in self.canaries.find(text):
                yield Finding(
                    "canary", "canary", "critical", kind, dotted, mask(canary), f"registered secret, {how}"
                )
        if _is_safe(leaf.path, leaf.key):
            if self.use_user_paths and leaf.key in ("abs_path", "filename"):
                yield from self._user_path(kind, dotted, text)
            return
        if use_fields and leaf.key:
            yield from self._field(kind, leaf, text)
        if use_fields and isinstance(value, str) and "=" in text:
            yield from self._query_parameters(kind, dotted, text)
        if card_rule and isinstance(value, int) and len(text) >= 13:  # a card number stored as int
            for rule, found, description in find_patterns(text, dotted, card_rule):
                yield Finding(rule.id, "pattern", rule.severity, kind, dotted, mask(found), description)
        if patterns and isinstance(value, str) and len(text) >= 6:
            seen: set[tuple[str, str]] = set()
            for candidate in _decodings(text):
                for rule, found, description in find_patterns(candidate, dotted, patterns):
                    if (rule.id, found) not in seen:
                        seen.add((rule.id, found))
                        yield Finding(
                            rule.id, "pattern", rule.severity, kind, dotted, mask(found), description
                        )

    def _field(self, kind: str, leaf: Leaf, text: str) -> Iterator[Finding]:
        entry = item_type(kind)
        if entry is not None and leaf.key in entry.harmless_keys:
            return  # e.g. a release-health session id, not a login session
        if leaf.key == "type" and text in _ATTRIBUTE_TYPES:
            return  # the type tag of a log/span attribute, not its value
        # the key itself, or any key above it ("cookies" -> {"sessionid": ...})
        for name in (leaf.key, *reversed(leaf.path[:-1])):
            term = self.fields.match(name)
            if term is None:
                continue
            if is_scrubbed(leaf.value):
                return
            if term in IP_FIELDS and not _is_ip(text):
                return
            field_name = term  # the sensitive term only: a "name" can itself hold the secret
            yield Finding(
                "field",
                "field",
                "high",
                kind,
                leaf.dotted,
                mask(_unbytes(text)),
                f"sensitive field {field_name!r}",
            )
            return

    def _text_fields(self, kind: str, text: str) -> Iterator[Finding]:
        """``"name": "value"`` pairs in a payload that did not parse as JSON (nested deeper than
        the parser goes, or cut off): the field rule on each, its path the key's name."""
        for match in _JSON_PAIR.finditer(text):
            key, value = match.group(1), match.group(2)
            term = self.fields.match(key)
            if term is not None and value and not is_scrubbed(value):
                detail = f"sensitive field {term!r} (in text that is not JSON)"
                yield Finding("field", "field", "high", kind, self._shown_text(key), mask(value), detail)

    def _query_parameters(self, kind: str, dotted: str, text: str) -> Iterator[Finding]:
        """Sensitive names in a query string, a URL's query or a form body: ``api_key=...``."""
        query = text.split("?", 1)[1] if "?" in text else text
        if not _QUERY.match(query):
            return
        for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            term = self.fields.match(name)
            if term is not None and not is_scrubbed(value) and not (term in IP_FIELDS and not _is_ip(value)):
                detail = f"sensitive query parameter {term!r}"
                yield Finding("field", "field", "high", kind, dotted, mask(value), detail)

    @staticmethod
    def _user_path(kind: str, dotted: str, text: str) -> Iterator[Finding]:
        for marker in ("/home/", "/Users/", "\\Users\\"):
            start = text.find(marker)
            if start >= 0:
                user = text[start + len(marker) :].replace("\\", "/").split("/", 1)[0]
                if user:
                    yield Finding(
                        "user-path", "pattern", "low", kind, dotted, mask(user), "user name in a file path"
                    )
                return


_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_JSON_PAIR = re.compile(r'"([^"\\]{1,100})"\s*:\s*"((?:[^"\\]|\\.){0,10000})"')
_CARD_CONTEXT, _CARD_DIGITS = "credit-card:context", "credit-card:digits"
_QUERY = re.compile(r"^[^\s=&#]{1,100}=[^\s&#]*(?:&[^\s=&#]{1,100}=[^\s&#]*)*(?:#.*)?$")
_ATTRIBUTE_TYPES = frozenset({"string", "integer", "double", "boolean", "array"})
_PREFILTER_MAX_TEXT = 4 << 20

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # the standard json module does the same, slower
    _orjson = None


def _encoded(text: str) -> bool:
    """Whether ``text`` may hold URL-encoded data: percent escapes, or a ``+`` for a space in
    a query string (``note=Bearer+tok_...``)."""
    return bool(_PERCENT.search(text)) or ("+" in text and "=" in text)


def _decodings(text: str) -> Iterator[str]:
    """The text, and its URL-decoded form when it has one (query strings, URLs, cookies)."""
    yield text
    if _encoded(text):
        decoded = urllib.parse.unquote_plus(text)
        if decoded != text:
            yield decoded


def _serialize(payload: Any) -> str:
    """The item as JSON text, for the triggers (orjson when installed: several times faster)."""
    if _orjson is not None:
        try:
            return str(_orjson.dumps(payload, default=str, option=_orjson.OPT_NON_STR_KEYS).decode())
        except (TypeError, ValueError):
            pass  # what orjson refuses (cycles, huge ints), json may still take
    return json.dumps(payload, default=str)


def _unbytes(text: str) -> str:
    """``b'Bearer x'`` (the SDK's repr of a bytes value) to ``Bearer x``."""
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        return text[2:-1]
    return text


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
