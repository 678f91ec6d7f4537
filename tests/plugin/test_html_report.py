"""``--sentry-html``: one self-contained page of what each test sent, findings in place, masked;
and the pytest-html extras."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _gate_suites import EMAIL, NOTIFY, SUITE, TOKEN

SECRET_PARTS = ("eyJzdWIiOiJ1LTcifQ", "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg", EMAIL)


def page_data(path: Path) -> dict[str, Any]:
    """The data the page's script renders (the JSON in its ``sentry-check-data`` element)."""
    found = re.search(
        r'<script type="application/json" id="sentry-check-data">(.*?)</script>', path.read_text(), re.S
    )
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _leaky(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE,
        test_notify=NOTIFY.replace(
            "def test_notify", '@pytest.mark.sentry_check(allow=["email"])\ndef test_notify'
        ),
    )


def _places(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (t["id"], f["item_type"], f["rule"], f["path"]) for t in data["tests"] for f in t["findings"]
    )


def test_the_page_holds_the_verdict_every_test_and_finding_and_no_secret(gated: pytest.Pytester) -> None:
    _leaky(gated)
    result = gated.runpytest("--sentry-html=out/report.html")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["HTML report written to out/report.html"])
    page = gated.path / "out" / "report.html"
    raw = page.read_bytes()
    for part in SECRET_PARTS:
        assert part.encode() not in raw
    text = raw.decode()
    # self-contained: nothing is fetched, and the page says so to the browser
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)
    assert "default-src 'none'" in text
    assert '<p class="headline">Gate failed: 17 leak groups fail the run</p>' in text
    data = page_data(page)
    assert Counter(test for test, *_ in _places(data)) == {
        "test_app.py::test_orders_need_a_valid_account": 92,
        "test_notify.py::test_notify": 2,
    }
    assert [(t["id"], [i["type"] for i in t["items"]]) for t in data["tests"]] == [
        ("test_app.py::test_health", ["event"]),
        ("test_app.py::test_orders_need_a_valid_account", ["event"]),
        ("test_notify.py::test_notify", ["event"]),
    ]
    # every finding has its place in the item's copy, masked there with its preview
    for test in data["tests"]:
        marks = sorted((i["type"], m["rule"], m["path"]) for i in test["items"] for m in i["marks"])
        assert marks == sorted((f["item_type"], f["rule"], f["path"]) for f in test["findings"])
    allowed = [f for t in data["tests"] for f in t["findings"] if f["status"] == "allowed"]
    assert {(f["path"], f["preview"], f["allowed_by"]) for f in allowed} == {
        ("message", "ana…[22 chars]", "email"),
        ("request.query_string", "ana…[22 chars]", "email"),
    }
    assert TOKEN[:12] in SUITE  # (the planted value is in the suite, not in the page)


def test_a_clean_run_says_the_gate_passed(gated: pytest.Pytester) -> None:
    gated.makepyfile(
        test_app=SUITE.split("def test_orders")[0] + "def test_health" + SUITE.split("def test_health")[1]
    )
    result = gated.runpytest("--sentry-html=report.html")
    result.assert_outcomes(passed=1)
    text = (gated.path / "report.html").read_text()
    assert '<p class="headline">Gate passed</p>' in text
    assert "<li>1 envelope from 1 test scanned: no secret or personal data found.</li>" in text


def test_the_ini_key_names_the_page_relative_to_the_ini_file(
    gated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _leaky(gated)
    gated.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\nsentry_html = reports/sent.html\n")
    sub = gated.mkdir("sub")
    monkeypatch.chdir(sub)
    result = gated.runpytest(str(gated.path), "-k", "health")
    result.assert_outcomes(passed=1)
    assert (gated.path / "reports" / "sent.html").exists()
    assert not (sub / "reports").exists()


def test_xdist_the_controller_writes_what_the_workers_sent(gated: pytest.Pytester) -> None:
    _leaky(gated)
    gated.runpytest("--sentry-html=serial.html")
    result = gated.runpytest("-n", "2", "--sentry-html=xdist.html")
    result.stdout.fnmatch_lines(["HTML report written to xdist.html"])
    serial, xdist = page_data(gated.path / "serial.html"), page_data(gated.path / "xdist.html")
    assert _places(xdist) == _places(serial)
    assert len(_places(xdist)) == 94
    assert [t["id"] for t in xdist["tests"]] == [t["id"] for t in serial["tests"]]
    for part in SECRET_PARTS:
        assert part.encode() not in (gated.path / "xdist.html").read_bytes()


def test_huge_payloads_are_cut_and_the_page_stays_small(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_sends_a_lot(sentry_init):
            sentry_init(max_breadcrumbs=5000)
            for n in range(3000):
                sentry_sdk.add_breadcrumb(message=f"step {n}", category="loop")
            sentry_sdk.set_extra("blob", "x" * 3_000_000)
            sentry_sdk.capture_message("done")
        """
    )
    result = pytester.runpytest("--sentry-html=page.html")
    result.assert_outcomes(passed=1)
    page = pytester.path / "page.html"
    assert page.stat().st_size < 200_000
    [item] = page_data(page)["tests"][0]["items"]
    assert item["payload"]["breadcrumbs"]["values"][100] == {
        "__sentry_check_cut__": "2,900 more items not shown"
    }
    assert item["payload"]["extra"]["blob"].endswith("…[3,000,000 chars, cut]")


def test_pytest_html_shows_each_tests_findings_masked(gated: pytest.Pytester) -> None:
    pytest.importorskip("pytest_html")
    gated.makepyfile(test_notify=NOTIFY)
    result = gated.runpytest("--html=report.html", "--self-contained-html", "--sentry-fail-on=medium")
    result.assert_outcomes(failed=1)
    text = (gated.path / "report.html").read_text()
    assert "sentry-check: what this test sent to Sentry holds 2 findings in 2 leak groups" in text
    assert text.count("&lt;td&gt;ana\\u2026[22 chars]&lt;/td&gt;") == 2  # (JSON in an HTML attribute)
    assert EMAIL not in text
