"""Finding the clients made before the plugin patched the SDK walks every object in the process,
among them lazy proxies that must not be woken up (Django's settings before configuration)."""

from __future__ import annotations

import sentry_sdk

from pytest_sentry_check._capture.install import _clients_in_the_process


class _LazySettings:
    """Answers ``__class__`` by setting itself up, as ``django.conf.LazySettings`` does."""

    woken = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        _LazySettings.woken += 1
        raise RuntimeError("Requested settings, but settings are not configured.")


def test_the_walk_finds_clients_without_waking_lazy_objects() -> None:
    settings = _LazySettings()
    client = sentry_sdk.Client("https://k@o1.ingest.sentry.io/2")
    try:
        assert any(found is client for found in _clients_in_the_process())
        assert _LazySettings.woken == 0
    finally:
        client.close()
    del settings
