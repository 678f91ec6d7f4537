"""Properties of ``scan`` and ``assert_scrubbed`` over hostile payloads with a planted secret.

1. On any supported target (a plain dict, envelope bytes, a list or tuple of them) neither
   raises anything but ``AssertionError`` (``assert_scrubbed`` listing findings); an unsupported
   target is the documented ``TypeError`` ("cannot scan a ..."). The ``ValueError``s the docs
   name are for bad arguments (an unknown detector, a stage), which the defaults never are, so
   a supported target raises nothing else (stricter than "only AssertionError, TypeError or
   ValueError": a crash that happens to be a ValueError still loses every finding).
2. A canary registered with ``secrets=`` (or with an open ``SecretRegistry``) is found wherever
   it is planted, in a value or a key, also under the safe names (docs/scrubbing.md: canaries
   are still looked for there); a Bearer token or a Luhn-valid card is found in value positions
   under ordinary keys (and as a key: patterns look at keys too).
3. No output carries the secret whole: ``str(finding)``, ``preview``, ``path``, and the message
   of ``assert_scrubbed``.

Cases these properties found are pinned as regression tests at the end of this module.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from _payloads import (
    CANARY_FORMS,
    PATTERN_FORMS,
    Planted,
    any_text,
    bearer_tokens,
    envelope_bytes,
    hostile_payloads,
    luhn_cards,
    planted,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sentry_sdk.envelope import Envelope

from pytest_sentry_check import CANARY_KINDS, Finding, SecretRegistry, assert_scrubbed, scan
from pytest_sentry_check._masking import also_masking, mask_secrets

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def shown(path: tuple[str, ...], secret: str) -> str:
    """A path as findings spell it: each key through the masking module (lone surrogates
    escaped; the secret masked, where a generated key happens to hold it)."""
    with also_masking([secret]):
        return ".".join(mask_secrets(segment) for segment in path)


def assert_never_whole(secret: str, *outputs: str) -> None:
    """No output holds ``secret`` whole, in any case."""
    for output in outputs:
        assert secret.lower() not in output.lower(), "an output holds the secret whole"


def assert_masked(secret: str, findings: list[Finding]) -> None:
    for finding in findings:
        assert_never_whole(secret, str(finding), finding.preview, finding.path, finding.detail)


def assert_found_at(findings: list[Finding], rule: str, case: Planted) -> None:
    """A finding of ``rule`` at the planted value's path, or below the planted node."""
    paths = [finding.path for finding in findings if finding.rule == rule]
    assert paths, f"no {rule} finding for {case!r}"
    if case.leaf is not None:
        assert shown(case.leaf, case.secret) in paths, f"{rule} not found at the planted path: {case!r}"
    else:
        at = shown(case.at, case.secret)
        assert any(path == at or path.startswith(f"{at}.") for path in paths), case


@contextmanager
def registered(how: str, kind: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """A canary of ``kind``: made by an open ``SecretRegistry`` (scan adds it itself), or made
    the same way and passed with ``secrets=``."""
    if how == "registry":
        registry = SecretRegistry().open()
        try:
            yield registry.make(kind), ()
        finally:
            registry.close()
    else:
        secret = CANARY_KINDS[kind]()
        yield secret, (secret,)


@PROPERTY
@given(
    kind=st.sampled_from(sorted(CANARY_KINDS)),
    how=st.sampled_from(["secrets=", "registry"]),
    top_level=st.booleans(),
    data=st.data(),
)
def test_a_planted_canary_is_found_wherever_it_is_and_never_shown_whole(
    kind: str, how: str, top_level: bool, data: st.DataObject
) -> None:
    with registered(how, kind) as (secret, secrets):
        case = data.draw(
            planted(secret, forms=CANARY_FORMS, top_level=top_level, safe_names=True), label="case"
        )
        findings = scan(case.target, secrets=secrets)
        assert_found_at(findings, "canary", case)
        assert_masked(secret, findings)
        with pytest.raises(AssertionError) as info:
            assert_scrubbed(case.target, secrets=secrets)
        message = str(info.value)
        assert message.startswith("assert_scrubbed: "), message[:80]
        assert_never_whole(secret, message)


@PROPERTY
@given(secret=st.one_of(bearer_tokens, luhn_cards), data=st.data())
def test_a_bearer_token_or_a_card_in_a_value_position_is_found_and_masked(
    secret: str, data: st.DataObject
) -> None:
    case = data.draw(planted(secret, forms=PATTERN_FORMS, padded=False), label="case")
    rule = "auth-header" if secret.startswith("Bearer ") else "credit-card"
    findings = scan(case.target)
    assert_found_at(findings, rule, case)
    assert_masked(secret, findings)
    # the token alone (what follows "Bearer ") is the secret too
    assert_masked(secret.removeprefix("Bearer "), findings)
    with pytest.raises(AssertionError) as info:
        assert_scrubbed(case.target)
    assert_never_whole(secret.removeprefix("Bearer "), str(info.value))


#: Text from the whole of Unicode but lone surrogates (a canary holding one crashes the scanner:
#: test_a_canary_with_a_lone_surrogate_is_found)
NO_SURROGATE = st.characters(codec=None, exclude_categories=("Cs",))
#: Where a canary of any text is found: not in a set or a bytearray, whose text the prefilter
#: reads through repr() (test_a_canary_in_a_set_or_bytearray_is_found_whatever_its_characters)
ANY_TEXT_FORMS = ("value", "surrounded", "key", "key-surrounded", "pair", "tuple", "bytes")


@PROPERTY
@given(secret=st.text(NO_SURROGATE, min_size=6, max_size=20), data=st.data())
def test_a_canary_of_any_text_is_found_wherever_it_is_and_never_shown_whole(
    secret: str, data: st.DataObject
) -> None:
    case = data.draw(planted(secret, forms=ANY_TEXT_FORMS, max_depth=200, safe_names=True), label="case")
    findings = scan(case.target, secrets=[secret])
    assert_found_at(findings, "canary", case)
    assert_masked(secret, findings)
    with pytest.raises(AssertionError) as info:
        assert_scrubbed(case.target, secrets=[secret])
    # a secret that is a word of the message itself ("FINDIN" in "finding") is no leak
    assume(secret.lower() not in _message_of_another_secret().lower())
    assert_never_whole(secret, str(info.value))


@functools.cache
def _message_of_another_secret() -> str:
    """assert_scrubbed's message for a finding of a fixed canary: the words every message has."""
    try:
        assert_scrubbed({"extra": {"0": "cnry-Zq8mR3vT9w"}}, secrets=["cnry-Zq8mR3vT9w"])
    except AssertionError as error:
        return str(error)
    raise AssertionError("assert_scrubbed found nothing")


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(sorted(CANARY_KINDS)), data=st.data())
def test_a_canary_under_a_chain_up_to_100_000_deep_is_found(kind: str, data: st.DataObject) -> None:
    secret = CANARY_KINDS[kind]()
    case = data.draw(planted(secret, depths=st.integers(20_000, 100_000)), label="case")
    findings = scan(case.target, secrets=[secret])
    assert_found_at(findings, "canary", case)
    assert_masked(secret, findings)


# --- never raises ----------------------------------------------------------------------------


def _no_known_header_bug(raw: bytes) -> bool:
    """Not bytes whose envelope or item header is JSON but no object, or whose length is no
    int: sentry-sdk's parser raises TypeError or AttributeError on them, which scan lets
    through (test_bytes_with_a_header_that_is_not_an_object_are_scanned_as_text)."""
    try:
        Envelope.deserialize(raw)
    except (TypeError, AttributeError):
        return False
    except Exception:
        return True
    return True


supported_targets = st.one_of(
    hostile_payloads(),
    hostile_payloads().flatmap(envelope_bytes).filter(_no_known_header_bug),
    st.binary(max_size=64).filter(_no_known_header_bug),
    st.lists(
        st.one_of(hostile_payloads(max_depth=20), st.binary(max_size=16).filter(_no_known_header_bug)),
        max_size=3,
    ),
    st.tuples(hostile_payloads(max_depth=20)),
)


@PROPERTY
@given(target=supported_targets)
def test_a_supported_target_never_makes_scan_or_assert_scrubbed_raise(target: Any) -> None:
    findings = scan(target)
    if findings:
        with pytest.raises(AssertionError):
            assert_scrubbed(target)
    else:
        assert assert_scrubbed(target) is None


@settings(max_examples=30, deadline=None)
@given(
    target=st.one_of(
        any_text(),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.sets(st.integers(), max_size=3),
        st.lists(any_text(max_size=3), min_size=1, max_size=3),  # a list of str: not targets
    )
)
def test_an_unsupported_target_is_a_type_error(target: Any) -> None:
    with pytest.raises(TypeError, match=r"^cannot scan a "):
        scan(target)
    with pytest.raises(TypeError, match=r"^cannot scan a "):
        assert_scrubbed(target)


@PROPERTY
@given(kind=st.sampled_from(sorted(CANARY_KINDS)), data=st.data())
def test_a_canary_in_envelope_bytes_is_found(kind: str, data: st.DataObject) -> None:
    """The payload as an SDK would have sent it (JSON), in an event item of envelope bytes."""
    secret = CANARY_KINDS[kind]()
    case = data.draw(planted(secret, max_depth=300), label="case")
    raw = data.draw(envelope_bytes(case.target, mangle=False), label="envelope")
    findings = scan(raw, secrets=[secret])
    assert any(finding.rule == "canary" for finding in findings), case
    assert_masked(secret, findings)


# --- what these properties found -------------------------------------------------------------

TOKEN = "tok_0123456789abcdef0123456789abcdef"


class _RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    __repr__ = __str__


def test_a_huge_int_key_does_not_stop_the_scan() -> None:
    """Regression: was a bug: a dict key that is an int over 4300 digits stops the scan with
    ValueError ('Exceeds the limit (4300 digits) for integer string conversion'):
    ScanItem.leaves() and key_links() call str(key) unguarded; scan({'extra': {10**5000: 1, 'b':
    TOKEN}}, secrets=[TOKEN])"""
    assert scan({"extra": {10**5000: 1, "b": TOKEN}}, secrets=[TOKEN])


def test_a_huge_int_in_a_set_does_not_stop_the_scan() -> None:
    """Regression: was a bug: a set holding an int over 4300 digits stops the scan with
    ValueError: items._ordered() sorts set members by repr(); scan({'extra': {'s': {10**5000,
    TOKEN}}}, secrets=[TOKEN])"""
    assert scan({"extra": {"s": {10**5000, TOKEN}}}, secrets=[TOKEN])


def test_a_key_whose_str_raises_does_not_stop_the_scan() -> None:
    """Regression: was a bug: a dict key whose __str__ raises stops the scan (the raise
    propagates), though a value's raising __str__ is skipped; scan({'extra': {obj: 1, 'b':
    TOKEN}}, secrets=[TOKEN])"""
    assert scan({"extra": {_RaisingStr(): 1, "b": TOKEN}}, secrets=[TOKEN])


def test_a_set_member_whose_repr_raises_does_not_stop_the_scan() -> None:
    """Regression: was a bug: a set member whose __repr__ raises stops the scan:
    items._ordered() sorts by repr() unguarded; scan({'extra': {'s': {obj, TOKEN}}},
    secrets=[TOKEN])"""
    assert scan({"extra": {"s": {_RaisingStr(), TOKEN}}}, secrets=[TOKEN])


@pytest.mark.parametrize(
    "raw",
    [
        b"0",
        b"true",
        b'{}\n[]\n{"note": "%s"}\n' % TOKEN.encode(),
        b'{}\n0\n{"note": "%s"}\n' % TOKEN.encode(),
        b'{}\n{"type": "event", "length": "12"}\n{"note": "%s"}\n' % TOKEN.encode(),
    ],
    ids=["0", "true", "item-header-a-list", "item-header-an-int", "length-a-string"],
)
def test_bytes_with_a_header_that_is_not_an_object_are_scanned_as_text(raw: bytes) -> None:
    """Regression: was a bug: envelope bytes whose envelope or item header is JSON but not an
    object, or whose item length is not an int, make scan raise what sentry-sdk's
    Envelope.deserialize raises (TypeError, AttributeError; items._items_of_raw catches
    ValueError and RecursionError only), where bytes that are no envelope are scanned as text; a
    canary in them is lost. scan(b'0'); scan(b'{}\\n[]\\n{"note": TOKEN}', secrets=[TOKEN])"""
    findings = scan(raw, secrets=[TOKEN])
    assert [f.rule for f in findings] == (["canary"] if TOKEN.encode() in raw else [])


@pytest.mark.parametrize(
    ("secret", "container"),
    [
        ("pass\xa0word-1", set),
        ("pass\x80word-1", frozenset),
        ("pass\U000e0001word", set),
        ("pass'word-1", bytearray),
    ],
    ids=["no-break-space-in-a-set", "c1-control-in-a-frozenset", "astral-in-a-set", "quote-in-a-bytearray"],
)
def test_a_canary_in_a_set_or_bytearray_is_found_whatever_its_characters(
    secret: str, container: type
) -> None:
    """Regression: was a bug: the prefilter misses a canary in a set, a frozenset or a bytearray
    when repr() escapes one of its characters differently from JSON: prefilter.trigger_text renders
    those types with default=str, so a member 'pass\\xa0word-1' (a no-break space) is the text
    {'pass\\\\xa0word-1'}, neither the canary nor its JSON form (\\u00a0); the walk, which would
    find it, never runs. scan({'extra': {'tags': {'pass\\xa0word-1'}}},
    secrets=['pass\\xa0word-1']) == []. Same for \\x80, a non-printable astral character, and a
    quote in a bytearray (bytearray(b"pass\\'word-1"))."""
    value = container(secret.encode()) if container is bytearray else container({secret})
    assert [f.rule for f in scan({"extra": {"tags": value}}, secrets=[secret])] == ["canary"]


def test_a_canary_with_a_lone_surrogate_is_found() -> None:
    """Regression: was a bug: a canary holding a lone surrogate (what surrogateescape decoding
    makes of undecodable bytes; SecretRegistry.add accepts it) crashes CanaryMatcher with
    UnicodeEncodeError (_forms: value.encode()); scan({'extra': {'a': 'ab\\ud800cdef'}},
    secrets=['ab\\ud800cdef'])"""
    secret = "ab\ud800cdef"
    assert scan({"extra": {"a": secret}}, secrets=[secret])


def test_a_registered_canary_with_a_lone_surrogate_is_masked() -> None:
    """Regression: was a bug: once a canary holding a lone surrogate is registered, every masked
    output raises UnicodeEncodeError (_masking.mask_secrets builds a CanaryMatcher);
    SecretRegistry().open().add('ab\\ud800cdef'); shorten('x')"""
    from pytest_sentry_check._masking import shorten

    registry = SecretRegistry().open()
    try:
        secret = registry.add("ab\ud800cdef")
        assert secret not in shorten(f"value {secret}")
    finally:
        registry.close()


_SCAN_SCRIPT = """
from pytest_sentry_check import scan

TOKEN = "tok_0123456789abcdef0123456789abcdef"
{build}
findings = scan({{"extra": node}}, secrets=[TOKEN])
assert "canary" in [f.rule for f in findings], findings
"""
TUPLE_CRASHES = {
    "a-cycle-through-a-tuple": """
node = {"note": TOKEN}
node["loop"] = (node,)
""",
    "300-tuples-over-a-cycle": """
root = {"note": TOKEN}
root["self"] = root
node = root
for _ in range(300):
    node = (node,)
""",
    "5000-tuples": """
node = TOKEN
for _ in range(5_000):
    node = (node,)
""",
}


@pytest.mark.parametrize("build", list(TUPLE_CRASHES.values()), ids=list(TUPLE_CRASHES))
def test_tuples_do_not_crash_the_scan(build: str) -> None:
    """Regression: was a bug: scan() of a plain dict holding a cycle through a tuple, or deeply
    nested tuples, kills the interpreter (SIGSEGV; SIGABRT 'free(): invalid next size'):
    prefilter.trigger_text hands the payload to orjson.dumps (3.13.0), whose recursion limit does
    not count tuples, and 'except (TypeError, ValueError)' cannot catch a crash. Minimal: node =
    {'note': TOKEN}; node['loop'] = (node,); scan({'extra': node}, secrets=[TOKEN]). Also: 300
    tuples over a dict that contains itself, or 5_000 nested tuples alone."""
    script = _SCAN_SCRIPT.format(build=build)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, capture_output=True)


def _scan_cpu_seconds(key: str, depth: int) -> float:
    node: dict[str, Any] = {"note": TOKEN}
    for _ in range(depth):
        node = {key: node}
    start = time.process_time()
    assert scan({"extra": node}, secrets=[TOKEN])
    return time.process_time() - start


def test_a_deep_chain_under_a_long_key_is_scanned_in_linear_time() -> None:
    """Regression: was a bug (performance): a deep chain under a key of 6 characters or more is
    scanned in O(depth^2): Scanner._walk builds path_of(link) (the whole path) for every such
    key, to ask _is_safe; under a 1-character key it is linear. Chain {'children': {...}} 4_000
    deep: about 10x the CPU time of the same chain under 'c' (20_000 deep: 9.7 s against 0.27 s;
    100_000: minutes)"""
    short = min(_scan_cpu_seconds("c", 4_000) for _ in range(2))
    long = min(_scan_cpu_seconds("children", 4_000) for _ in range(2))
    assert long < 2 * short + 0.05, f"'children': {long:.2f} s, 'c': {short:.2f} s of CPU"


def test_a_root_that_contains_itself_is_walked_once() -> None:
    """Regression: was a bug: items_of() scans a copy of a Mapping target (dict(target)), so a
    root dict that contains itself is walked again through the cycle: d = {'message': TOKEN};
    d['self'] = d; scan(d, secrets=[TOKEN]) reports 'message' and 'self.message'"""
    root: dict[str, Any] = {"message": TOKEN}
    root["self"] = root
    assert [f.path for f in scan(root, secrets=[TOKEN])] == ["message"]
