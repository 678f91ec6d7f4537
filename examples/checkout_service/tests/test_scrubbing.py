"""What the service's before_send promises to remove, removed."""

import pytest

from pytest_sentry_check import assert_scrubbed, scan


def test_credentials_in_headers_query_and_body_are_filtered(client, sentry_events):
    client.post(
        "/checkout?api_key=sk_live_51Hx9&page=2",
        headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "X-Auth-Token": "t-123"},
        json={"user_id": "u-7", "order_id": "o-404", "card_last4": "4242", "password": "hunter2"},
    )
    request = sentry_events.one(exception_type=KeyError).request
    assert request["headers"]["authorization"] == "[Filtered]"
    assert request["headers"]["x-auth-token"] == "[Filtered]"
    assert request["query_string"] == "api_key=[Filtered]&page=2"
    # The SDK attaches the JSON body only in some set-ups; where it does, the password is filtered.
    assert request.get("data", {}).get("password", "[Filtered]") == "[Filtered]"


def test_the_password_is_nowhere_in_what_is_sent(client, sentry_events, sentry_secrets):
    # Without include_local_variables=False the request body in checkout()'s frame locals
    # would carry the password: send_default_pii=False does not remove frame locals.
    password = sentry_secrets.make("password")
    body = {"user_id": "u-7", "order_id": "o-404", "card_last4": "4242", "password": password}
    client.post("/checkout", json=body)
    assert sentry_events.one(exception_type=KeyError)
    assert_scrubbed(sentry_events)


# The gate would fail this test: the allow entry keeps the suite green while the leak is
# known, and the gate's summary lists it as allowed, with the reason given here.
@pytest.mark.sentry_check(allow={"email": "known leak: the reset log line names the address (fix tracked)"})
def test_a_known_leak_the_gate_reports(client, sentry_events):
    client.post("/password-reset", json={"email": "ana@shop.example"})
    findings = scan(sentry_events)
    assert [(f.rule, f.path, f.preview) for f in findings] == [
        ("email", "logentry.formatted", "ana…[16 chars]"),
        ("email", "logentry.params.0", "ana…[16 chars]"),
    ]


def test_emails_in_exception_messages_are_masked(client, sentry_events):
    client.post(
        "/checkout",
        json={"user_id": "u-1", "email": "bo@shop.example", "order_id": "o-1", "card_last4": "0002"},
    )
    event = sentry_events.one(exception_type="PaymentDeclined")
    assert "@" not in event.exception_value
    assert event.user["email"] == "[email]"
