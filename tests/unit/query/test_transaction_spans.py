"""A transaction's spans and a span's children are query collections (issue #19, item 3), and a
miss in ``sentry_events.spans`` or in ``tx.spans`` points to the other; on real FastAPI traffic
and real span streaming."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator

import pytest
import sentry_sdk
import sentry_sdk.traces
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sentry_sdk.feature_flags import add_feature_flag
from sentry_sdk.integrations.starlette import StarletteIntegration

from pytest_sentry_check import SentryEvents, TransactionSpan, capture, scan

DSN = "https://k@o1.ingest.sentry.io/2"


def _login_app() -> FastAPI:
    app = FastAPI()

    @app.post("/login")
    def login() -> dict[str, str]:
        sentry_sdk.set_tag("feature", "auth")
        with (
            sentry_sdk.start_span(op="db.query", name="SELECT user") as query,
            query.start_child(op="db.fetch", name="fetch rows"),
        ):
            pass
        with sentry_sdk.start_span(op="http.client", name="GET https://auth.example/verify"):
            pass
        return {"ok": "yes"}

    return app


@pytest.fixture
def login() -> Iterator[SentryEvents]:
    """One request through FastAPI, with Starlette's middleware spans around the app's own."""
    with capture() as events:
        sentry_sdk.init(
            dsn=DSN, traces_sample_rate=1.0, integrations=[StarletteIntegration(middleware_spans=True)]
        )
        with TestClient(_login_app()) as client:
            client.post("/login")
        yield events


class TestQueries:
    def test_the_readme_example_holds_with_middleware_spans(self, login: SentryEvents) -> None:
        """The README's 30 seconds: a query, where comparing the whole list of ops fails."""
        tx = login.transactions.one(name="/login")
        assert [s["op"] for s in tx.spans] != ["db.query"]  # what the README used to show
        assert "middleware.starlette" in [s["op"] for s in tx.spans]
        assert tx.spans.one(op="db.query").name == "SELECT user"

    def test_spans_take_every_query(self, login: SentryEvents) -> None:
        """filter, one, first, assert_none and wait_for, with the spans' own criteria."""
        tx = login.transactions.one(name="/login")
        assert tx.spans.one(description="SELECT").op == "db.query"
        assert tx.spans.one(name=re.compile(r"^GET https://auth\.")).op == "http.client"
        assert [span.op for span in tx.spans.filter(op=re.compile(r"^db\."))] == ["db.query", "db.fetch"]
        assert tx.spans.first(op="middleware.starlette").origin == "auto.http.starlette"
        assert tx.spans.one(op="db.query", origin="manual").status is None
        tx.spans.assert_none(op="cache.get")
        assert len(tx.spans.wait_for(2, op=re.compile(r"^db\."))) == 2

    def test_spans_stay_a_sequence_of_mappings(self, login: SentryEvents) -> None:
        """len, indexing, slicing, iteration, == with a list of dicts, span["op"], dict(span)."""
        tx = login.transactions.one(name="/login")
        raw = list(tx["spans"])
        assert len(tx.spans) == len(raw) >= 4
        assert tx.spans == raw
        assert [dict(span) for span in tx.spans] == raw
        assert tx.spans[0] == raw[0]
        assert tx.spans[-1]["op"] == raw[-1]["op"]
        assert tx.spans[1:3] == raw[1:3]
        assert isinstance(tx.spans[0], TransactionSpan)
        with pytest.raises(TypeError):
            tx.spans[0]["op"] = "changed"  # type: ignore[index]

    def test_children_are_the_spans_below(self, login: SentryEvents) -> None:
        """A span's children are the spans of its transaction whose parent it is."""
        tx = login.transactions.one(name="/login")
        query = tx.spans.one(op="db.query")
        assert query.children.one().name == "fetch rows"
        assert query.children.one(op="db.fetch").parent_span_id == query.span_id
        assert len(query.children.one().children) == 0
        top = tx.spans.filter(parent_span_id=tx.trace["span_id"])
        assert [span.op for span in top] == ["middleware.starlette"]

    def test_assert_none_lists_the_matching_spans(self, login: SentryEvents) -> None:
        tx = login.transactions.one(name="/login")
        with pytest.raises(AssertionError) as info:
            tx.spans.assert_none(op="db.fetch")
        assert str(info.value).splitlines() == [
            "Transaction('/login').spans.assert_none(op='db.fetch'): expected no span to match, 1 does:",
            "  1. span 'fetch rows' (op=db.fetch; status=None)",
        ]

    def test_a_wrong_criterion_lists_the_spans_criteria(self, login: SentryEvents) -> None:
        tx = login.transactions.one(name="/login")
        with pytest.raises(TypeError) as info:
            tx.spans.one(exception_type=KeyError)
        assert str(info.value) == (
            "Transaction('/login').spans.one() got an unknown criterion 'exception_type'; spans can be "
            "matched on: attributes, data, description, name, op, origin, parent_span_id, span_id, "
            "status, tags, where"
        )


class TestMissMessages:
    def test_sentry_events_spans_points_to_the_transactions_spans(self, login: SentryEvents) -> None:
        """On a run without span streaming, the spans are in the transaction: the message says
        where, and how to query the matching one."""
        spans = len(login.transactions.one().spans)  # Starlette's middleware spans vary by version
        with pytest.raises(AssertionError) as info:
            login.spans.one(op="db.query")
        assert str(info.value).splitlines() == [
            "sentry_events.spans.one(op='db.query'): no span was captured.",
            "sentry_events.spans holds standalone spans (span streaming); a transaction's spans are "
            f"in its .spans: {spans} spans in 1 transaction.",
            "1 of them matches, in transaction '/login': "
            "sentry_events.transactions.one(name='/login').spans.one(op='db.query')",
            "Also captured: 1 transaction.",
        ]

    def test_several_matches_suggest_filter_and_none_says_so(self, login: SentryEvents) -> None:
        with pytest.raises(AssertionError) as several:
            login.spans.one(op=re.compile("^db"))
        assert str(several.value).splitlines()[2] == (
            "2 of them match, in transaction '/login': "
            "sentry_events.transactions.one(name='/login').spans.filter(op=re.compile('^db'))"
        )
        with pytest.raises(AssertionError) as none:
            login.spans.first(op="cache.get")
        assert str(none.value).splitlines()[2] == "None of them matches."
        with pytest.raises(AssertionError) as other_criteria:  # a criterion spans of a transaction have not
            login.spans.wait_for(1, timeout=0, where=lambda span: span.attributes["x"])
        assert str(other_criteria.value).splitlines()[1].endswith(" spans in 1 transaction.")
        assert str(other_criteria.value).splitlines()[2] == "Also captured: 1 transaction."

    def test_a_filter_keeps_its_criteria_for_the_hint(self, login: SentryEvents) -> None:
        with pytest.raises(AssertionError) as info:
            login.spans.filter(op="db.fetch").one()
        assert str(info.value).splitlines()[2] == (
            "1 of them matches, in transaction '/login': "
            "sentry_events.transactions.one(name='/login').spans.one(op='db.fetch')"
        )

    def test_a_transactions_spans_point_to_streamed_spans(self) -> None:
        """With span streaming, a transaction-shaped query misses; the message names
        sentry_events.spans and the matching query there."""
        with capture() as events:
            sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0, trace_lifecycle="stream")
            with (
                sentry_sdk.traces.start_span(name="checkout"),
                sentry_sdk.traces.start_span(name="charge-card"),
            ):
                pass
            sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0)  # and a transaction, the classic way
            with (
                sentry_sdk.start_transaction(name="nightly", op="task") as tx,
                tx.start_child(op="db.query", name="SELECT 1"),
            ):
                pass
            nightly = events.transactions.one(name="nightly")
            with pytest.raises(AssertionError) as info:
                nightly.spans.one(name="charge-card")
            with pytest.raises(AssertionError) as unmatched:
                nightly.spans.one(name="refund")
            with pytest.raises(AssertionError) as other_kind:
                nightly.spans.one(description="charge")
        assert str(info.value).splitlines() == [
            "Transaction('nightly').spans.one(name='charge-card'): no span matches, amongst 1 span captured:",
            "  1. span 'SELECT 1' (op=db.query; status=None)",
            "     - name: expected 'charge-card', got 'SELECT 1'",
            "sentry_events.spans holds 2 spans sent on their own (span streaming), in no transaction; "
            "1 of them matches: sentry_events.spans.one(name='charge-card')",
            "See https://pytest-sentry-check.readthedocs.io/en/latest/querying/#when-a-query-fails for "
            "every criterion and how each one matches.",
        ]
        assert str(unmatched.value).splitlines()[-2].endswith("in no transaction; none of them matches.")
        checkout = events.spans.one(name="checkout")
        assert checkout.children.one().name == "charge-card"
        assert (
            events.spans.one(parent_span_id=checkout.span_id, trace_id=checkout.trace_id).name
            == "charge-card"
        )
        assert len(checkout.children.one().children) == 0
        assert str(other_kind.value).splitlines()[-2].endswith("in no transaction.")


@pytest.mark.sentry_check(allow=["github-token"])  # planted on purpose
def test_spans_and_flags_can_be_scanned() -> None:
    """scan() reads a transaction's spans and an event's flags, each as its own item."""
    with capture() as events:
        sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0)
        with sentry_sdk.isolation_scope():
            add_feature_flag("ghp_R8vqL2mX9kT4wN7pB3sY6dF1hJ5cA0eZ2uQi", True)
            sentry_sdk.capture_message("flagged")
        with sentry_sdk.start_transaction(name="sync") as tx, tx.start_child(op="http.client") as span:
            span.set_data("response", "ghp_R8vqL2mX9kT4wN7pB3sY6dF1hJ5cA0eZ2uQi")
        spans = events.transactions.one().spans
        flags = events.one().flags
    assert [(f.rule, f.item_type, f.path) for f in scan(spans)] == [
        ("github-token", "transaction", "spans.0.data.response")
    ]
    assert [(f.rule, f.item_type, f.path) for f in scan(flags)] == [
        ("github-token", "event", "contexts.flags.values.0.flag")
    ]


def test_a_transaction_pickles_as_its_payload(login: SentryEvents) -> None:
    """A record can go to another process (multiprocessing, a cache): its spans come along."""
    tx = login.transactions.one(name="/login")
    copy = pickle.loads(pickle.dumps(tx))
    assert copy == tx
    assert copy.spans.one(op="db.query").children.one().name == "fetch rows"


def test_a_transaction_built_by_hand_has_queryable_spans() -> None:
    """The public record class works on a payload without a capture."""
    from pytest_sentry_check import Transaction

    tx = Transaction(
        {"transaction": "/x", "spans": [{"op": "db", "span_id": "a"}, {"op": "q", "parent_span_id": "a"}]}
    )
    assert tx.spans.one(op="db").children.one().op == "q"
