"""The framework recipes: every suite CI runs is shown in the docs, and CI runs every recipe."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "how-to" / "framework-recipes.md"
RECIPES = sorted(
    path.name
    for path in (ROOT / "examples").iterdir()
    if (path / "pytest.ini").is_file() and path.name != "checkout_service"
)


def test_there_are_recipes() -> None:
    assert RECIPES


def test_every_recipe_suite_is_included_in_its_page() -> None:
    included = set(re.findall(r'^--8<-- "([^"]+)"$', PAGE.read_text(), flags=re.MULTILINE))
    suites = {
        path.relative_to(ROOT).as_posix()
        for recipe in RECIPES
        for path in (ROOT / "examples" / recipe / "tests").glob("test_*.py")
    }
    assert suites <= included


def test_examples_run_runs_every_recipe() -> None:
    listed = re.search(r"^recipes=\(([^)]*)\)$", (ROOT / "examples" / "run").read_text(), flags=re.MULTILINE)
    assert listed is not None
    assert sorted(listed.group(1).split()) == RECIPES
