"""What a Session Replay recording's rrweb events are about, in words.

Factored out of ``replays`` so that ``items`` (what the scanner reads) and the replay records
share it without an import circle: the elements of the recorded DOM (an input's selector,
from the full snapshot and the nodes mutations add) and a short note per event (``typed into
input#coupon``, ``in the page's DOM snapshot``) that a finding in that event ends its detail with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["INCREMENTAL_SNAPSHOT", "INPUT_SOURCE", "elements", "event_notes", "selector"]

#: rrweb's event types (full and incremental snapshots, meta, custom), the sources of mutations
#: and input events amongst incremental ones, and the type of an element node.
FULL_SNAPSHOT, INCREMENTAL_SNAPSHOT, META, CUSTOM = 2, 3, 4, 5
MUTATION_SOURCE, INPUT_SOURCE, ELEMENT_NODE = 0, 5, 2


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def selector(node: Mapping[str, Any]) -> str:
    """An element as a short CSS selector: ``input#coupon``, ``input[name="card"]``, ``input``."""
    tag = str(node.get("tagName") or "?").lower()
    attributes = _dict(node.get("attributes"))
    if attributes.get("id"):
        return f"{tag}#{attributes['id']}"
    if attributes.get("name"):
        return f'{tag}[name="{attributes["name"]}"]'
    return tag


def elements(events: Sequence[Any]) -> dict[int, str]:
    """The element nodes of rrweb's snapshots and added by mutations: node id -> selector."""
    found: dict[int, str] = {}
    stack: list[Any] = []
    for event in events:
        if not isinstance(event, dict):
            continue
        data = _dict(event.get("data"))
        if event.get("type") == FULL_SNAPSHOT:
            stack.append(data.get("node"))
        elif event.get("type") == INCREMENTAL_SNAPSHOT and data.get("source") == MUTATION_SOURCE:
            adds = data.get("adds")
            stack.extend(_dict(add).get("node") for add in (adds if isinstance(adds, list) else ()))
    while stack:  # no recursion: a page's DOM may be deeper than Python's stack
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == ELEMENT_NODE and isinstance(node.get("id"), int):
            found[node["id"]] = selector(node)
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(children)
    return found


def _note(event: dict[str, Any], named: Mapping[int, str]) -> str:
    data = _dict(event.get("data"))
    kind = event.get("type")
    if kind == FULL_SNAPSHOT:
        return "in the page's DOM snapshot"
    if kind == META:
        return "in the page's meta data"
    if kind == CUSTOM and isinstance(data.get("tag"), str):
        return f"in a {data['tag'][:40]} event"
    if kind == INCREMENTAL_SNAPSHOT and data.get("source") == MUTATION_SOURCE:
        return "in a DOM change"
    if kind == INCREMENTAL_SNAPSHOT and data.get("source") == INPUT_SOURCE:
        node = data.get("id")
        element = named.get(node) if isinstance(node, int) else None
        return f"typed into {element}" if element else f"typed into an input (rrweb node {node})"
    return ""


def event_notes(events: Any) -> dict[str, str]:
    """A note for each rrweb event of a recording by its index (as text, the first segment of
    a path into the list); empty when ``events`` is no list of rrweb events."""
    if not isinstance(events, list):
        return {}
    named = elements(events)
    notes = {}
    for index, event in enumerate(events):
        note = _note(event, named) if isinstance(event, dict) else ""
        if note:
            notes[str(index)] = note
    return notes
