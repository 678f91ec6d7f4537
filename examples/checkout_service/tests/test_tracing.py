"""Transactions and spans: what performance monitoring will show."""

from checkout.app import reconcile


def test_checkout_transaction_has_its_spans(client, sentry_events):
    client.post("/checkout", json={"user_id": "u-7", "order_id": "o-1", "card_last4": "4242"})
    tx = sentry_events.transactions.one(name="checkout.app.checkout")
    assert tx.op == "http.server"
    assert tx.status == "ok"
    assert tx.spans.one(op="db.query").name == "load_order"
    assert tx.spans.one(op="payment.charge").name == "charge"
    # query the spans rather than compare the whole list: the framework may add its own
    # (Starlette's middleware spans, with middleware_spans=True)


def test_health_checks_are_not_traced(client, sentry_events):
    client.get("/health")
    assert len(sentry_events.transactions) == 0
    assert sentry_events.dropped.one(reason="before_send", category="transaction")


def test_background_job_has_its_own_transaction(client, sentry_events):
    reconcile(["o-1"])
    tx = sentry_events.transactions.one(name="nightly-reconcile", op="task")
    assert [span.op for span in tx.spans] == ["db.query"]  # no framework around a background job


def test_production_samples_ten_percent(client, sentry_events):
    # The suite overrides the rate (pytest.ini: sentry_options); the app's own value is still checked.
    assert sentry_events.client_options["traces_sample_rate"] == 0.1
