"""Opening and closing one capture: the same steps for a pytest test and a ``with capture():``.

Opening forks the SDK's isolation and current scopes (so tags, user, contexts and
breadcrumbs set inside do not outlive it), applies option overrides to the live client,
and makes the calling context the capture's owner. Closing flushes the SDK's buffers
(logs, metrics, spans, sessions) into it, then undoes all of that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sentry_sdk

from ._capture import CaptureTransport, Installation, flush_pending, overridden, wrap_callbacks
from ._scopes import LazyScopes, client_in_use
from ._store import Capture, Router

if TYPE_CHECKING:
    from ._query import SentryEvents

__all__ = ["CaptureSession", "capture", "current_installation", "install", "uninstall"]

_installations: list[Installation] = []


def install(overrides: Mapping[str, Any] | None = None) -> Installation:
    """Route everything the SDK sends into a new :class:`Router` (nestable; undo with :func:`uninstall`)."""
    installation = Installation(Router(), overrides).install()
    _installations.append(installation)
    return installation


def uninstall(installation: Installation) -> None:
    """Undo :func:`install` (and any installation made after it)."""
    while installation in _installations:
        _installations.pop().uninstall()


def current_installation() -> Installation | None:
    return _installations[-1] if _installations else None


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
    _events: SentryEvents | None = None
    _scopes: LazyScopes | None = None
    _capturing = False
    _client_before: Any = None
    #: what open() did beyond forking the scopes, undone in reverse by close()
    _undo: Sequence[Callable[[], Any]] = ()

    @property
    def events(self) -> SentryEvents:
        """The query object over this capture (made on first use: most tests never ask)."""
        if self._events is None:
            from ._query import SentryEvents

            self._events = SentryEvents(self.capture)
        return self._events

    def open(self, mark_threads: bool = True) -> None:
        """Start capturing; with ``mark_threads`` threads started from now on belong to it."""
        try:
            if self._isolate:
                self._scopes = LazyScopes()
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
        if self._scopes is not None:
            self._scopes.add_event_processor(self._mark_owner)

    def _mark_owner(self) -> Callable[[Any, Any], Any]:
        return self.capture.router.event_processor(self.capture)

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
            flush_pending(client_in_use())
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


@contextlib.contextmanager
def capture(options: Mapping[str, Any] | None = None, *, isolate: bool = True) -> Iterator[SentryEvents]:
    """Capture what the SDK sends inside the block, without pytest.

    Args:
        options: client options applied on top of the application's own
            (e.g. ``{"traces_sample_rate": 1.0}``) while the block runs.
        isolate: run the block in forked SDK scopes, so scope data set inside stays inside.

    The SDK is patched for the block if pytest-sentry-check is not already active.
    """
    installation = current_installation()
    own = installation is None
    if installation is None:
        installation = install()
    session = CaptureSession(installation, "capture()", options, isolate)
    try:
        session.open()
        yield session.events
    finally:
        try:
            session.close()
        finally:
            if own:
                uninstall(installation)
