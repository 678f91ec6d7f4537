"""What a user sees when a span query misses in a pytest run (issue #19, item 3): the failure
points from ``sentry_events.spans`` to the transaction's spans, with the query that finds it."""

from __future__ import annotations

import pytest


def test_a_span_query_on_sentry_events_points_to_the_transaction(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sentry_sdk
        from fastapi import FastAPI
        from fastapi.testclient import TestClient

        app = FastAPI()

        @app.get("/orders")
        def orders():
            with sentry_sdk.start_span(op="db.query", name="SELECT orders"):
                return []

        def test_orders(sentry_init, sentry_events):
            sentry_init(traces_sample_rate=1.0)
            TestClient(app).get("/orders")
            assert sentry_events.transactions.one(name="/orders").spans.one(op="db.query").name == "SELECT orders"
            sentry_events.spans.one(op="db.query")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.spans.one(op='db.query'): no span was captured.",
            "E       sentry_events.spans holds standalone spans (span streaming); a transaction's spans "
            "are in its .spans: * in 1 transaction.",
            "E       1 of them matches, in transaction '/orders': "
            "sentry_events.transactions.one(name='/orders').spans.one(op='db.query')",
            "E       Also captured: 1 transaction.",
        ],
        consecutive=True,
    )
