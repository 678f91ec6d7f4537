"""Run a function once ``sentry_sdk`` is imported: at once if it is, else right after its import.

The plugin must not import sentry-sdk at start-up (a suite that never uses it would pay for
its 140 modules, and sentry-python's own suite checks that it is not imported before its
modules), yet the SDK must be patched before the application's ``sentry_sdk.init`` runs. A
finder on ``sys.meta_path`` wraps the loader of ``sentry_sdk`` itself: when the package's
``__init__`` has run, the waiting functions patch it, before the importing code (the
application's module, a submodule such as ``sentry_sdk.integrations.fastapi``) gets it back.
The finder leaves ``sys.meta_path`` once it has fired, and the module keeps its real loader.

A leaf module: it imports nothing of the package and no third-party module.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

__all__ = ["SDK", "when_sdk_imported"]

#: The package the hook waits for.
SDK = "sentry_sdk"

_waiting: list[Callable[[], None]] = []
_lock = threading.RLock()


def when_sdk_imported(func: Callable[[], None]) -> Callable[[], None]:
    """Call ``func`` now if ``sentry_sdk`` is imported, else once its import has run.

    Returns a function that cancels the wait (it does nothing once ``func`` was called).
    """
    with _lock:
        if SDK not in sys.modules:
            _waiting.append(func)
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return lambda: _cancel(func)
    func()
    return _nothing


def _cancel(func: Callable[[], None]) -> None:
    with _lock:
        if func in _waiting:
            _waiting.remove(func)
        if not _waiting and _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)


def _nothing() -> None:
    return None


def _imported() -> None:
    """The SDK's package has run: call what waits for it (each once, in order)."""
    with _lock:
        waiting = list(_waiting)
        _waiting.clear()
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
    for func in waiting:
        func()


class _SdkFinder(MetaPathFinder):
    """Finds ``sentry_sdk`` with the other finders and wraps its loader (nothing else)."""

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != SDK:
            return None
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


class _PatchingLoader(Loader):
    """The SDK's own loader; once it has executed the package, the waiting functions run."""

    def __init__(self, loader: Loader):
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        try:
            self.loader.exec_module(module)
        finally:
            # the module keeps its real loader (importlib.resources and pkgutil ask it)
            module.__loader__ = self.loader
            if module.__spec__ is not None:
                module.__spec__.loader = self.loader
        _imported()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


_FINDER = _SdkFinder()
