"""Opening and closing one capture: the same steps for a pytest test and a ``with capture():``.

Opening forks the SDK's isolation and current scopes (so tags, user, contexts and
breadcrumbs set inside do not outlive it), applies option overrides to the live client,
and makes the calling context the capture's owner. Closing flushes the SDK's buffers
(logs, metrics, spans, sessions) into it, then undoes all of that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sentry_sdk

from . import scopes
from .install import Installation, overridden, wrap_callbacks
from .scopes import LazyScopes, client_in_use
from .store import Capture
from .transport import CaptureTransport, flush_pending

if TYPE_CHECKING:
    pass

__all__ = ["CaptureSession", "flush_in_use"]


#: ``scopes.getter_calls`` when the buffers were last checked
_checked_at = -1


def flush_in_use() -> None:
    """Make the client the calling context sends through send what it buffers (logs, metrics,
    sessions), if it buffers anything: cheap when it does not (a test's path calls this twice),
    and no work at all while nothing asked the SDK for a scope since the last check."""
    global _checked_at
    calls = scopes.getter_calls
    if calls == _checked_at:
        return
    _checked_at = calls
    client = client_in_use()
    transport = getattr(client, "transport", None)
    if isinstance(transport, CaptureTransport) and transport.buffers is not None:
        # flush_pending's own check, inlined for the common case (its buffers known)
        try:
            if not any(transport.buffers(client)):
                return
        except Exception:  # a buffer's holder went away: flush_pending decides
            pass
    flush_pending(client)


class CaptureSession:
    """One open capture and what opening it changed, undone by :meth:`close`.

    Args:
        record: ``False`` still isolates and routes, but keeps nothing (a test that opted out).
        keep_pending: keep what arrives for ``capture.take_pending()`` too (the gate's scans).
    """

    def __init__(
        self,
        installation: Installation,
        name: str = "",
        overrides: Mapping[str, Any] | None = None,
        isolate: bool = True,
        record: bool = True,
        *,
        keep_pending: bool = False,
    ):
        self.capture = Capture(
            installation.router, name, overrides, discard=not record, keep_pending=keep_pending
        )
        self._installation = installation
        self._isolate = isolate

    # Defaults of what most sessions never change (a test suite opens one per test).
    _scopes: LazyScopes | None = None
    _capturing = False
    _client_before: Any = None
    #: what open() did beyond forking the scopes, undone in reverse by close()
    _undo: Sequence[Callable[[], Any]] = ()

    def open(self, mark_threads: bool = True) -> None:
        """Start capturing; with ``mark_threads`` threads started from now on belong to it."""
        try:
            if self._isolate:
                self._scopes = LazyScopes(self.capture)
            self.capture.open()
            self._capturing = True
            if self.capture.overrides:
                client = sentry_sdk.get_client()
                self._client_before = client if client.is_active() else None
                self._undo = [self._restore_clients_made_inside]
                if client.is_active():
                    self._installation.adopt(client)
                    applied = overridden(client.options, self.capture.overrides, self._installation.router)
                    applied.__enter__()
                    self._undo = [*self._undo, lambda: applied.__exit__(None, None, None)]
            if mark_threads:
                self.mark_threads()
        except BaseException:
            self._unwind()
            raise

    def mark_threads(self) -> None:
        """Threads started from now on (sentry-sdk forks the scope into them) belong to this capture.

        pytest calls this when the test body starts, so threads that fixtures start (of any
        scope: a session-wide worker, say) are not tied to the first test that set them up.
        """
        self.capture.threads_marked = True
        if self._scopes is not None:
            self._scopes.mark_owner()

    def _restore_clients_made_inside(self) -> None:
        # A client created while this capture was open got its overrides at init; a client
        # outliving the test (a session fixture's app) must not keep them.
        client = sentry_sdk.get_client()
        transport = getattr(client, "transport", None)
        if client is self._client_before or not client.is_active():
            return
        if isinstance(transport, CaptureTransport):
            own = {**transport.app_options, **self._installation.overrides}
            for key in self.capture.overrides:
                if key in own:
                    client.options[key] = own[key]
            wrap_callbacks(client.options, self._installation.router)

    def close(self) -> None:
        try:
            # Logs, metrics and sessions may wait in the SDK's buffers, also from threads that
            # never asked for this capture's scopes (started before the test, say).
            flush_in_use()
        finally:
            self._unwind()

    def _unwind(self) -> None:
        error: BaseException | None = None
        if self._undo:
            undo, self._undo = self._undo, ()
            for step in reversed(undo):
                try:
                    step()
                except BaseException as exc:  # keep undoing; report the first failure
                    error = error or exc
        if self._capturing:
            self._capturing = False
            self.capture.close()
        if self._scopes is not None:
            scopes, self._scopes = self._scopes, None
            scopes.close()
        if error is not None:
            raise error
