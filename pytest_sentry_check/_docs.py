"""Links from messages to the documentation site (built from ``docs/`` by mkdocs).

Every message that points to the docs builds its link here, so a pip user gets a URL they can
open; ``tests/docs/test_docs.py`` checks that each page and anchor exists.
"""

from __future__ import annotations

__all__ = ["DOCS_URL", "doc_url"]

#: The docs site (mkdocs.yml's ``site_url``).
DOCS_URL = "https://pytest-sentry-check.readthedocs.io/en/latest/"


def doc_url(page: str, anchor: str = "") -> str:
    """The URL of ``page`` (a file under ``docs/``, e.g. ``"gate.md"``) and its ``anchor``."""
    path = page.removesuffix(".md")
    path = "" if path == "index" else path.removesuffix("/index") + "/"
    return f"{DOCS_URL}{path}{'#' + anchor if anchor else ''}"
