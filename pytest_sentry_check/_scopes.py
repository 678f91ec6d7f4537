"""Per-capture copies of the SDK's scopes, forked on first use.

A capture (a test) gets its own copy of the SDK's current and isolation scopes, so the tags,
user, contexts and breadcrumbs set inside do not outlive it. Forking both scopes costs about
5 µs, and most tests of a suite never touch the SDK, so the copies are made on the first call
that asks for a scope while the capture is open: ``Scope.get_current_scope`` and
``Scope.get_isolation_scope``, which every SDK function and integration goes through before it
changes a scope. The copies belong to the capture, not to the context that made that first
call: an asyncio task or a thread that asks first shares them with the test body, as it would
have shared copies made when the test started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sentry_sdk import scope as sdk_scope
from sentry_sdk.scope import Scope

__all__ = ["LazyScopes", "patched_getters"]

_stack: list[LazyScopes] = []
_fork_lock = threading.Lock()
_GET_CURRENT = Scope.get_current_scope.__func__  # type: ignore[attr-defined]
_GET_ISOLATION = Scope.get_isolation_scope.__func__  # type: ignore[attr-defined]


class LazyScopes:
    """The scopes a capture started from, and its copies once something asked for them.

    Made when the capture opens; :meth:`close` when it closes.
    """

    __slots__ = ("_processors", "base", "forked")

    # Event processors are added to the copy of the isolation scope; they are made when it is.

    def __init__(self) -> None:
        if _stack:
            _stack[-1].enter()  # a nested capture starts from what the outer one has
        self.base: tuple[Scope, Scope] = (_GET_CURRENT(Scope), _GET_ISOLATION(Scope))
        self.forked: tuple[Scope, Scope] | None = None
        self._processors: list[Callable[[], Callable[[Any, Any], Any]]] = []
        _stack.append(self)

    def enter(self) -> None:
        """Make the calling context use the copies (forking them if nobody asked before)."""
        current, isolation = self.base
        if self.forked is None:
            with _fork_lock:
                if self.forked is None:
                    forked_isolation = isolation.fork()
                    for make_processor in self._processors:
                        forked_isolation.add_event_processor(make_processor())
                    self.forked = (current.fork(), forked_isolation)
        if sdk_scope._current_scope.get() is current:
            sdk_scope._current_scope.set(self.forked[0])
        if sdk_scope._isolation_scope.get() is isolation:
            sdk_scope._isolation_scope.set(self.forked[1])

    def add_event_processor(self, make_processor: Callable[[], Callable[[Any, Any], Any]]) -> None:
        """Add ``make_processor()`` to the copy of the isolation scope, now or when it is made."""
        with _fork_lock:
            if self.forked is None:
                self._processors.append(make_processor)
                return
        self.forked[1].add_event_processor(make_processor())

    def close(self) -> None:
        """Give the calling context back the scopes it had when the capture opened."""
        if self in _stack:
            _stack.remove(self)
        current, isolation = self.base
        if sdk_scope._current_scope.get() is not current:
            sdk_scope._current_scope.set(current)
        if sdk_scope._isolation_scope.get() is not isolation:
            sdk_scope._isolation_scope.set(isolation)


def _get_current_scope(cls: type[Scope]) -> Scope:
    if _stack:
        lazy = _stack[-1]
        if sdk_scope._current_scope.get() is lazy.base[0]:
            lazy.enter()
    return _GET_CURRENT(cls)  # type: ignore[no-any-return]


def _get_isolation_scope(cls: type[Scope]) -> Scope:
    if _stack:
        lazy = _stack[-1]
        if sdk_scope._isolation_scope.get() is lazy.base[1]:
            lazy.enter()
    return _GET_ISOLATION(cls)  # type: ignore[no-any-return]


def patched_getters() -> dict[str, Any]:
    """Replacements for ``Scope``'s two scope getters, which fork on first use."""
    return {
        "get_current_scope": classmethod(_get_current_scope),
        "get_isolation_scope": classmethod(_get_isolation_scope),
    }
