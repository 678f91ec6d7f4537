"""Hostile payloads get clear messages, never a plugin crash or a giant dump."""

from __future__ import annotations

import pytest


def test_a_10_mb_event_is_captured_and_summarised_briefly(pytester: pytest.Pytester) -> None:
    """A 10 MB extra (set by before_send, past the SDK's trimming) is captured; the miss report stays short."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def before_send(event, hint):
            event["extra"]["blob"] = "x" * 10_000_000
            event.setdefault("tags", {})["huge"] = "y" * 5000
            return event

        def test_big(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.capture_message("m" * 5000)
            assert len(sentry_events.raw_envelopes[0]) > 10_000_000
            assert len(sentry_events.one().extra["blob"]) == 10_000_000
            try:
                sentry_events.one(level="fatal")
            except AssertionError as exc:
                message = str(exc)
            assert len(message) < 1000, len(message)
            print(message)
        """
    )
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*sentry_events.one(level='fatal'): no event matches, amongst 1 event captured:",
            "  1. message 'mmmmmmmmm*…[[]5000 chars]' (level=info; tags: huge=yyyy*…[[]5000 chars])",
            "     - level: expected 'fatal', got 'info'",
        ]
    )


def test_deeply_nested_data_from_before_send(pytester: pytest.Pytester) -> None:
    """Nesting past the JSON encoder's recursion limit is reported as a serialization error."""
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        def before_send(event, hint):
            node = event["extra"]["deep"] = {}
            for _ in range(5000):
                node["child"] = {}
                node = node["child"]
            return event

        @pytest.mark.sentry_check(sdk_errors="ignore")
        def test_deep(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.capture_message("deep")
            [error] = sentry_events.sdk_errors
            assert error.exception_type == "RecursionError"
            assert error.location.startswith("event.extra.deep.child.child")
            assert len(sentry_events) == 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_sdk_trimming_of_deep_scope_data_is_what_the_test_sees(pytester: pytest.Pytester) -> None:
    """Deep data set through the SDK is trimmed by its serializer, as Sentry receives it."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_trimmed(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            deep = leaf = {}
            for _ in range(50):
                leaf["child"] = {}
                leaf = leaf["child"]
            sentry_sdk.set_extra("deep", deep)
            sentry_sdk.capture_message("trimmed")
            event = sentry_events.one()
            depth, node = 0, event.extra["deep"]
            while isinstance(node, dict) and "child" in node:
                depth, node = depth + 1, node["child"]
            assert depth < 50
            assert "_meta" in event
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_every_part_of_a_summary_is_short(pytester: pytest.Pytester) -> None:
    """A 3,000-character level, tag key or function name cannot blow up the message."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def before_send(event, hint):
            event["level"] = "L" * 3000
            event["tags"] = {"K" * 3000: "v"}
            return event

        def test_long(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.capture_message("m")
            try:
                sentry_events.one(level="error")
            except AssertionError as exc:
                assert len(str(exc)) < 700, len(str(exc))
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_mismatch_never_shows_a_whole_secret(pytester: pytest.Pytester) -> None:
    """The value under a sensitive key, or one that looks like a key, is masked in "got ..."."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_scrubbing(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            sentry_sdk.set_extra("stripe_key", "sk_live_51HxYzAbCdEfGhIjKlMnOp")
            sentry_sdk.set_extra("note", "retry with sk_live_51HxYzAbCdEfGhIjKlMnOp")
            sentry_sdk.capture_message("charge failed")
            sentry_events.one(extra={"stripe_key": "[Filtered]"})
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        ["E            - extra[[]\"stripe_key\"]: expected '[[]Filtered]', got 'sk_…[[]30 chars]'"]
    )
    assert "sk_live_51HxYzAbCdEfGhIjKlMnOp" not in result.stdout.str().split("def test_scrubbing")[
        0
    ] + "".join(line for line in result.stdout.lines if line.startswith("E "))
