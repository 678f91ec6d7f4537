"""The HTML report: one self-contained page (inline CSS and script, no network) of what each test
sent to Sentry, with the gate's findings highlighted in place, and the ``pytest-html`` extra.

:func:`render_html` takes plain data: the verdict, and per test the items it sent (the masked,
bounded copies of ``shown.py``) and its findings. Every string of it goes through ``_masking``
once more before it is embedded; the script builds the page from that data with ``textContent``
only (a payload's text is never read as HTML).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from pytest_sentry_check._masking import mask_secrets

if TYPE_CHECKING:
    from .report import LeakGroup

__all__ = ["render_extra", "render_html"]

#: nothing is loaded from anywhere: the page's own style and script only
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
_RELAY = {True: "Sentry would store it", False: "Relay removes it at ingestion", None: "unknown"}


def _asset(name: str) -> str:
    return (
        resources.files("pytest_sentry_check._gate").joinpath("html_assets").joinpath(name).read_text("utf-8")
    )


def _masked(value: Any) -> Any:
    """Every string and key of ``value`` through ``mask_secrets`` (the last guard of the page)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {mask_secrets(str(k)): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def _script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def render_html(page: Mapping[str, Any]) -> str:
    """The page: ``page`` holds ``title``, ``verdict`` (``state``, ``headline``, ``lines``) and
    ``tests`` (each ``id``, ``items``, ``left_out`` and ``findings``)."""
    data = _masked(page)
    verdict = data["verdict"]
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in verdict.get("lines", []))
    title = html.escape(data.get("title", "sentry-check report"))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_POLICY}">
<title>{title}</title>
<style>{_asset("page.css")}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<section id="verdict" class="verdict {html.escape(verdict.get("state", ""))}">
<p class="headline">{html.escape(verdict.get("headline", ""))}</p>
<ul class="lines">{lines}</ul>
</section>
</header>
<nav id="filters" aria-label="filters"></nav>
<main id="tests"><noscript>This page needs JavaScript to show what each test sent.</noscript></main>
<script type="application/json" id="sentry-check-data">{_script_json(data)}</script>
<script>{_asset("page.js")}</script>
</body>
</html>
"""


def render_extra(groups: Sequence[LeakGroup]) -> str:
    """One test's leak groups as an HTML table (the ``pytest-html`` extra), values masked."""
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(mask_secrets(str(cell)))}</td>"
            for cell in (
                g.severity,
                g.rule,
                g.where + (f" ({g.places} places)" if g.places > 1 else ""),
                g.preview,
                g.state,
                _RELAY.get(g.stored_after_relay),
            )
        )
        + "</tr>"
        for g in groups
    )
    names = ("severity", "rule", "where", "value (masked)", "state", "Relay")
    head = "".join(f"<th>{name}</th>" for name in names)
    places, count = sum(g.places for g in groups), len(groups)
    return (
        '<div class="sentry-check"><p>sentry-check: what this test sent to Sentry holds '
        f"{places} finding{'s' if places != 1 else ''} in {count} leak group{'s' if count != 1 else ''}</p>"
        f"<table><tr>{head}</tr>{rows}</table></div>"
    )
