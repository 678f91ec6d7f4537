"""Hostile payloads with one planted secret, for the property tests of this folder.

A payload is a tree of dicts, lists, tuples, sets and frozensets whose keys and values come from
the whole of Unicode (lone surrogates included), bytes, NaN and infinite floats and ints too
long for ``str()``; it may contain itself (a cycle) and sit at the bottom of a chain of
containers as deep as :data:`MAX_DEPTH`, built with a loop. One secret is planted somewhere:
a value, a dict key, inside a tuple, a set, bytes, a ``[name, value]`` pair, or inside a longer
text. :class:`Planted` says where, so a property can check the finding's path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "CANARY_FORMS",
    "MAX_DEPTH",
    "PATTERN_FORMS",
    "VALUE_FORMS",
    "Planted",
    "any_text",
    "bearer_tokens",
    "envelope_bytes",
    "hostile_payloads",
    "json_ready",
    "json_text",
    "luhn_cards",
    "planted",
]

#: The deepest chain of containers a payload sits under (test_scan_properties.py has a
#: property of its own for chains up to 100_000 deep: building and walking one takes a second).
MAX_DEPTH = 5_000
# orjson (3.13.0) does not count tuples towards its recursion limit and crashes the interpreter
# (SIGSEGV) on a cycle through a tuple (d = {"n": "x"}; d["loop"] = (d,)), on tuples nested ~250
# deep over a dict that contains itself, or ~2,000 deep alone; the scanner hands plain dict
# targets to it. So the generated cycles never pass through a tuple, and chains holding tuples
# stop here (test_scan_properties.py::test_tuples_do_not_crash_the_scan pins the crashes).
TUPLE_CHAIN_DEPTH = 100

# Names docs/scrubbing.md calls safe by shape and path (patterns and fields are not looked for
# under them; canaries are), and "type" (a payload's type says which item it is). Generated
# names never take these, so "an ordinary key" is any generated one.
SAFE_NAMES = frozenset(
    {"event_id", "sdk", "modules", "debug_meta", "_meta", "platform", "timestamp", "start_timestamp",
     "release", "dist", "received", "type", "level", "logger", "environment", "breakdowns",
     "measurements", "_metrics_summary", "spans_truncated", "contexts", "trace_id", "span_id",
     "parent_span_id", "segment_id", "profile_id", "sentry-trace", "baggage", "traceparent",
     "tracestate", "thread_id", "sample_rate", "sample_rand", "public_key", "abs_path", "filename",
     "module", "function", "package", "lineno", "colno", "context_line", "pre_context", "post_context",
     "instruction_addr", "in_app", "sentry.release", "sentry.environment", "sid"}
)  # fmt: skip

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
#: Any code point: every category (unassigned, private use, controls) and lone surrogates.
ANY_CHARACTER = st.one_of(st.characters(codec=None, exclude_categories=()), SURROGATES)


def any_text(max_size: int = 12, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text from the whole of Unicode, never one of the safe names."""
    return st.text(ANY_CHARACTER, min_size=min_size, max_size=max_size).filter(
        lambda text: text not in SAFE_NAMES
    )


# ints too long for str() and repr() (Python's 4300-digit limit)
HUGE_INTS = st.builds(
    lambda exponent, sign, low: sign * 10**exponent + low,
    st.integers(4_300, 6_000),
    st.sampled_from([1, -1]),
    st.integers(0, 10**6),
)


class Hostile:
    """A value whose ``str`` and ``repr`` raise (the scanner skips such a value)."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


# Scalars that may be set members and dict keys (hashable; repr works).
HASHABLE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text(),
    st.binary(max_size=12),
)
SCALARS = st.one_of(
    HASHABLE,
    HUGE_INTS,
    any_text(max_size=40),
    st.builds(bytearray, st.binary(max_size=12)),
    st.builds(Hostile),
)
KEYS = st.one_of(
    any_text(),
    any_text(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=8),
    st.none(),
    st.tuples(st.integers(), any_text(max_size=4)),
    st.frozensets(HASHABLE, max_size=3),
)


def trees(keys: st.SearchStrategy[Any] = KEYS, scalars: st.SearchStrategy[Any] = SCALARS) -> Any:
    """A small, wide tree (breadth; the depth comes from :func:`planted`'s chain)."""
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.tuples(children, children),
            st.dictionaries(keys, children, max_size=4),
            st.sets(HASHABLE, max_size=4),
            st.frozensets(HASHABLE, max_size=4),
        ),
        max_leaves=16,
    )


def _luhn_check_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _card(body: str, separator: str) -> str:
    """``4`` and ``body`` (14 digits) and the check digit, in groups of four; never one digit
    repeated (that is no card number), since ``body`` ends in 1, 2 or 3 after the leading 4."""
    digits = "4" + body + _luhn_check_digit("4" + body)
    return separator.join(digits[i : i + 4] for i in range(0, 16, 4))


#: Visa numbers that pass Luhn, written in groups ("4111 1111 1111 1111": no card-like key needed).
luhn_cards = st.builds(
    _card,
    st.builds(
        lambda body, last: body + last,
        st.text("0123456789", min_size=13, max_size=13),
        st.sampled_from("123"),
    ),
    st.sampled_from([" ", "-"]),
)
#: ``Bearer <token>``, the token long and with a digit (so no rule can take it for a word).
bearer_tokens = st.builds(
    lambda token, digit: f"Bearer {token}{digit}",
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=24, max_size=48),
    st.sampled_from("0123456789"),
)

#: How a canary can be planted: anywhere a value can be (docs: canaries are found in values and
#: keys, in any item, also on safe paths).
CANARY_FORMS = ("value", "surrounded", "key", "key-surrounded", "pair", "tuple", "set", "bytes", "bytearray")
#: Canary forms without a dict key (see test_gate_properties.py: an SDK error message shows the
#: keys of its path whole).
VALUE_FORMS = tuple(form for form in CANARY_FORMS if not form.startswith("key"))
#: How a pattern secret is planted: whole, in value positions under ordinary keys (patterns
#: also look at keys: "key").
PATTERN_FORMS = ("value", "key", "pair", "tuple", "set", "bytes")


@dataclass
class Planted:
    """A payload and where its secret is.

    Paths are spelled as the scanner spells them (``str()`` of each key, list and tuple
    indexes). ``at``: the path of the node planted (the secret itself, or the dict, tuple,
    pair, set or bytes holding it); every finding of the secret is at ``at`` or below it.
    ``leaf``: the exact path of the secret when it is a plain value (a dict value, a list
    element, a tuple's or a pair's second value); ``None`` in a key, a set or bytes.
    """

    target: dict[Any, Any]
    secret: str
    form: str
    at: tuple[str, ...]
    leaf: tuple[str, ...] | None
    depth: int
    cyclic: bool

    def __repr__(self) -> str:  # hypothesis prints it on failure: readable, short, no secret
        return (
            f"Planted(form={self.form!r}, at={_short(self.at)}, leaf={_short(self.leaf)}, "
            f"depth={self.depth}, cyclic={self.cyclic}, secret_length={len(self.secret)})"
        )


def _short(path: tuple[str, ...] | None) -> str:
    if path is None or len(path) <= 12:
        return repr(path)
    return f"({path[0]!r}, ... {len(path) - 4} more ..., {', '.join(map(repr, path[-3:]))})"


def _containers(node: Any, path: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...], bool]]:
    """Every dict and list in a freshly generated (acyclic) tree, with its path, and whether a
    tuple lies between it and the root."""
    stack = [(node, path, False)]
    while stack:
        node, path, in_tuple = stack.pop()
        if isinstance(node, dict):
            yield node, path, in_tuple
            stack.extend((value, (*path, str(key)), in_tuple) for key, value in node.items())
        elif isinstance(node, list):
            yield node, path, in_tuple
            stack.extend((value, (*path, str(i)), in_tuple) for i, value in enumerate(node))
        elif isinstance(node, tuple):
            stack.extend((value, (*path, str(i)), True) for i, value in enumerate(node))


def _fresh_name(draw: st.DrawFn, taken: dict[Any, Any], names: st.SearchStrategy[str] | None = None) -> str:
    """A key ``taken`` does not have yet (made unique rather than filtered: hypothesis likes to
    draw the same short names again)."""
    name = draw(names if names is not None else any_text(min_size=1))
    while name in taken:
        name += "_"
    return name


@st.composite
def planted(
    draw: st.DrawFn,
    secret: str,
    *,
    forms: tuple[str, ...] = CANARY_FORMS,
    padded: bool = True,
    max_depth: int = MAX_DEPTH,
    depths: st.SearchStrategy[int] | None = None,
    top_level: bool = False,
    safe_names: bool = False,
) -> Planted:
    """A hostile payload with ``secret`` planted once, under ``extra`` unless ``top_level``
    (then the payload's own generated keys are the event's top-level keys). ``padded``: text
    and bytes around the secret where the form has room for it (a canary needs no word
    boundary; a pattern does). ``depths``: how deep the chain above it is (default: mostly
    shallow, up to ``max_depth``). ``safe_names``: the key (or pair name) the secret is planted
    under may be one of :data:`SAFE_NAMES` (canaries are looked for there too)."""
    base = draw(trees())
    if not isinstance(base, dict):
        base = {draw(any_text(min_size=1)): base}
    containers = list(_containers(base, ()))
    container, container_path, _ = containers[draw(st.integers(0, len(containers) - 1))]
    form = draw(st.sampled_from(forms))
    names = (
        st.one_of(any_text(min_size=1), st.sampled_from(sorted(SAFE_NAMES)))
        if safe_names
        else any_text(min_size=1)
    )
    around = any_text(max_size=6) if padded else st.just("")
    value: Any
    relative: tuple[str, ...] | None = ()
    if form == "value":
        value = secret
    elif form == "surrounded":
        value = draw(around) + secret + draw(around)
    elif form in ("key", "key-surrounded"):
        key = secret if form == "key" else draw(around) + secret + draw(around)
        value, relative = {key: draw(SCALARS)}, None
    elif form == "pair":
        value, relative = [draw(names), secret], ("1",)
    elif form == "tuple":
        value, relative = (draw(SCALARS), secret), ("1",)
    elif form == "set":
        value, relative = frozenset({secret, *draw(st.sets(HASHABLE, max_size=3))}), None
    elif form in ("bytes", "bytearray"):
        pad = st.binary(max_size=6) if padded else st.just(b"")
        raw = draw(pad) + secret.encode() + draw(pad)
        value, relative = (raw if form == "bytes" else bytearray(raw)), None
    else:
        raise AssertionError(form)
    if isinstance(container, dict):
        name = _fresh_name(draw, container, names)
        container[name] = value
        at = (*container_path, name)
    else:
        container.append(value)
        at = (*container_path, str(len(container) - 1))
    leaf = None if relative is None else (*at, *relative)

    # a chain of containers above it, built with a loop (no recursion: it may be very deep)
    depth = draw(depths if depths is not None else st.one_of(st.integers(0, 4), st.integers(0, max_depth)))
    kinds = draw(st.lists(st.sampled_from(["dict", "list", "tuple"]), min_size=1, max_size=3))
    if "tuple" in kinds:  # see TUPLE_CHAIN_DEPTH
        depth = min(depth, TUPLE_CHAIN_DEPTH)
    root_is_base = top_level and depth == 0

    cyclic = draw(st.booleans())
    if cyclic:  # a dict or list that contains itself or the payload's root: an ancestor, so
        # the walk meets the planted value along its own path first. Not the scanned root
        # itself (scan copies it: see test_a_root_that_contains_itself_is_walked_once), and
        # never through a tuple (orjson crashes: see TUPLE_CHAIN_DEPTH)
        candidates = containers[1:] if root_is_base else containers
        cyclic = bool(candidates)
    if cyclic:
        node, _, in_tuple = candidates[draw(st.integers(0, len(candidates) - 1))]
        loop = node if root_is_base or in_tuple else draw(st.sampled_from([node, base]))
        if isinstance(node, dict):
            node[_fresh_name(draw, node)] = loop
        else:
            node.append(loop)

    # under 6 characters: a deep chain under a longer key is scanned in quadratic time (see
    # test_scan_properties.py::test_a_deep_chain_under_a_long_key_is_scanned_in_linear_time)
    chain_key = draw(any_text(min_size=1, max_size=5))
    tree: Any = base
    chain: list[str] = []
    for level in range(depth):
        kind = kinds[level % len(kinds)]
        if kind == "dict":
            tree = {chain_key: tree}
            chain.append(chain_key)
        else:
            tree = [tree] if kind == "list" else (tree,)
            chain.append("0")
    chain.reverse()
    if top_level and isinstance(tree, dict):
        prefix: tuple[str, ...] = tuple(chain)
        target = tree
    else:
        prefix = ("extra", *chain)
        target = {"extra": tree}
    return Planted(
        target=target,
        secret=secret,
        form=form,
        at=(*prefix, *at),
        leaf=None if leaf is None else (*prefix, *leaf),
        depth=depth,
        cyclic=cyclic,
    )


def hostile_payloads(max_depth: int = 2_000) -> st.SearchStrategy[Any]:
    """A payload without a secret planted (a harmless one is), for "never raises" properties."""
    return planted("plain-value-1", max_depth=max_depth).map(lambda p: p.target)


def json_text(value: Any) -> str:
    """``value`` as JSON text, as an SDK would have sent it: keys ``str()``, sets and tuples
    arrays, bytes decoded, a cycle cut, huge ints and hostile values as strings, NaN as ``NaN``
    (Python's ``json``). Iterative: the chain above a payload may be thousands deep."""
    out: list[str] = []
    stack: list[list[Any]] = []  # [children, closing bracket, id, how many written]
    ancestors: set[int] = set()

    def emit(node: Any) -> None:
        if isinstance(node, (dict, list, tuple, set, frozenset)):
            if id(node) in ancestors:
                out.append('"<cycle>"')
                return
            ancestors.add(id(node))
            if isinstance(node, dict):
                children = iter([(_text(k), v) for k, v in node.items()])
                out.append("{")
                stack.append([children, "}", id(node), 0])
            else:
                out.append("[")
                stack.append([iter([(None, v) for v in node]), "]", id(node), 0])
        else:
            out.append(_json_scalar(node))

    emit(value)
    while stack:
        frame = stack[-1]
        try:
            key, child = next(frame[0])
        except StopIteration:
            stack.pop()
            ancestors.discard(frame[2])
            out.append(frame[1])
            continue
        out.append("," if frame[3] else "")
        frame[3] += 1
        if key is not None:
            out.append(json.dumps(key) + ":")
        emit(child)
    return "".join(out)


def json_ready(value: Any) -> Any:
    """``value`` as an application would hand it over after ``json.loads``: dicts, lists, strings,
    numbers (NaN and infinities as strings: the SDK refuses them). Deep chains stay deep."""
    return json.loads(json_text(value), parse_constant=str)


def _json_scalar(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return json.dumps(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 10_000:
        return '"<huge int>"'
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value)
    return json.dumps(_text(value))


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return "<unprintable>"


@st.composite
def envelope_bytes(draw: st.DrawFn, payload: Any, *, mangle: bool = True) -> bytes:
    """Envelope bytes carrying ``payload`` (:func:`json_text`) as one item; when ``mangle``,
    perhaps cut, with a wrong length, extra lines, or garbage instead of JSON."""
    body = json_text(payload).encode()
    item_type = draw(st.sampled_from(["event", "transaction", "log", "attachment", "unknown-type"]))
    header: dict[str, Any] = {"type": item_type}
    if draw(st.booleans()):
        header["length"] = len(body)
    raw = b"{}\n" + json.dumps(header).encode() + b"\n" + body + b"\n"
    if not mangle:
        return raw
    how: Callable[[bytes], bytes] = draw(
        st.sampled_from(
            [
                lambda raw: raw,
                lambda raw: raw[: len(raw) // 2],
                lambda raw: raw.replace(b'"length"', b'"lengthx"'),
                lambda raw: raw + b'{"type":"event","length":999999}\n{}',
                lambda raw: b"not an envelope\n" + raw,
                lambda raw: raw.replace(b"{}\n", b"[" * 3000 + b"\n", 1),
            ]
        )
    )
    return how(raw) + draw(st.binary(max_size=8))
