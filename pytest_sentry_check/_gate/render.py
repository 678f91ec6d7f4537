"""A failing test's message: its leak groups (most pressing first, one line per rule and path
pattern, as the terminal summary shows a group) and what to do about them."""

from __future__ import annotations

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._scan.finding import SEVERITIES
from pytest_sentry_check._scan.groups import counted, group_lines

from .finding import GateFinding
from .fixes import fix_hints
from .report import group_findings

__all__ = ["DOCS_FAIL_ON", "DOCS_GATE", "render_gate_failure"]

DOCS_GATE = doc_url("gate.md", "allowing-and-baselining")
DOCS_FAIL_ON = doc_url("gate.md", "severity-threshold")
_DOCS_VALIDATION = doc_url("validation.md", "what-is-checked")
#: How many leak groups a test's message lists (then how many more).
_GATE_LINES_PER_TEST = 10


def render_gate_failure(findings: list[GateFinding], *, threshold_from_marker: bool = False) -> str:
    """The message of a test that made the application send secrets or personal data, or
    something Sentry would reject (each kind in its own paragraph).

    Leaks below the fail-on threshold (a warning) say so, and what makes them fail: the
    ``--sentry-fail-on`` option, or the marker's ``fail_on`` when ``threshold_from_marker``.
    """
    leaks = [f for f in findings if f.finding.kind != "validation"]
    invalid = [f for f in findings if f.finding.kind == "validation"]
    parts = [_render_leaks(leaks, threshold_from_marker)] if leaks else []
    if invalid:
        count = _plural(len(invalid), "problem")
        lines = [f"sentry-check: Sentry would reject or drop parts of what the application sent ({count}):"]
        lines += group_lines(group_findings(invalid), _GATE_LINES_PER_TEST)
        lines.append(
            "Fix what the application sets there; if intended, mark the test "
            '@pytest.mark.sentry_check(allow=["relay-invalid", "sentry-limit"]) '
            f"(see {_DOCS_VALIDATION})."
        )
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _render_leaks(findings: list[GateFinding], threshold_from_marker: bool) -> str:
    groups = group_findings(findings)
    count = counted(groups)
    below = [f for f in findings if f.below_threshold]
    if below and len(below) == len(findings):
        count += ", below the fail-on threshold"
    lines = [f"sentry-check: the application sent secrets or personal data to Sentry ({count}):"]
    lines += group_lines(groups, _GATE_LINES_PER_TEST)
    lines += fix_hints(f.finding for f in findings)
    lines.append(
        "If one is intended, mark the test "
        '@pytest.mark.sentry_check(allow=["<rule id or path glob>"]) or accept it with '
        f"--sentry-baseline (see {DOCS_GATE})."
    )
    if below:
        lines.append(_below_threshold_hint(below, threshold_from_marker))
    return "\n".join(lines)


def _below_threshold_hint(below: list[GateFinding], from_marker: bool) -> str:
    """What a leak under the fail-on threshold does (warn), and what makes it fail."""
    lowest = max((f.finding.severity for f in below), key=SEVERITIES.index)
    how = f'the marker\'s sentry_check(fail_on="{lowest}")' if from_marker else f"--sentry-fail-on={lowest}"
    if len(below) == 1:
        what, it = "It is below the fail-on threshold ({}): it warns and does not", "it"
    else:
        what, it = "They are below the fail-on threshold ({}): they warn and do not", "them"
    return f"{what.format(below[0].fail_on)} fail the test; {how} makes {it} fail (see {DOCS_FAIL_ON})."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"
