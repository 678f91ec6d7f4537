"""What Sentry would store: an item after Relay's normalization and the project's data scrubbing.

``scan(..., stage="server")`` scans this instead of what left the process. Relay
(``sentry-relay``, the ``relay`` extra) is imported on first use only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_sentry_check._model.item_types import is_event_like
from pytest_sentry_check._model.items import ScanItem

__all__ = ["DEFAULT_DATASCRUBBING", "server_stage", "set_project_datascrubbing"]

#: A new Sentry project's "Security & Privacy" settings.
DEFAULT_DATASCRUBBING: Mapping[str, Any] = {
    "scrubData": True,  # Data Scrubber
    "scrubDefaults": True,  # Use Default Scrubbers
    "scrubIpAddresses": False,  # Prevent Storing of IP Addresses
    "sensitiveFields": [],  # Additional Sensitive Fields
    "excludeFields": [],  # Safe Fields
}


_project: Any = None


def set_project_datascrubbing(settings: Any) -> Any:
    """Make ``settings`` (a dict or a JSON file) the default of ``stage="server"`` (the plugin
    sets the ini ``sentry_datascrubbing`` here); returns the previous default."""
    global _project
    previous, _project = _project, settings
    return previous


def _processing() -> Any:
    try:
        from sentry_relay import processing
    except ImportError:
        raise RuntimeError(
            "stage='server' needs Relay: pip install 'pytest-sentry-check[relay]' "
            "(sentry-relay wheels exist for Linux and macOS)"
        ) from None
    return processing


def load_datascrubbing(settings: Mapping[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """The project's settings: a dict, or the path of a JSON file exported from the project
    (its ``scrubData``, ``sensitiveFields``... keys, and optionally ``piiConfig``)."""
    if settings is None:
        return dict(DEFAULT_DATASCRUBBING)
    if isinstance(settings, (str, os.PathLike)):
        settings = json.loads(Path(settings).read_text(encoding="utf-8"))
    if not isinstance(settings, Mapping):
        raise TypeError(f"datascrubbing settings must be a mapping, not {type(settings).__name__}")
    unknown = set(settings) - {*DEFAULT_DATASCRUBBING, "piiConfig"}
    if unknown:
        known = ", ".join([*DEFAULT_DATASCRUBBING, "piiConfig"])
        raise ValueError(f"unknown datascrubbing settings {sorted(unknown)} (known: {known})")
    return {**DEFAULT_DATASCRUBBING, **settings}


def pii_config(settings: Mapping[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """Relay's PII config for the settings: the UI's options converted, plus advanced rules."""
    processing = _processing()
    loaded = load_datascrubbing(settings if settings is not None else _project)
    advanced = loaded.pop("piiConfig", None)
    config: dict[str, Any] = processing.convert_datascrubbing_config(loaded) or {}
    if advanced:
        try:
            error = processing.validate_pii_config(json.dumps(advanced))
        except ValueError as exc:
            error = str(exc)
        if error:
            raise ValueError(f"piiConfig is not a valid Relay PII config: {error}")
        config = {
            "rules": {**config.get("rules", {}), **advanced.get("rules", {})},
            "applications": {**config.get("applications", {}), **advanced.get("applications", {})},
        }
    return config


def server_stage(item: ScanItem, config: Mapping[str, Any]) -> ScanItem:
    """``item`` as Sentry would store it (events and transactions; other items as they are)."""
    if not is_event_like(item.item_type) or not isinstance(item.payload, Mapping):
        return item
    processing = _processing()
    try:
        normalized = processing.StoreNormalizer().normalize_event(dict(item.payload))
        stored = processing.pii_strip_event(dict(config), normalized) if config else normalized
    except Exception:  # Relay rejects the whole item: Sentry stores nothing of it
        return ScanItem(item.item_type, {})
    return ScanItem(item.item_type, stored)
