"""Findings grouped by rule and path pattern: assert_scrubbed's message and the gate's groups."""

from __future__ import annotations

import pytest

from pytest_sentry_check._gate import terminal
from pytest_sentry_check._gate.finding import GateFinding
from pytest_sentry_check._gate.report import group_findings
from pytest_sentry_check._scan import groups
from pytest_sentry_check._scan.api import assert_scrubbed, scan

# These tests send nothing; the dicts hold planted secrets on purpose.
pytestmark = pytest.mark.sentry_check(gate="off")

_HINT = (
    "Scrub them in before_send or the SDK's event_scrubber; if one is intended, pass "
    'allow=["<rule id or path glob>"] (see https://pytest-sentry-check.readthedocs.io/en/latest/scrubbing/#allowing-findings).'
)


def _frames_event() -> dict[str, object]:
    """The same password and Authorization header in the locals of three frames, and an email."""
    frames = [
        {
            "vars": {
                "password": f"hunter2-very-secret-{i}",
                "headers": [["Authorization", "Bearer " + "k" * 30]],
            }
        }
        for i in range(3)
    ]
    return {
        "exception": {"values": [{"stacktrace": {"frames": frames}}]},
        "user": {"email": "ana@shop.example"},
    }


def test_assert_scrubbed_shows_one_line_per_rule_and_path_pattern() -> None:
    """A leak at three frames is one line of 3 places; the header counts findings and groups."""
    with pytest.raises(AssertionError) as info:
        assert_scrubbed(_frames_event())
    headers = "event:exception.values.*.stacktrace.frames.*.vars.headers.*.*"
    assert str(info.value).splitlines() == [
        "assert_scrubbed: 10 findings in what the application sent to Sentry, 4 leak groups:",
        f"  [high] auth-header (Bearer credential) at {headers} (3 places): Bea…[37 chars]",
        f"  [high] field (sensitive field 'authorization') at {headers} (3 places): Bea…[37 chars]",
        "  [high] field (sensitive field 'password') at "
        "event:exception.values.*.stacktrace.frames.*.vars.password (3 places): hun…[21 chars]",
        "  [medium] email (email address) at event:user.email: ana…[16 chars]",
        _HINT,
    ]
    assert "hunter2-very" not in str(info.value)
    assert "k" * 30 not in str(info.value)


def test_assert_scrubbed_lists_ten_groups_then_counts_the_rest() -> None:
    """The message stays short however much leaked: ten groups, then how many more."""
    event = {"extra": {f"k{i:02}": f"user{i}@shop.example" for i in range(14)}}
    with pytest.raises(AssertionError) as info:
        assert_scrubbed(event)
    lines = str(info.value).splitlines()
    assert lines[0] == "assert_scrubbed: 14 findings in what the application sent to Sentry, 14 leak groups:"
    assert lines[1] == "  [medium] email (email address) at event:extra.k00: use…[18 chars]"
    assert lines[10] == "  [medium] email (email address) at event:extra.k09: use…[18 chars]"
    assert lines[11:] == ["  ... and 4 more leak groups (4 findings)", _HINT]


def test_the_gate_groups_with_the_same_function_and_words() -> None:
    """The gate's groups of the same findings have the same patterns and places, and its terminal
    line is the scanner's group line (one function, not a copy)."""
    findings = scan(_frames_event())
    gate = group_findings(GateFinding("t.py::test", "t.py", 1, f, "failed", "call") for f in findings)
    mine = groups.finding_groups(findings)
    assert sorted((g.rule, g.pattern, g.places) for g in gate) == sorted(
        (g.rule, g.pattern, g.places) for g in mine
    )
    assert terminal.group_line is groups.group_line
    assert sorted(map(groups.group_line, gate)) == sorted(map(groups.group_line, mine))
    assert groups.counted(gate) == groups.counted(mine) == "10 findings, 4 leak groups"


def test_a_path_pattern_has_list_indexes_as_stars() -> None:
    assert groups.generic_path("exception.values.0.stacktrace.frames.17.vars.a1") == (
        "exception.values.*.stacktrace.frames.*.vars.a1"
    )
    assert groups.generic_path("0.x") == "*.x"


def test_a_findings_str_is_its_one_place_groups_line() -> None:
    """Finding.__str__ and GateFinding.__str__ build their line with the groups' function."""
    [finding] = scan({"user": {"email": "ana@shop.example"}})
    [group] = groups.finding_groups([finding])
    assert (
        str(finding)
        == groups.group_line(group)
        == "[medium] email (email address) at event:user.email: ana…[16 chars]"
    )
    gate = GateFinding("t.py::test", "t.py", 1, finding, "failed", "call", record="event 1a2b3c4d")
    [leak] = group_findings([gate])
    assert str(gate) == groups.group_line(leak) == f"{finding} in event 1a2b3c4d"
