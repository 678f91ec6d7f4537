"""The framework recipes: every suite CI runs is shown in the docs, and CI runs every recipe."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INDEX = ROOT / "docs" / "how-to" / "framework-recipes.md"
PAGES = ROOT / "docs" / "how-to" / "recipes"
RECIPES = sorted(
    path.name
    for path in (ROOT / "examples").iterdir()
    if (path / "pytest.ini").is_file() and path.name != "checkout_service"
)


def test_there_are_recipes() -> None:
    assert RECIPES


def _included(page: Path) -> set[str]:
    return set(re.findall(r'^--8<-- "([^"]+)"$', page.read_text(), flags=re.MULTILINE))


def test_every_recipe_has_a_page_that_includes_its_suite() -> None:
    pages = {page.stem: _included(page) for page in PAGES.glob("*.md")}
    for recipe in RECIPES:
        suites = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / "examples" / recipe / "tests").glob("test_*.py")
        }
        homes = [name for name, included in pages.items() if suites and suites <= included]
        assert len(homes) == 1, (recipe, homes)


def test_the_index_links_every_recipe_page() -> None:
    linked = set(re.findall(r"\(recipes/([a-z-]+)\.md\)", INDEX.read_text()))
    assert linked == {page.stem for page in PAGES.glob("*.md")}


def test_examples_run_runs_every_recipe() -> None:
    listed = re.search(r"^recipes=\(([^)]*)\)$", (ROOT / "examples" / "run").read_text(), flags=re.MULTILINE)
    assert listed is not None
    assert sorted(listed.group(1).split()) == RECIPES
