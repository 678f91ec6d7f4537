"""plugin.py's module: names imported on first use, and an unknown one is an AttributeError."""

from __future__ import annotations

import pytest


def test_the_warning_category_is_still_importable_from_the_plugin_module() -> None:
    """plugin.py imports the category when a warning is first issued; old imports still work."""
    import pytest_sentry_check
    from pytest_sentry_check import plugin
    from pytest_sentry_check.plugin import SentryCheckWarning

    assert SentryCheckWarning is pytest_sentry_check.SentryCheckWarning
    assert issubclass(SentryCheckWarning, UserWarning)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = plugin.no_such_name
