"""Per-capture copies of the SDK's scopes, forked on first use.

A capture (a test) gets its own copy of the SDK's current and isolation scopes, so the tags,
user, contexts and breadcrumbs set inside do not outlive it. Forking both scopes costs about
5 µs, and most tests of a suite never touch the SDK, so the copies are made on the first call
that asks for a scope while the capture is open: ``Scope.get_current_scope`` and
``Scope.get_isolation_scope``, which every SDK function and integration goes through before it
changes a scope. The copies belong to the capture, not to the context that made that first
call: an asyncio task or a thread that asks first shares them with the test body, as it would
have shared copies made when the test started.

Which capture a context belongs to is a context variable, set when the capture opens: a context
copied during a test (a task, ``asyncio.to_thread``, ``copy_context().run``) keeps its test's
copies even when it first uses the SDK after that test ended, so nothing it sets reaches the
next test.
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

from sentry_sdk import scope as sdk_scope
from sentry_sdk.scope import Scope

if TYPE_CHECKING:
    from .store import Capture

__all__ = ["LazyScopes", "client_in_use", "patched_scope_methods"]

_lazy: contextvars.ContextVar[LazyScopes | None] = contextvars.ContextVar(
    "pytest_sentry_check_scopes", default=None
)
_fork_lock = threading.Lock()
_GET_CURRENT = Scope.get_current_scope.__func__  # type: ignore[attr-defined]
_GET_ISOLATION = Scope.get_isolation_scope.__func__  # type: ignore[attr-defined]
_SET_CLIENT = Scope.set_client
_CURRENT = sdk_scope._current_scope
_ISOLATION = sdk_scope._isolation_scope
#: Calls of the SDK's two scope getters so far, from any thread, and changes of the client in
#: use. Whatever the SDK buffers (logs, metrics, spans, sessions) was added after asking for a
#: scope: while this count is what it was at the last check of the buffers of the client in
#: use, they cannot hold anything new.
getter_calls = 0


class LazyScopes:
    """The scopes a capture started from, and its copies once something asked for them.

    Made when the capture opens; :meth:`close` when it closes. Once :meth:`mark_owner` was
    called, the copy of the isolation scope marks the events it prepares as ``capture``'s.
    """

    __slots__ = ("_marking", "_token", "base", "capture", "forked", "outer")

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self._marking = 0  # 1: mark_owner was called; 2: the processor is on the copy
        self.outer = _lazy.get()
        if self.outer is not None:
            self.outer.enter()  # a nested capture starts from what the outer one has
        # read the SDK's context variables directly: its getters only add making a missing scope
        current, isolation = _CURRENT.get(), _ISOLATION.get()
        if current is None:
            current = _GET_CURRENT(Scope)
        if isolation is None:
            isolation = _GET_ISOLATION(Scope)
        self.base: tuple[Scope, Scope] = (current, isolation)
        self.forked: tuple[Scope, Scope] | None = None
        self._token = _lazy.set(self)

    def enter(self) -> None:
        """Make the calling context use the copies (forking them if nobody asked before)."""
        current, isolation = self.base
        if self.forked is None:
            with _fork_lock:
                if self.forked is None:
                    self.forked = (current.fork(), isolation.fork())
                    if self._marking:
                        self._add_marker()
        if _CURRENT.get() is current:
            _CURRENT.set(self.forked[0])
        if _ISOLATION.get() is isolation:
            _ISOLATION.set(self.forked[1])

    def mark_owner(self) -> None:
        """From now on the copy of the isolation scope (now, or when it is made) marks the events
        it prepares as the capture's (a thread started later gets a fork of it)."""
        self._marking = self._marking or 1
        if self.forked is not None:  # else enter() adds it when it forks: most tests never do
            with _fork_lock:
                self._add_marker()

    def _add_marker(self) -> None:  # under _fork_lock, once forked
        if self._marking == 1 and self.forked is not None:
            self._marking = 2
            capture = self.capture
            self.forked[1].add_event_processor(capture.router.event_processor(capture))

    def close(self) -> None:
        """Give the calling context back the scopes it had when the capture opened."""
        global getter_calls
        if self.forked is not None:
            getter_calls += 1  # the client in use may change with the scopes
        try:
            _lazy.reset(self._token)
        except ValueError:  # closed from another context than the one that opened it
            _lazy.set(self.outer)
        current, isolation = self.base
        if _CURRENT.get() is not current:
            _CURRENT.set(current)
        if _ISOLATION.get() is not isolation:
            _ISOLATION.set(isolation)


def _get_current_scope(cls: type[Scope]) -> Scope:
    global getter_calls
    getter_calls += 1
    lazy = _lazy.get()
    if lazy is not None and _CURRENT.get() is lazy.base[0]:
        lazy.enter()
    return _GET_CURRENT(cls)  # type: ignore[no-any-return]


def _get_isolation_scope(cls: type[Scope]) -> Scope:
    global getter_calls
    getter_calls += 1
    lazy = _lazy.get()
    if lazy is not None and _ISOLATION.get() is lazy.base[1]:
        lazy.enter()
    return _GET_ISOLATION(cls)  # type: ignore[no-any-return]


def client_in_use() -> Any:
    """The client the SDK sends through from the calling context, as ``sentry_sdk.get_client()``
    finds it (current scope, isolation scope, global scope), or ``None``.

    Read from the scopes' attributes: the buffer checks that need it run twice per test, and
    ``get_client()`` makes three calls. A client without a transport (none, or closed) is
    skipped: it has nothing to flush.
    """
    scope = _CURRENT.get()
    client = scope.client if scope is not None else None
    if getattr(client, "transport", None) is None:
        scope = _ISOLATION.get()
        client = scope.client if scope is not None else None
        if getattr(client, "transport", None) is None:
            scope = sdk_scope._global_scope
            client = scope.client if scope is not None else None
    return client


def _set_client(scope: Scope, client: Any = None) -> None:
    global getter_calls
    getter_calls += 1
    _SET_CLIENT(scope, client)


def patched_scope_methods() -> dict[str, Any]:
    """Replacements for ``Scope``'s two scope getters, which fork on first use, and for its
    ``set_client``: each counts in ``getter_calls``."""
    return {
        "get_current_scope": classmethod(_get_current_scope),
        "get_isolation_scope": classmethod(_get_isolation_scope),
        "set_client": _set_client,
    }
