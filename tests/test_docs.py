"""The docs anchors that messages point to exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_docs_link_in_the_code_resolves() -> None:
    """docs/page.md#anchor strings in the package name a real heading."""
    links = set()
    for source in (ROOT / "pytest_sentry_check").rglob("*.py"):
        links |= set(re.findall(r"docs/([\w-]+\.md)#([\w-]+)", source.read_text()))
    assert links, "no docs links found: the pattern is wrong"
    for page, anchor in sorted(links):
        assert anchor in _anchors(ROOT / "docs" / page), f"docs/{page}#{anchor}"


def _all_docs() -> str:
    return "\n".join(page.read_text() for page in (ROOT / "docs").rglob("*.md"))


def test_every_public_name_fixture_option_and_ini_key_is_documented(pytestconfig: object) -> None:
    """The reference is complete: nothing a user can type is missing from the docs."""
    import pytest_sentry_check
    from pytest_sentry_check import plugin

    docs = _all_docs()
    reference = (ROOT / "docs" / "reference.md").read_text()
    missing = [name for name in pytest_sentry_check.__all__ if name not in docs]
    fixtures = [
        name
        for name, value in vars(plugin).items()
        if hasattr(value, "_fixture_function_marker") or type(value).__name__ == "FixtureFunctionDefinition"
    ]
    public_fixtures = [name for name in fixtures if not name.startswith("_")]
    assert len(public_fixtures) == 6, public_fixtures
    missing += [f"fixture {name}" for name in public_fixtures if f"plugin.{name}" not in reference]
    source = (ROOT / "pytest_sentry_check" / "_run" / "settings.py").read_text()
    options = set(re.findall(r'"(--sentry-[a-z-]+)"', source))
    ini_keys = set(re.findall(r'parser\.addini\(\s*"(\w+)"', source))
    marker_keys = ("capture=", "options=", "sdk_errors=", "gate=", "allow=")
    assert len(options) == 8
    assert len(ini_keys) == 6
    missing += [name for name in sorted(options | ini_keys) if name not in docs]
    missing += [key for key in marker_keys if key not in docs]
    for command in ("serve", "scan", "--store", "--allow", "--secret", "--report", "--sarif"):
        if command not in (ROOT / "docs" / "out-of-process.md").read_text():
            missing.append(f"CLI {command}")
    assert not missing, f"not in docs/: {missing}"


def test_every_criterion_record_property_and_hook_is_documented() -> None:
    from pytest_sentry_check import hookspecs
    from pytest_sentry_check._capture.dropped import Dropped
    from pytest_sentry_check._model import records as _records
    from pytest_sentry_check._model.item_types import records_item_types
    from pytest_sentry_check._model.record_types import record_class
    from pytest_sentry_check._query import criteria as _criteria

    querying = (ROOT / "docs" / "querying.md").read_text()
    missing = []
    record_types = [record_class(entry.record) for entry in records_item_types() if entry.record]
    record_types.append(Dropped)
    assert len(record_types) == 10
    for record_type in record_types:
        checks = _criteria.criteria_for(record_type)
        missing += [
            f"{record_type.__name__} criterion {name}" for name in checks if f"`{name}" not in querying
        ]
    missing += [f"modifier {name}" for name in _criteria.MODIFIERS if name not in querying]
    event_properties = [
        name
        for name, value in vars(_records.Event).items()
        if isinstance(value, property) and not name.startswith("_")
    ]
    assert len(event_properties) >= 15, event_properties
    missing += [f"Event.{name}" for name in event_properties if name not in querying]
    hooks = [name for name in vars(hookspecs) if name.startswith("pytest_sentry_check_")]
    assert hooks
    missing += [hook for hook in hooks if hook not in _all_docs()]
    assert not missing, f"not in docs/: {missing}"
