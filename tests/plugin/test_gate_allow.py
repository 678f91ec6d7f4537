"""The gate's allow entries (marker and ini): by rule or path glob, accumulated, unused ones reported."""

from __future__ import annotations

import json

import pytest
from _gate_suites import NOTIFY, SUITE


def test_a_marker_allows_by_rule_and_by_path_glob(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE.replace(
            "def test_orders_need_a_valid_account",
            '@pytest.mark.sentry_check(allow=["jwt", "auth-header", "exception.values.*.vars.*"])\n'
            "def test_orders_need_a_valid_account",
        ).replace("import gate_app", "import pytest, gate_app")
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["2 envelopes from 2 tests scanned: 92 findings in 1 test, 17 leak groups (17 allowed)"]
    )


def test_unused_allow_entries_are_reported(gated: pytest.Pytester) -> None:
    """Allowlists must not rot: entries that matched nothing are named, with where they are."""
    gated.makeini(
        "[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_allow =\n    email\n    iban\n"
    )
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["ip-address"])\ndef test_notify'
        )
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: gate=fail, allow=2 ini entries; validate=*",
            "*- sentry-check: leak gate (fail) -*",
            "1 envelope from 1 test scanned: 2 findings in 1 test, 2 leak groups (2 allowed)",
            "unused allow entry 'iban' (ini sentry_allow): it matched nothing; remove it",
            "unused allow entry 'ip-address' (marker on test_notify.py::test_notify): it matched nothing; remove it",
        ]
    )


def test_module_markers_add_up_with_the_tests_own(gated: pytest.Pytester) -> None:
    """allow= accumulates over marker levels (unlike the other keys, closest wins)."""
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "import pytest", 'import pytest\npytestmark = pytest.mark.sentry_check(allow=["iban"])'
        ).replace("def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify')
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["unused allow entry 'iban' (marker on test_notify.py): it matched nothing; remove it"]
    )


def test_a_wrong_allow_is_a_clear_error(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(allow="email")
        def test_marked():
            pass
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E   TypeError: sentry_check(allow=...) takes a list of rule ids or path globs, not 'email'"]
    )


def test_unused_marker_entries_are_reported_even_when_the_test_sends_nothing(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(allow=["ip-address"])
        def test_quiet():
            pass
        """
    )
    result = gated.runpytest()
    result.stdout.fnmatch_lines(
        [
            "unused allow entry 'ip-address' (marker on test_unused_marker_entries_are_reported_even_when_the_test_sends_nothing.py::test_quiet): *"
        ]
    )


def test_a_parametrized_tests_marker_is_one_declaration(gated: pytest.Pytester) -> None:
    """Each entry is used by one of the parameters: none is reported unused."""
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.mark.sentry_check(allow=["email", "ip-address"])
        @pytest.mark.parametrize("value", [gate_app.CUSTOMER_EMAIL, "203.0.113.77"])
        def test_param(sentry_init, value):
            sentry_init()
            sentry_sdk.set_context("client", {"seen": value})
            sentry_sdk.capture_message("hello")
        """
    )
    result = gated.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*unused allow entry*")


def test_a_secret_used_as_a_key_masks_only_that_key(gated: pytest.Pytester) -> None:
    """An email key must not swallow its neighbours: path globs still match around it."""
    gated.makepyfile(
        """
        import pytest, sentry_sdk, gate_app

        @pytest.mark.sentry_check(allow=["contexts.support.*"])
        def test_support(sentry_init):
            sentry_init()
            sentry_sdk.set_context("support", {gate_app.CUSTOMER_EMAIL: {"password": "hunter2-secret"}})
            sentry_sdk.capture_message("ticket")
        """
    )
    result = gated.runpytest("--sentry-report=r.json")
    result.assert_outcomes(passed=1)
    paths = {g["pattern"] for g in json.loads((gated.path / "r.json").read_text())["groups"]}
    assert paths == {"contexts.support.ana…[22 chars]", "contexts.support.ana…[22 chars].password"}


def test_an_allow_entry_can_say_why_and_every_output_shows_it(gated: pytest.Pytester) -> None:
    """allow={entry: reason}: the terminal, the JSON report and SARIF's suppression say why the
    leak is intended, with what and where (issue #16 item 7)."""
    reason = "the support inbox is the recipient (ticket 41)"
    gated.makepyfile(
        test_notify=NOTIFY.replace(
            "def test_notify", f"@pytest.mark.sentry_check(allow={{'email': {reason!r}}})\ndef test_notify"
        )
    )
    result = gated.runpytest("-n", "2", "--sentry-report=r.json", "--sentry-sarif=r.sarif")  # via xdist
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "allowed (2 leak groups):",
            "  test_notify.py::test_notify: [[]medium] email (email address) at event:message: ana…[[]22 chars] in event *",
            f"    allowed by 'email' (the marker on test_notify.py::test_notify): {reason}",
        ],
        consecutive=True,
    )
    groups = json.loads((gated.path / "r.json").read_text())["groups"]
    assert {(g["allowed_by"], g["allow_reason"]) for g in groups} == {("email", reason)}
    results = json.loads((gated.path / "r.sarif").read_text())["runs"][0]["results"]
    assert {r["suppressions"][0]["justification"] for r in results} == {f"email: {reason}"}
