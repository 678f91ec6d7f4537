"""The planted corpus: every rule's value, sent by the real SDK to every place an item carries
data, inside one of four realistic apps, is found by that rule at that place.

The corpus is generated and scanned once per module (835 plantings, see ``_corpus.py``);
each test reads one planting's findings. Test ids name the rule (with the key a keyed form needs:
``credit-card[card_number]``) and the place.
"""

from __future__ import annotations

from collections import Counter

import pytest
from _corpus import (
    CANNOT_CARRY,
    DETECTORS,
    KNOWN_MISSES,
    PLACES,
    PLANT_APPS,
    Planted,
    planted_corpus,
    plantings,
)
from _once import once_per_run

from pytest_sentry_check import Finding
from pytest_sentry_check._scan.groups import finding_groups, group_lines

# These tests send planted secrets on purpose; the module's corpus capture takes them, and the
# test's own capture keeps nothing (capture=False: the gate would scan them all again).
pytestmark = pytest.mark.sentry_check(gate="off", capture=False)

PAIRS = list(plantings())


def _sent_and_found() -> dict[str, tuple[str, list[bytes], list[Finding]]]:
    return {p.id: (p.app, p.envelopes, p.findings) for p in planted_corpus(PAIRS)}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Planted]:
    """Generated once per run (under xdist, by the first worker to need it: see ``_once.py``)."""
    results = once_per_run("planted-corpus", tmp_path_factory, _sent_and_found)
    return {f"{s.id}-{p.name}": Planted(s, p, *results[f"{s.id}-{p.name}"]) for s, p in PAIRS}


def _param(sample_id: str, place: str) -> object:
    reason = KNOWN_MISSES.get((sample_id, place))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(f"{sample_id}-{place}", id=f"{sample_id}-{place}", marks=marks)


@pytest.mark.parametrize("planting_id", [_param(sample.id, place.name) for sample, place in PAIRS])
def test_the_planted_value_is_found_where_it_was_planted(
    planted: dict[str, Planted], planting_id: str
) -> None:
    """The rule reports the value at the place's path (other findings may come with it: the
    field rule under a sensitive key, an AWS key id inside a secret key's sample)."""
    planting = planted[planting_id]
    assert planting.envelopes, f"{planting.app} sent nothing for {planting_id}"
    assert planting.found, "\n".join(
        [
            f"{planting.sample.rule} did not report the value planted in {planting.place.name} "
            f"({planting.app}), expected at {', '.join(planting.place.paths)} (key {planting.sample.key!r})",
            *group_lines(finding_groups(planting.findings), 10),
        ]
    )


def test_every_rule_is_planted_in_every_place_that_can_carry_it() -> None:
    """All rules (user-path in the one place it reads), all places, all four apps, no gap but the
    documented ones."""
    rules = Counter(sample.rule for sample, _ in PAIRS)
    assert set(rules) == set(DETECTORS)
    places = {place.name for place in PLACES}
    for rule in rules:
        carried = {place.name for sample, place in PAIRS if sample.rule == rule}
        if rule == "user-path":
            assert carried == {"frame-paths"}
            continue
        assert carried == places - {"frame-paths"} - {p for (r, p) in CANNOT_CARRY if r == rule}, rule
    assert set(KNOWN_MISSES) <= {(sample.id, place.name) for sample, place in PAIRS}


def test_the_plantings_are_spread_over_the_four_apps(planted: dict[str, Planted]) -> None:
    """Each app hosts plantings of many rules in many places; each planting is its app's event."""
    by_app = Counter(planting.app for planting in planted.values())
    assert set(by_app) == {app.NAME for app in PLANT_APPS}
    assert min(by_app.values()) >= 100, by_app
    for planting in planted.values():
        assert any(f"{planting.app}@".encode() in raw for raw in planting.envelopes), planting.id  # release
