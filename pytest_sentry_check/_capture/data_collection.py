"""sentry-sdk's ``data_collection`` option in overrides of a live client.

``sentry_sdk.init`` resolves ``data_collection`` once, from it or from ``send_default_pii``,
``include_local_variables`` and ``include_source_context``, into a full dict whose
``provided_by_user`` says whether the app set it. An override written into a live client's
options must be resolved the same way: the SDK ignores a raw dict (it has no
``provided_by_user``), and a changed ``send_default_pii`` would leave the derived one stale.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["resolved_overrides"]

_INPUTS = ("send_default_pii", "include_local_variables", "include_source_context")


def resolved_overrides(options: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` for a live client's ``options``, with ``data_collection`` resolved by the
    SDK where an override changes it (unchanged on an SDK without the option)."""
    current = options.get("data_collection")
    if not isinstance(current, Mapping) or not any(k in overrides for k in ("data_collection", *_INPUTS)):
        return dict(overrides)
    raw = overrides.get("data_collection")
    if raw is None and current.get("provided_by_user"):
        return dict(overrides)  # the app's data_collection wins over send_default_pii, as at init
    try:
        from sentry_sdk.data_collection import _resolve_data_collection
    except ImportError:  # pragma: no cover - an SDK whose resolver moved: leave the options as set
        return dict(overrides)
    inputs = {key: overrides.get(key, options.get(key)) for key in _INPUTS}
    with warnings.catch_warnings():  # the SDK warned about these options at init
        warnings.simplefilter("ignore")
        resolved = _resolve_data_collection({**inputs, "data_collection": raw})
    return {**overrides, "data_collection": resolved}
