"""Reports rendered at teardown mask the test's canaries, although sentry_secrets forgot them."""

from __future__ import annotations

import pytest


def test_the_summary_masks_a_canary_after_its_fixture_closed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.mark.sentry_check(gate="off")
        def test_sends_a_canary(sentry_init, sentry_secrets):
            token = sentry_secrets.make("token")
            print("CANARY", token)
            sentry_init()
            sentry_sdk.capture_message(f"refresh failed for {token}")
        """
    )
    result = pytester.runpytest("--sentry-summary", "-s", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    canary = result.stdout.str().split("CANARY ")[1].split()[0]
    result.stdout.fnmatch_lines(["  message 'refresh failed for tok…[[]36 chars[]]' (level=info)"])
    assert result.stdout.str().count(canary) == 1  # the test's own print


def test_a_swallowed_exception_report_masks_a_canary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.mark.sentry_check(gate="off")
        def test_callback_raises(sentry_init, sentry_secrets):
            token = sentry_secrets.make("token")
            print("CANARY", token)

            def before_send(event, hint):
                raise ValueError(f"cannot scrub {token}")

            sentry_init(before_send=before_send)
            sentry_sdk.capture_message("boom")
        """
    )
    result = pytester.runpytest("-s", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    canary = result.stdout.str().split("CANARY ")[1].split()[0]
    result.stdout.fnmatch_lines(["  before_send (*) raised ValueError: cannot scrub tok…[[]36 chars[]]"])
    assert result.stdout.str().count(canary) == 1


def test_a_bare_card_number_is_masked_in_the_summary(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.mark.sentry_check(gate="off")
        def test_sends_a_card(sentry_init):
            sentry_init()
            sentry_sdk.capture_message("charge declined for 4111111111111111")
        """
    )
    result = pytester.runpytest("--sentry-summary", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  message 'charge declined for 411…[[]16 chars[]]' (level=info)"])
    assert "4111111111111111" not in result.stdout.str()
