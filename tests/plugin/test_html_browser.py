"""The HTML report in a real browser: Debian's Chromium, driven by Playwright.

The page of a real leaky run is opened, its verdict read, a test expanded, a finding followed
to its highlighted place, the page's text searched for the planted values, and a screenshot
kept under the test's tmp path (``sentry-report.png``): whoever changes the page looks at it.

Skipped only when Chromium is not on the machine; CI sets ``SENTRY_CHECK_REQUIRE_BROWSER=1``,
which makes that a failure. Playwright's own browsers are never downloaded
(``executable_path`` is the system's Chromium).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _gate_suites import EMAIL, NOTIFY, SUITE

SECRET_PARTS = ("eyJzdWIiOiJ1LTcifQ", "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg", EMAIL)

# A test that sends a transaction with nested spans, a breadcrumb, a message and a log that
# holds the customer's address.
TRACE = """
import sentry_sdk
import gate_app


def test_checkout_trace(sentry_init):
    sentry_init(traces_sample_rate=1.0, enable_logs=True)
    sentry_sdk.add_breadcrumb(category="cart", message="3 items")
    with sentry_sdk.start_transaction(name="checkout", op="task"):
        with sentry_sdk.start_span(op="db", name="SELECT * FROM carts WHERE id = %s"):
            with sentry_sdk.start_span(op="http.client", name="POST https://pay.example/charge"):
                pass
        sentry_sdk.logger.info("receipt sent to {email}", email=gate_app.CUSTOMER_EMAIL)
    sentry_sdk.capture_message("checkout done")
"""


def chromium() -> str:
    """The system's Chromium, or a skip (a failure when ``SENTRY_CHECK_REQUIRE_BROWSER=1``)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = (
            "Chromium is not installed (apt-get install chromium): the HTML report's browser test needs it"
        )
        if os.environ.get("SENTRY_CHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SENTRY_CHECK_REQUIRE_BROWSER=1, but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def test_the_report_in_chromium(gated: pytest.Pytester, tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify'
        ),
        test_trace=TRACE,
    )
    result = gated.runpytest("--sentry-html=out/report.html")
    result.assert_outcomes(passed=3, failed=1)
    page_file = gated.path / "out" / "report.html"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    errors.append(f"request {request.url}") if not request.url.startswith("file:") else None
                ),
            )
            page.goto(page_file.as_uri())
            assert (
                page.locator("#verdict .headline").inner_text() == "Gate failed: 17 leak groups fail the run"
            )
            assert page.locator("nav .count").inner_text() == "showing 4 of 4 tests"

            # expand the leaking test and follow its first finding to its place in the event
            page.locator("summary", has_text="test_orders_need_a_valid_account").click()
            row = page.locator("table.findings tr[data-rule='auth-header']").first
            row.wait_for(state="visible")  # a test's body is built when it is first opened
            link = row.locator("a.goto").first
            target = link.get_attribute("href")
            assert target is not None
            assert target.startswith("#m-")
            link.click()
            place = page.locator(f"[data-marks~='{target[1:]}']")  # one element shows a place's findings
            place.wait_for(state="visible")
            assert place.evaluate(
                "node => node.classList.contains('hit') && node.classList.contains('failed')"
            )
            assert place.inner_text() == "Bea…[77 chars] / eyJ…[70 chars]"
            box = place.bounding_box()
            assert box is not None
            assert 0 <= box["y"] <= 900  # scrolled into view
            info = place.locator("xpath=following-sibling::span[1]").inner_text()
            assert info.split() == [
                *["auth-header", "field", "jwt", "high", "failed"],
                "Relay",
                "removes",
                "it",
                "at",
                "ingestion",
            ]
            page.screenshot(path=str(tmp_path / "sentry-report.png"))

            # the filters: by rule, then by item type
            page.select_option("select[name=rule]", "email")
            assert page.locator("nav .count").inner_text() == "showing 2 of 4 tests"
            page.select_option("select[name=rule]", "")
            page.select_option("select[name=type]", "transaction")
            assert page.locator("nav .count").inner_text() == "showing 1 of 4 tests"
            page.select_option("select[name=type]", "")

            # the trace: its span tree and its log, the address masked
            page.locator("summary", has_text="test_checkout_trace").click()
            page.locator("details.test:has-text('test_checkout_trace') .span-name").first.wait_for()
            spans = page.locator("details.test:has-text('test_checkout_trace') .span-name").all_inner_texts()
            assert spans == [
                "task checkout",
                "db SELECT * FROM carts WHERE id = %s",
                "http.client POST https://pay.example/charge",
            ]
            assert (
                page.locator(".span-name").nth(2).evaluate("node => parseInt(node.style.paddingLeft)") == 28
            )

            # open every test and every node: no planted value anywhere in the page's text
            page.evaluate("document.querySelectorAll('details.test').forEach(d => d.open = true)")
            page.wait_for_function(
                "[...document.querySelectorAll('details.test')].every(d => d.querySelector('.body'))"
            )
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.evaluate(
                "document.querySelectorAll('.jn.collapsed').forEach(n => n.classList.remove('collapsed'))"
            )
            text = page.locator("body").inner_text()
            assert "ana…[22 chars]" in text
            for part in SECRET_PARTS:
                assert part not in text
                assert part not in page.content()
        finally:
            browser.close()
    assert errors == []
