"""Overrides of a live client's options resolve sentry-sdk's data_collection as init does."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import sentry_sdk.client
from sentry_sdk.consts import DEFAULT_OPTIONS

from pytest_sentry_check._capture.data_collection import resolved_overrides

pytestmark = pytest.mark.skipif(
    "data_collection" not in DEFAULT_OPTIONS, reason="this sentry-sdk has no data_collection option"
)


def _options(**app: Any) -> dict[str, Any]:
    """A client's options as sentry_sdk.init resolves them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return sentry_sdk.client._get_options(dsn="https://k@o1.ingest.sentry.io/2", **app)


def test_a_data_collection_override_is_resolved() -> None:
    resolved = resolved_overrides(_options(), {"data_collection": {"stack_frame_variables": False}})
    assert resolved["data_collection"]["provided_by_user"] is True
    assert resolved["data_collection"]["stack_frame_variables"] is False
    assert resolved["data_collection"]["user_info"] is True  # the option's own default


def test_a_send_default_pii_override_rederives_it() -> None:
    resolved = resolved_overrides(_options(send_default_pii=False), {"send_default_pii": True})
    assert resolved["send_default_pii"] is True
    assert resolved["data_collection"] == _options(send_default_pii=True)["data_collection"]


def test_the_apps_own_data_collection_wins_over_send_default_pii() -> None:
    app = _options(data_collection={"user_info": False})
    assert resolved_overrides(app, {"send_default_pii": True}) == {"send_default_pii": True}


@pytest.mark.parametrize(
    ("options", "overrides"),
    [({"data_collection": None}, {"send_default_pii": True}), (None, {"traces_sample_rate": 1.0})],
    ids=["an-sdk-without-it", "other-options"],
)
def test_other_overrides_are_kept_as_they_are(
    options: dict[str, Any] | None, overrides: dict[str, Any]
) -> None:
    assert resolved_overrides(options if options is not None else _options(), overrides) == overrides
