"""Buckets of what the SDK sent, and the routing that decides which bucket an envelope joins.

A :class:`Capture` is one bucket (one test, or one ``with capture():`` block). The
:class:`Router` holds the open buckets and attributes every delivery:

1. to the capture that owns the sending context (a context variable set when the capture
   opened; asyncio tasks, AnyIO worker threads and FastAPI's TestClient inherit it);
2. else to the capture whose SDK scope the event was prepared in: each capture adds an
   event processor to its isolation scope, which sentry-sdk's threading integration forks
   into the threads (and thread-pool tasks) started inside it; the processor leaves a
   thread-local hint that the transport, called next on the same thread, takes;
3. else to the innermost open capture (the SDK's own flusher threads);
4. else, between captures, to the last one closed, as a *late* arrival;
5. else (before any capture opened) to :attr:`Router.unattributed`.

A delivery to a closed capture is kept in its ``late`` list, never in the next one.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

from sentry_sdk.envelope import Envelope

if TYPE_CHECKING:
    from .dropped import Dropped, SdkError

__all__ = ["Capture", "ReceivedEnvelope", "Router", "follow_running_test", "run_as"]


class ReceivedEnvelope:
    """An envelope as it left the SDK: its serialized bytes, parsed back on first use.

    Parsing uses sentry-sdk's own ``Envelope.deserialize``; it happens when a test reads the
    envelope, not on the application's request path.
    """

    __slots__ = ("_envelope", "built", "raw", "received_at", "thread_name")

    def __init__(self, raw: bytes, received_at: float, thread_name: str):
        self.raw = raw
        self.received_at = received_at
        self.thread_name = thread_name
        self._envelope: Envelope | None = None
        #: the ``Envelope`` object the SDK built, while the capture's listeners are called
        #: (``capture_envelopes`` hands it out as it was); ``None`` after, and for envelopes
        #: from another process
        self.built: Envelope | None = None

    @property
    def envelope(self) -> Envelope:
        """The parsed envelope; every JSON item has ``payload.json`` set, as the SDK built it.

        An envelope that does not parse (only possible for envelopes from outside the process)
        is an empty ``Envelope`` with the same headers, so queries never crash on it.
        """
        if self._envelope is None:
            try:
                self._envelope = _parse(self.raw)
            except RecursionError:
                # Serialized on a shallow stack (a worker thread), too deep for the parser on
                # this one (pytest's): parse again on a fresh stack.
                self._envelope = _on_a_fresh_stack(_parse, self.raw)
        return self._envelope

    def item_types(self) -> list[str]:
        """The envelope's item types, in order."""
        return [str(item.type) for item in self.envelope.items]


def _parse(raw: bytes) -> Envelope:
    """``raw`` parsed with sentry-sdk's own parser, each JSON payload loaded; an envelope that
    does not parse is an empty one marked ``malformed`` (its bytes are still scanned)."""
    try:
        envelope = Envelope.deserialize(raw)
    except ValueError:
        return Envelope(headers={"malformed": True})
    from pytest_sentry_check._model.item_types import item_type
    from pytest_sentry_check._model.items import mark_parsed

    for item in envelope.items:
        entry = item_type(str(item.type))
        if item.payload.json is None and (entry is None or entry.json):
            with contextlib.suppress(ValueError):
                item.payload.json = json.loads(item.payload.get_bytes())
    return mark_parsed(envelope)


def _on_a_fresh_stack(parse: Callable[[bytes], Envelope], raw: bytes) -> Envelope:
    """``parse(raw)`` in a new thread: all of the recursion limit is free there."""
    result: list[Envelope] = []

    def run() -> None:
        try:
            result.append(parse(raw))
        except RecursionError:  # deeper than the limit itself: the bytes are scanned as text
            result.append(Envelope(headers={"malformed": True}))

    thread = threading.Thread(target=run, name="sentry-check-parse")
    thread.start()
    thread.join()
    return result[0]


_NONE: Mapping[str, Any] = MappingProxyType({})
_follows_running_test: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pytest_sentry_check_follows_running_test", default=False
)


def follow_running_test() -> None:
    """Send what the calling thread or task sends from now on to the test running at the time.

    For a long-lived worker (a queue consumer, a task on a session-wide event loop) that a
    test's body started but that serves every later test: by default its events belong to the
    test that started it, and arrive late there.
    """
    _owner.set(None)
    _follows_running_test.set(True)


def run_as(capture: Capture | None, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, run with ``capture`` as the owner of what it sends (a pool job: its submitter)."""
    if capture is None:
        return func

    def run(*args: Any, **kwargs: Any) -> Any:
        token = _owner.set(capture)
        try:
            return func(*args, **kwargs)
        finally:
            _owner.reset(token)

    return run


_owner: contextvars.ContextVar[Capture | None] = contextvars.ContextVar(
    "pytest_sentry_check_owner", default=None
)


class _Late:
    __slots__ = ("dropped", "envelopes", "sdk_errors")

    def __init__(self) -> None:
        self.envelopes: list[ReceivedEnvelope] = []
        self.dropped: list[Dropped] = []
        self.sdk_errors: list[SdkError] = []

    def __len__(self) -> int:
        return len(self.envelopes) + len(self.dropped) + len(self.sdk_errors)


class Capture:
    """Everything the SDK delivered while this capture was open, in arrival order.

    Exposed for type hints only; tests read it through :class:`SentryEvents`.
    """

    # Defaults of what most captures never change (a test suite opens one capture per test).
    parent: Capture | None = None
    closed = False
    #: the test's body runs: threads started from now on are this capture's
    threads_marked = False
    #: names of the other tests whose bodies created a client this capture received from
    foreign_clients: frozenset[str] = frozenset()
    generation = 0
    listeners: tuple[Callable[[ReceivedEnvelope], None], ...] = ()
    #: what :meth:`wait` runs while it waits (see :meth:`add_pump`)
    pumps: tuple[Callable[[float], None], ...] = ()
    _late: _Late | None = None
    _token: contextvars.Token[Capture | None] | None = None

    def __init__(
        self,
        router: Router,
        name: str = "",
        overrides: Mapping[str, Any] | None = None,
        *,
        discard: bool = False,
        keep_pending: bool = False,
    ):
        self.router = router
        self.discard = discard
        self.name = name
        self.overrides: Mapping[str, Any] = MappingProxyType(dict(overrides)) if overrides else _NONE
        self.envelopes: list[ReceivedEnvelope] = []
        self.dropped: list[Dropped] = []
        self.sdk_errors: list[SdkError] = []
        #: envelopes received while open that :meth:`take_pending` has not taken yet (kept
        #: only with ``keep_pending``)
        self.pending: list[ReceivedEnvelope] | None = [] if keep_pending else None
        # One condition for all the router's captures: most captures receive nothing.
        self.changed = router.changed

    @property
    def late(self) -> _Late:
        """What arrived after the capture closed."""
        if self._late is None:
            with self.changed:
                if self._late is None:
                    self._late = _Late()
        return self._late

    def take_pending(self) -> list[ReceivedEnvelope]:
        """The envelopes received since the last call (even if :meth:`clear` forgot them)."""
        if not self.pending:  # most tests receive nothing
            return []
        with self.changed:
            pending, self.pending = self.pending, []
        return pending

    def listen(self, listener: Callable[[ReceivedEnvelope], None]) -> None:
        """Call ``listener`` with every envelope received from now on, until the capture closes."""
        with self.changed:
            self.listeners = (*self.listeners, listener)

    def successor(self) -> Capture:
        """An empty, closed capture under this one's name: what still arrives for the test is
        kept there as its late arrival, without keeping what the test received."""
        stub = Capture(self.router, self.name, discard=self.discard)
        stub.closed = True
        return stub

    def chain(self) -> Iterator[Capture]:
        """This capture and the ones it is nested in."""
        capture: Capture | None = self
        while capture is not None:
            yield capture
            capture = capture.parent

    def clear(self) -> None:
        """Forget everything received so far (but not the exceptions the SDK swallowed:
        those are still reported when the test ends)."""
        with self.changed:
            self.envelopes.clear()
            self.dropped.clear()
            self.generation += 1

    def _add(self, kind: str, value: Any) -> None:
        if self.discard:
            return
        with self.changed:
            target: Any = self.late if self.closed else self
            getattr(target, kind).append(value)
            if kind == "envelopes" and not self.closed:
                if self.pending is not None:
                    self.pending.append(value)
                for listener in self.listeners:
                    listener(value)
            self.changed.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` is true or ``timeout`` seconds passed; the capture's
        pumps run meanwhile (outside the lock), each for up to 50 ms a turn."""
        deadline = time.monotonic() + timeout
        while True:
            with self.changed:
                if predicate():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                pumps = self.pumps
                if not pumps:
                    self.changed.wait(min(remaining, 0.05))
            for pump in pumps:
                pump(min(remaining, 0.05))

    def add_pump(self, pump: Callable[[float], None]) -> Callable[[], None]:
        """Have :meth:`wait` call ``pump(seconds)`` while it waits: a source that delivers only
        while the waiting thread runs its loop (a Playwright page's routes). A pump takes up to
        ``seconds`` (it sleeps when it has nothing to run). Returns its removal."""
        with self.changed:
            self.pumps = (*self.pumps, pump)

        def remove() -> None:
            with self.changed:
                self.pumps = tuple(p for p in self.pumps if p is not pump)

        return remove

    def open(self) -> Capture:
        """Start receiving; the calling context (and what it spawns) becomes this capture's."""
        router = self.router  # the router's part inlined: a test suite opens one capture per test
        with router._lock:
            parent = _owner.get() or (router._open[-1] if router._open else None)
            self.parent = parent if parent is not None and parent.router is router else None
            router._open.append(self)
        self._token = _owner.set(self)
        return self

    def close(self) -> None:
        """Stop receiving: what arrives from now on is kept as late."""
        if self._token is not None:
            try:
                _owner.reset(self._token)
            except ValueError:  # closed from another context than the one that opened it
                _owner.set(self.parent)
            self._token = None
        router = self.router
        with router._lock:
            if self in router._open:
                router._open.remove(self)
            self.closed = True
            self.listeners = ()  # only called while open; a listener may refer back to it
            router.last_closed = self

    def __enter__(self) -> Capture:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Router:
    """Attributes every delivery from the capture transport to the right capture."""

    def __init__(self) -> None:
        # One lock for the router's lists and its captures' contents, which change together.
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._open: list[Capture] = []
        self.last_closed: Capture | None = None
        self.unattributed = _Late()
        self.late_captures: list[Capture] = []
        #: once the session ended: envelopes that arrived since, by the test they belong to
        self.after_session: dict[str, int] | None = None
        self._hints = threading.local()
        #: the capture whose test body started each thread (for when the SDK propagates no scope)
        self._thread_origins: weakref.WeakKeyDictionary[threading.Thread, Capture] = (
            weakref.WeakKeyDictionary()
        )

    def event_processor(self, capture: Capture) -> Callable[[Any, Any], Any]:
        """An SDK event processor marking the events prepared in ``capture``'s scopes.

        It holds the capture: a thread that outlives its test keeps the test's capture with the
        scope it was given, so what it sends later is that test's late arrival, not the next's.
        """

        def mark_owner(event: Any, hint: Any) -> Any:
            self._hints.capture = capture
            return event

        return mark_owner

    def body_running(self) -> str:
        """The name of the capture whose test body is running in the calling context, or ``""``."""
        owner = _owner.get()
        return owner.name if owner is not None and owner.threads_marked and not owner.closed else ""

    def note_client_origin(self, origin: str) -> None:
        """Remember that the capture receiving now got it from a client test ``origin`` created."""
        capture = self.active()
        if capture is None or capture.closed or not capture.name:
            return
        if origin not in {nested.name for nested in capture.chain()}:
            with self._lock:
                capture.foreign_clients = capture.foreign_clients | {origin}

    def thread_started(self, thread: threading.Thread) -> None:
        """Remember which test body started ``thread`` (``threading.Thread.start`` calls this)."""
        owner = _owner.get()
        if owner is not None and owner.router is self and owner.threads_marked and not owner.closed:
            self._thread_origins[thread] = owner

    def active(self, *, take_hint: bool = False) -> Capture | None:
        """The capture a delivery made from the calling context would join: the context's owner
        (a test, a pool job's submitter), else the test whose scope prepared the event, else the
        test whose body started the thread, else the innermost open capture."""
        hinted: Capture | None = getattr(self._hints, "capture", None)
        if take_hint and hinted is not None:
            self._hints.capture = None
        owner = _owner.get()
        if owner is not None and owner.router is self:
            return owner
        if _follows_running_test.get():
            hinted = None
        elif hinted is None:
            hinted = self._thread_origins.get(threading.current_thread())
        if hinted is not None:
            return hinted
        with self._lock:
            if self._open:
                return self._open[-1]
            return self.last_closed

    def deliver(self, kind: str, value: Any, to: Capture | None = None) -> None:
        """Add an envelope (``envelopes``), a ``dropped`` record or an ``sdk_errors`` entry, to
        the capture it belongs to (or to ``to``: the local server knows it by the DSN's key)."""
        target = to if to is not None else self.active(take_hint=True)
        if self.after_session is not None and kind == "envelopes":
            with self._lock:
                name = target.name if target is not None else ""
                self.after_session[name] = self.after_session.get(name, 0) + 1
        if target is None:
            with self._lock:
                getattr(self.unattributed, kind).append(value)
            return
        for capture in target.chain():
            if capture.discard:
                continue
            was_closed = capture.closed
            capture._add(kind, value)
            if was_closed:
                with self._lock:
                    if capture not in self.late_captures:
                        self.late_captures.append(capture)
