"""Paths inside an item: built as links, so a deep structure costs its size, not its depth squared."""

from __future__ import annotations

import itertools

from pytest_sentry_check import ScanItem, scan
from pytest_sentry_check._model.items import path_of


def _chain(depth: int) -> dict[str, object]:
    root: dict[str, object] = {}
    node = root
    for _ in range(depth):
        child: dict[str, object] = {}
        node["c"] = child
        node = child
    node["password"] = "hunter2-but-longer"
    return root


def test_each_keys_path_links_to_its_parents() -> None:
    links = [link for link, _ in ScanItem("event", _chain(1000)).key_links()]
    assert all(child[0] is parent for parent, child in itertools.pairwise(links))
    assert path_of(links[-1]) == ("c",) * 1000 + ("password",)


def test_leaves_and_key_paths_still_give_whole_paths() -> None:
    item = ScanItem("event", {"a": [{"b": 1}], "c": {"d": "x"}})
    assert [(leaf.path, leaf.value) for leaf in item.leaves()] == [(("a", "0", "b"), 1), (("c", "d"), "x")]
    assert list(item.key_paths()) == [(("a",), "a"), (("c",), "c"), (("c", "d"), "d"), (("a", "0", "b"), "b")]


def test_a_hundred_thousand_levels_deep_is_scanned() -> None:
    [finding] = scan(_chain(100_000))
    assert finding.path.endswith(".c.password")
    assert finding.path.count(".") == 100_000
