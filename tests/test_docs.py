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
