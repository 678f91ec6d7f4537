"""before_breadcrumb: health-check noise is dropped, emails in breadcrumbs are masked."""

import sentry_sdk
from checkout import observability as obs


def test_emails_in_breadcrumbs_are_masked(client, sentry_events):
    obs.add_breadcrumb("password reset requested by ana@shop.example", category="auth")
    obs.capture_message("password reset failed", level="warning")
    crumb = sentry_events.one(message="password reset failed").breadcrumbs[-1]
    assert (crumb["category"], crumb["message"]) == ("auth", "password reset requested by [email]")


def test_health_check_calls_leave_no_breadcrumb(client, sentry_events):
    sentry_sdk.add_breadcrumb(category="httplib", data={"url": "http://inventory.internal/health"})
    sentry_sdk.add_breadcrumb(category="httplib", data={"url": "http://inventory.internal/stock"})
    obs.capture_message("stock check slow", level="warning")
    urls = [crumb["data"]["url"] for crumb in sentry_events.one(message="stock check slow").breadcrumbs]
    assert urls == ["http://inventory.internal/stock"]
