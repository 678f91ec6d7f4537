"""The docs anchors that messages point to exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _anchors(page: Path) -> set[str]:
    """The anchors mkdocs gives the page's headings (its toc extension's default slugify)."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", heading).strip().lower()) for heading in headings}


def _doc_links() -> set[tuple[str, str]]:
    """``(page, anchor)`` of every ``doc_url(...)`` call in the package."""
    links = set()
    for source in (ROOT / "pytest_sentry_check").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "doc_url":
                args = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
                assert len(args) == len(node.args), f"{source}: doc_url takes literal arguments"
                links.add((args[0], args[1] if len(args) > 1 else ""))
    return links


def test_every_docs_link_in_the_code_resolves() -> None:
    """Each doc_url(page, anchor) in the package names a page of docs/ and one of its headings."""
    links = _doc_links()
    assert len(links) >= 7, f"doc_url calls not found: {links}"
    for page, anchor in sorted(links):
        assert (ROOT / "docs" / page).is_file(), f"docs/{page}"
        if anchor:
            assert anchor in _anchors(ROOT / "docs" / page), f"docs/{page}#{anchor}"


def test_messages_link_to_the_docs_site_never_to_a_source_path() -> None:
    """A pip user cannot open docs/page.md: messages use doc_url, which gives the site's URL."""
    from pytest_sentry_check._docs import DOCS_URL, doc_url

    assert doc_url("gate.md", "allowing-and-baselining") == f"{DOCS_URL}gate/#allowing-and-baselining"
    assert doc_url("how-to/user.md") == f"{DOCS_URL}how-to/user/"
    assert doc_url("index.md") == DOCS_URL
    site_url = re.search(r"^site_url: (\S+)$", (ROOT / "mkdocs.yml").read_text(), flags=re.MULTILINE)
    assert site_url is not None
    assert site_url.group(1) == DOCS_URL
    paths = []
    for source in (ROOT / "pytest_sentry_check").rglob("*.py"):
        tree = ast.parse(source.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        paths += [
            f"{source.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and re.search(r"docs/[\w/-]+\.md", node.value)
        ]
    assert paths == []


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
    assert len(public_fixtures) == 7, public_fixtures
    missing += [f"fixture {name}" for name in public_fixtures if f"plugin.{name}" not in reference]
    source = (ROOT / "pytest_sentry_check" / "_run" / "settings.py").read_text()
    options = set(re.findall(r'"(--sentry-[a-z-]+)"', source))
    ini_keys = set(re.findall(r'parser\.addini\(\s*"(\w+)"', source))
    marker_keys = (
        "capture=",
        "options=",
        "sdk_errors=",
        "gate=",
        "allow=",
        "fail_on=",
        "strict=",
        "passthrough=",
    )
    assert len(options) == 11
    assert len(ini_keys) == 14
    missing += [name for name in sorted(options | ini_keys) if name not in docs]
    missing += [key for key in marker_keys if key not in docs]
    cli = (ROOT / "pytest_sentry_check" / "_cli.py").read_text()
    cli_options = set(re.findall(r'add_argument\(\s*"(--[a-z-]+)"', cli))
    assert len(cli_options) == 16, sorted(cli_options)  # serve: 7, scan: 5, merge: 4 more
    out_of_process = (ROOT / "docs" / "out-of-process.md").read_text()
    for command in ("serve", "scan", "merge", *sorted(cli_options)):
        if f"`{command}" not in out_of_process:
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
    assert len(record_types) == 12
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
