"""Detectors from plugins and packages: a conftest hook, an entry point."""

from __future__ import annotations

import textwrap

import pytest

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")

DETECTOR = """
from pytest_sentry_check import Finding

def employee_ids(item):
    for leaf in item.leaves():
        if isinstance(leaf.value, str) and leaf.value.startswith("emp-"):
            yield Finding("employee-id", "pattern", "medium", item.item_type, leaf.dotted, leaf.value[:4] + "…")
"""


def test_a_conftest_hook_adds_a_detector(pytester: pytest.Pytester) -> None:
    """pytest_sentry_check_detectors in a conftest: assert_scrubbed runs the detector too."""
    pytester.makepyfile(detectors=DETECTOR)
    pytester.makeconftest(
        """
        from detectors import employee_ids

        def pytest_sentry_check_detectors(config):
            return [employee_ids]
        """
    )
    pytester.makepyfile(
        """
        import sentry_sdk
        from pytest_sentry_check import assert_scrubbed

        def test_ids(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            sentry_sdk.set_tag("employee", "emp-48213")
            sentry_sdk.capture_message("payroll run")
            assert_scrubbed(sentry_events)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E         [[]medium] employee-id at event:tags.employee: emp-…"])


def test_an_installed_package_adds_a_detector_by_entry_point(pytester: pytest.Pytester) -> None:
    """A distribution declaring pytest_sentry_check.detectors is picked up without any conftest."""
    pytester.makepyfile(acme_detectors=DETECTOR)
    dist = pytester.mkdir("acme_detectors-1.0.dist-info")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-detectors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [pytest_sentry_check.detectors]
            employee_ids = acme_detectors:employee_ids
            """
        )
    )
    pytester.makepyfile(
        """
        from pytest_sentry_check import scan

        def test_entry_point():
            findings = scan({"extra": {"owner": "emp-77"}})
            assert [(f.rule, f.path) for f in findings] == [("employee-id", "extra.owner")]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
