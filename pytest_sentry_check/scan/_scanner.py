"""Walk what was sent, item by item, and let each detector look at every value.

Targets: an ``Event`` (or any record), ``SentryEvents`` and its collections, a sentry-sdk
``Envelope``, raw envelope bytes, a plain dict, or a list of any of these.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sentry_sdk.envelope import Envelope

from pytest_sentry_check._masking import mask, mask_secrets

from ._canaries import CanaryMatcher
from ._fields import DEFAULT_FIELDS, IP_FIELDS, FieldMatcher, is_scrubbed
from ._finding import SEVERITIES, Finding
from ._patterns import PATTERN_RULES, PatternRule, find_patterns
from ._prefilter import PATTERN_TRIGGERS, TriggerSet, field_trigger

__all__ = ["DEFAULT_DETECTORS", "Detector", "Leaf", "ScanItem", "scan"]

#: Rule ids run when ``detectors`` is not given (``user-path`` is opt-in).
DEFAULT_DETECTORS: tuple[str, ...] = ("canary", "field", *(rule.id for rule in PATTERN_RULES))
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


@dataclass(frozen=True)
class Leaf:
    """One value inside an item: its path, the key it is under, and the value."""

    path: tuple[str, ...]
    key: str
    value: Any

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class ScanItem:
    """One envelope item's payload (parsed JSON, or ``bytes`` for an attachment)."""

    item_type: str
    payload: Any

    def leaves(self) -> Iterator[Leaf]:
        """Every scalar value with its path; dict keys and ``[name, value]`` pairs too."""
        if isinstance(self.payload, bytes):
            yield Leaf((), "", self.payload.decode("utf-8", "replace"))
            return
        stack: list[tuple[tuple[str, ...], str, Any]] = [((), "", self.payload)]
        seen: set[int] = set()
        while stack:
            path, key, node = stack.pop()
            if isinstance(node, (Mapping, list, tuple)):
                if id(node) in seen:  # a structure that contains itself: visit it once
                    continue
                seen.add(id(node))
            if isinstance(node, Mapping):
                children = [((*path, str(k)), str(k), v) for k, v in node.items()]
                stack.extend(reversed(children))
            elif isinstance(node, (list, tuple)):
                stack.extend(
                    reversed([((*path, str(i)), _pair_name(node, i) or key, v) for i, v in enumerate(node)])
                )
            else:
                yield Leaf(path, key, node)

    def key_paths(self) -> Iterator[tuple[tuple[str, ...], str]]:
        """Every dict key with the path of its value (canaries can hide in keys)."""
        stack: list[tuple[tuple[str, ...], Any]] = [((), self.payload)]
        seen: set[int] = set()
        while stack:
            path, node = stack.pop()
            if isinstance(node, (Mapping, list, tuple)):
                if id(node) in seen:
                    continue
                seen.add(id(node))
            if isinstance(node, Mapping):
                for k, v in node.items():
                    yield (*path, str(k)), str(k)
                    stack.append(((*path, str(k)), v))
            elif isinstance(node, (list, tuple)):
                stack.extend(((*path, str(i)), v) for i, v in enumerate(node))


def _pair_name(node: list[Any] | tuple[Any, ...], index: int) -> str | None:
    """For a ``[name, value]`` pair (header lists, Starlette's scope headers), the name of the value."""
    if index == 1 and len(node) == 2 and isinstance(node[0], str) and not isinstance(node[1], (dict, list)):
        return node[0]
    return None


class Detector(Protocol):
    """A detector: a callable receiving one item and yielding findings.

    Register one with the ``pytest_sentry_check_detectors`` hook, the
    ``pytest_sentry_check.detectors`` entry-point group, or pass it in ``detectors=``.
    """

    def __call__(self, item: ScanItem) -> Iterable[Finding]: ...


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


class _Scanner:
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
        if fired or self.use_user_paths:
            yield from self._walk(item, fired)
        for detector in self.custom:
            for finding in detector(item):
                yield replace(finding, path=self._shown_text(finding.path))

    def _shown_text(self, path: str) -> str:
        """A path from elsewhere (a plugin detector), secrets in it masked."""
        return mask_secrets(self.canaries.mask(path) if self.canaries else path)

    def _shown(self, path: tuple[str, ...]) -> str:
        """The path as findings show it: a key holding a secret is masked, segment by segment
        (masking the joined path would swallow its neighbours: an email key eats the dots)."""
        return ".".join(self._shown_text(segment) for segment in path)

    def _fired(self, item: ScanItem) -> set[str]:
        """The rules worth walking the item for: their triggers matched its serialized text."""
        try:
            if isinstance(item.payload, bytes):
                text = item.payload.decode("utf-8", "replace")
            else:
                text = _serialize(item.payload)
        except Exception:  # odd payloads (hostile __str__, cycles): no prefilter, walk everything
            return set(self._every_rule)
        if len(text) > _PREFILTER_MAX_TEXT:  # the walk is linear; backtracking triggers are not
            return set(self._every_rule)
        if _PERCENT.search(text):
            text = f"{text}\n{urllib.parse.unquote_plus(text)}"
        fired = self.triggers.match(text)
        if _CARD_CONTEXT in fired and _CARD_DIGITS in fired:
            fired.add("credit-card")
        return fired - {_CARD_CONTEXT, _CARD_DIGITS}  # helpers: they never warrant a walk alone

    def _walk(self, item: ScanItem, fired: set[str]) -> Iterator[Finding]:
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
        if (patterns or use_canaries) and not isinstance(item.payload, bytes):
            for path, key in item.key_paths():  # a secret used as a key
                if patterns and len(key) >= 6 and not _is_safe(path):
                    for rule, match, description in find_patterns(key, ".".join(path[:-1]), patterns):
                        where = ".".join((self._shown(path[:-1]), mask(key))).lstrip(".")
                        detail = f"{description} (a key)"
                        yield Finding(rule.id, "pattern", rule.severity, kind, where, mask(match), detail)
                if use_canaries:
                    for canary, how in self.canaries.find(key):
                        detail = f"registered secret in a key, {how}"
                        where = self._shown(path)
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
        if kind in ("session", "sessions") and leaf.key == "sid":
            return  # a release-health session id, not a login session
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
_CARD_CONTEXT, _CARD_DIGITS = "credit-card:context", "credit-card:digits"
_QUERY = re.compile(r"^[^\s=&#]{1,100}=[^\s&#]*(?:&[^\s=&#]{1,100}=[^\s&#]*)*(?:#.*)?$")
_ATTRIBUTE_TYPES = frozenset({"string", "integer", "double", "boolean", "array"})
_PREFILTER_MAX_TEXT = 4 << 20

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # the standard json module does the same, slower
    _orjson = None


def _decodings(text: str) -> Iterator[str]:
    """The text, and its percent-decoded form when it has one (query strings, URLs, cookies)."""
    yield text
    if _PERCENT.search(text):
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


# -- targets -----------------------------------------------------------------------------------


def _items_of_raw(raw: bytes) -> Iterator[ScanItem]:
    """Envelope bytes; bytes that are no envelope are scanned as one text item."""
    try:
        envelope = Envelope.deserialize(raw)
    except ValueError:
        yield ScanItem("envelope", raw)
        return
    yield from _items_of_envelope(envelope)


def _items_of_envelope(envelope: Envelope) -> Iterator[ScanItem]:
    for item in envelope.items:
        item_type = str(item.type)
        if item_type == "client_report":
            continue
        if item_type == "attachment":
            yield ScanItem(item_type, item.payload.get_bytes())
            continue
        payload = item.payload.json
        if payload is None:
            try:
                payload = json.loads(item.payload.get_bytes())
            except ValueError:
                yield ScanItem(item_type, item.payload.get_bytes())
                continue
        yield ScanItem(item_type, payload)


_RECORD_ITEM_TYPES = {
    "Event": "event",
    "Transaction": "transaction",
    "LogRecord": "log",
    "Span": "span",
    "Metric": "trace_metric",
    "CheckIn": "check_in",
    "Session": "session",
    "Profile": "profile",
}


def items_of(target: Any) -> Iterator[ScanItem]:
    """The items inside any supported target."""
    from pytest_sentry_check._query import Records, SentryEvents
    from pytest_sentry_check._records import Attachment, Payload

    if isinstance(target, SentryEvents):
        for raw in target.raw_envelopes:
            yield from _items_of_raw(raw)
    elif isinstance(target, Payload):
        yield ScanItem(_RECORD_ITEM_TYPES.get(type(target).__name__, "event"), dict(target))
    elif isinstance(target, Attachment):
        yield ScanItem("attachment", target.bytes)
    elif isinstance(target, Envelope):
        yield from _items_of_envelope(target)
    elif isinstance(target, (bytes, bytearray)):
        yield from _items_of_raw(bytes(target))
    elif isinstance(target, Mapping):
        yield ScanItem("transaction" if target.get("type") == "transaction" else "event", dict(target))
    elif isinstance(target, (Records, list, tuple)):
        for element in target:
            yield from items_of(element)
    else:
        raise TypeError(
            f"cannot scan a {type(target).__name__}: pass an Event, sentry_events (or one of its "
            "collections), an Envelope, envelope bytes, a dict, or a list of them"
        )


@functools.lru_cache(maxsize=16)
def _scanner(
    secrets: tuple[str, ...],
    fields: tuple[str, ...],
    safe_fields: tuple[str, ...],
    detectors: tuple[str | Detector, ...],
) -> _Scanner:
    """Scanners are immutable; one per configuration serves every scan of a test-suite."""
    return _Scanner(secrets, fields, safe_fields, detectors)


def _allowed(finding: Finding, allow: Sequence[str]) -> bool:
    return any(entry == finding.rule or fnmatch.fnmatchcase(finding.path, entry) for entry in allow)


def scan(
    target: Any,
    *,
    secrets: Iterable[str] = (),
    fields: Iterable[str] = DEFAULT_FIELDS,
    safe_fields: Iterable[str] = (),
    detectors: Sequence[str | Detector] = DEFAULT_DETECTORS,
    allow: Sequence[str] = (),
    extra_detectors: Iterable[Detector] = (),
    stage: str = "client",
    datascrubbing: Any = None,
) -> list[Finding]:
    """Every secret or piece of personal data in ``target``, most severe first.

    Args:
        target: what to scan (see the module docstring).
        secrets: exact values that must not appear anywhere, in any encoding (canaries).
        fields: sensitive key names (default: sentry-sdk's and Relay's, see ``DEFAULT_FIELDS``).
        safe_fields: key names never reported by the field rule.
        detectors: rule ids to run (``canary``, ``field``, pattern ids, opt-in ``user-path``)
            and/or detector callables.
        allow: rule ids or path globs of findings that are intended.
        extra_detectors: detectors added to ``detectors`` (plugins' ones).
        stage: ``client`` (what left the process) or ``server`` (what Sentry would store).
        datascrubbing: the project's data-scrubbing settings for ``stage="server"``.
    """
    scanner = _scanner(tuple(secrets), tuple(fields), tuple(safe_fields), (*detectors, *extra_detectors))
    items: Iterable[ScanItem] = items_of(target)
    if stage == "server":
        from ._server_stage import pii_config, server_stage

        config = pii_config(datascrubbing)
        items = (server_stage(item, config) for item in items)
    elif stage != "client":
        raise ValueError(f"stage is 'client' or 'server', not {stage!r}")
    elif datascrubbing is not None:
        raise ValueError("datascrubbing settings apply to stage='server' only")
    findings = [
        finding for item in items for finding in scanner.scan_item(item) if not _allowed(finding, allow)
    ]
    order = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: order.get(f.severity, len(order)))


def render_findings(findings: Sequence[Finding], limit: int = 20) -> list[str]:
    """Lines for people: one per finding (masked), the most severe first."""
    lines = [f"  {finding}" for finding in findings[:limit]]
    if len(findings) > limit:
        paths = {f.path for f in findings}
        lines.append(f"  ... and {len(findings) - limit} more ({len(paths)} distinct paths in all)")
    return lines
