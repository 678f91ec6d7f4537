"""Put the SDK's output into a :class:`Router` instead of the network.

:func:`install` patches these places of sentry-sdk, so that a ``sentry_sdk.init(...)`` the
application makes itself, with a real DSN, still ends up here:

- ``sentry_sdk.client.get_options``: remembers the options the application resolved, applies
  the test's overrides on top, and wraps the application's callbacks (``before_send``,
  ``traces_sampler``, ...) so an exception the SDK would swallow is recorded;
- ``sentry_sdk.client.make_transport``: every client gets a :class:`CaptureTransport`, so
  no HTTP transport, worker thread or socket is ever created (``SENTRY_PRINT_ENVELOPES``
  and an explicit ``transport=`` are bypassed the same way), except while ``passthrough``
  is set (a test that keeps its own transports), for an explicit transport inside
  :meth:`Installation.keeping_transports` (the ``sentry_init`` fixture: it is kept and fed
  the same envelopes), and for pytest-sentry's client (see ``report_test_run``);
- ``Scope.get_current_scope`` and ``Scope.get_isolation_scope``: a capture's copies of the
  scopes are made on first use (see ``_scopes``).

Spotlight is left as the application set it (``spotlight=``, ``SENTRY_SPOTLIGHT``): it sends
to a local sidecar. The transport round-trips each envelope through its serialized bytes and
``sentry_sdk.envelope.Envelope.deserialize``, so tests see what Sentry would receive.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import sys
import threading
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import sentry_sdk
import sentry_sdk.client
import sentry_sdk.scope
import sentry_sdk.transport

from .scopes import patched_scope_methods
from .store import Router, run_as
from .transport import CaptureTransport, SilencedTransport, reports_the_test_run

__all__ = [
    "CALLBACK_OPTIONS",
    "CaptureTransport",
    "Installation",
    "overridden",
]

#: Options holding application callbacks, and what the SDK does when each one raises.
CALLBACK_OPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "before_send": "the SDK dropped the event: in production it never reaches Sentry",
        "before_send_transaction": "the SDK dropped the transaction: in production it never reaches Sentry",
        "before_breadcrumb": "the SDK kept the breadcrumb unfiltered: in production it is "
        "sent as it was, unscrubbed",
        "before_send_log": "the SDK dropped the log",
        "before_send_metric": "the SDK dropped the metric",
        "before_send_span": "the SDK swallowed the exception",
        "traces_sampler": "the SDK did not sample the trace: no transaction is sent",
        "profiles_sampler": "the SDK did not sample the profile",
        "error_sampler": "the SDK swallowed the exception",
    }
)

_THREAD_START: Callable[[threading.Thread], None] = threading.Thread.start
_POOL_SUBMIT: Callable[..., Any] = concurrent.futures.ThreadPoolExecutor.submit
_SDK_GET_OPTIONS: Callable[..., dict[str, Any]] = sentry_sdk.client.get_options
_SDK_MAKE_TRANSPORT: Callable[..., Any] = sentry_sdk.transport.make_transport

_SDK_IS_IGNORED_ERROR: Callable[..., bool] | None = getattr(
    sentry_sdk.client._Client, "_is_ignored_error", None
)


def _describe_callable(func: Any) -> str:
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{module}.{name}" if module else str(name)


def wrap_callbacks(options: dict[str, Any], router: Router) -> None:
    """Replace each application callback in ``options`` by one that records what it raises."""
    for name, consequence in CALLBACK_OPTIONS.items():
        func = options.get(name)
        if not callable(func) or getattr(func, "__sentry_check_router__", None) is router:
            continue
        original = getattr(func, "__sentry_check_original__", func)
        options[name] = _recording(name, consequence, original, router)


def _recording(name: str, consequence: str, func: Callable[..., Any], router: Router) -> Any:
    @functools.wraps(func)
    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            from .dropped import SdkError

            error = SdkError.from_exception(
                name, exc, consequence, skip_frames=1, callback=_describe_callable(func)
            )
            router.deliver("sdk_errors", error)
            raise

    recording.__sentry_check_router__ = router  # type: ignore[attr-defined]
    recording.__sentry_check_original__ = func  # type: ignore[attr-defined]
    return recording


_NOT_THE_APP = (os.path.dirname(sentry_sdk.__file__), os.path.dirname(os.path.dirname(__file__)))


def _warn_at_the_apps_call(caught: list[warnings.WarningMessage]) -> None:
    """Issue again what the SDK warned while resolving the options (a deprecated option, say),
    at the application's ``sentry_sdk.init`` call: the SDK points its warnings one frame up,
    which is this module's wrapper."""
    if not caught:
        return
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_NOT_THE_APP):
        frame = frame.f_back
    for warning in caught:
        warnings.warn_explicit(
            warning.message,
            warning.category,
            frame.f_code.co_filename,
            frame.f_lineno,
            module=frame.f_globals.get("__name__"),
            registry=frame.f_globals.setdefault("__warningregistry__", {}),
            module_globals=frame.f_globals,
        )


def _from_the_overrides(
    caught: list[warnings.WarningMessage], app_caught: list[warnings.WarningMessage]
) -> list[warnings.WarningMessage]:
    """What the SDK warned with the test's option overrides: the app's own options' warnings as
    they are, and a warning only the overrides raised (a deprecated option the marker or the ini
    sets) saying so, since the app's line does not have it."""
    own = {(w.category, str(w.message)) for w in app_caught}
    warned = list(app_caught)
    for w in caught:
        if (w.category, str(w.message)) not in own:
            message = w.category(f"from the option overrides (marker, ini sentry_options): {w.message}")
            warned.append(warnings.WarningMessage(message, w.category, w.filename, w.lineno))
    return warned


class Installation:
    """The patched SDK entry points, and the router they deliver to.

    ``overrides`` are options applied on top of every ``sentry_sdk.init``; a capture's own
    ``overrides`` are added on top of those while it is the active one.
    """

    def __init__(
        self,
        router: Router,
        overrides: Mapping[str, Any] | None = None,
        *,
        report_test_run: bool = False,
    ):
        self.router = router
        self.overrides: dict[str, Any] = dict(overrides or {})
        #: let pytest-sentry's client (it reports the test run itself) keep its own transport
        self.report_test_run = report_test_run
        #: how many of pytest-sentry's clients were recognised (silenced unless report_test_run)
        self.test_run_reporters = 0
        #: clients made now keep the transport the SDK or the application gives them
        self.passthrough = False
        self._keep_transports = False
        self._saved: list[tuple[Any, str, Any]] = []
        self._app_options: dict[int, dict[str, Any]] = {}
        #: ``host:port`` of local ingest servers: clients whose DSN points there keep the SDK's
        #: real HTTP transport (loopback only), so faults the server injects reach the SDK.
        self.local_servers: set[str] = set()

    def current_overrides(self) -> dict[str, Any]:
        capture = self.router.active()
        merged = dict(self.overrides)
        if capture is not None and not capture.closed:
            merged.update(capture.overrides)
        return merged

    def _get_options(self, original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
        @functools.wraps(original)
        def get_options(*args: Any, **kwargs: Any) -> dict[str, Any]:
            overrides = self.current_overrides()
            app_caught: list[warnings.WarningMessage] = []
            if overrides:
                with warnings.catch_warnings(record=True) as app_caught:
                    warnings.simplefilter("always")
                    app_options = original(*args, **kwargs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                effective = original(*args, **{**kwargs, **overrides})
            _warn_at_the_apps_call(_from_the_overrides(caught, app_caught) if overrides else caught)
            if not overrides:
                app_options = dict(effective)
            self._app_options[id(effective)] = app_options
            wrap_callbacks(effective, self.router)
            return effective

        return get_options

    def _make_transport(self, options: dict[str, Any]) -> Any:
        app_options = self._app_options.pop(id(options), None)
        if reports_the_test_run(options.get("integrations")):
            self.test_run_reporters += 1
            return _SDK_MAKE_TRANSPORT(options) if self.report_test_run else SilencedTransport(options)
        if self.passthrough:
            return _SDK_MAKE_TRANSPORT(options)
        if self._keep_transports and options.get("transport") is not None:
            if app_options is None:
                app_options = dict(options)
            return _feeding(_SDK_MAKE_TRANSPORT(options), CaptureTransport(options, self.router, app_options))
        dsn = options.get("dsn")
        if (
            self.local_servers
            and isinstance(dsn, str)
            and urllib.parse.urlsplit(dsn).netloc.rpartition("@")[2] in self.local_servers
        ):
            return _SDK_MAKE_TRANSPORT(options)
        if app_options is None:  # a client built without get_options (unpickled, or by hand)
            app_options = dict(options)
            wrap_callbacks(options, self.router)
        return CaptureTransport(options, self.router, app_options)

    def _is_ignored_error(self, original: Callable[..., bool]) -> Callable[..., bool]:
        # The SDK drops ignore_errors matches without a client report; tests still see them.
        @functools.wraps(original)
        def is_ignored_error(client: Any, event: Any, hint: Any) -> bool:
            ignored = original(client, event, hint)
            if ignored and isinstance(getattr(client, "transport", None), CaptureTransport):
                from .dropped import Dropped

                client.transport.router.deliver(
                    "dropped", Dropped("ignore_errors", "error", 1, reported=False)
                )
            return ignored

        return is_ignored_error

    def _thread_start(self) -> Callable[[threading.Thread], None]:
        router = self.router

        def start(thread: threading.Thread) -> None:
            router.thread_started(thread)
            _THREAD_START(thread)

        return start

    def _pool_submit(self) -> Callable[..., Any]:
        router = self.router

        def submit(executor: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            # a pool's threads outlive the test that started them: a job belongs to its submitter
            return _POOL_SUBMIT(executor, run_as(router.active(), fn), *args, **kwargs)

        return submit

    @contextlib.contextmanager
    def keeping_transports(self) -> Iterator[None]:
        """A client made inside keeps an explicit ``transport=`` (as sentry-python's own
        ``sentry_init`` fixture did), which also feeds this installation's captures."""
        self._keep_transports = True
        try:
            yield
        finally:
            self._keep_transports = False

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        # a class's own attribute as stored (a classmethod stays one when restored)
        before = (
            vars(owner)[name] if isinstance(owner, type) and name in vars(owner) else getattr(owner, name)
        )
        self._saved.append((owner, name, before))
        setattr(owner, name, value)

    def install(self, find_existing: bool = False) -> Installation:
        """Patch the SDK; a client that already exists gets a capture transport too: the one
        in use, or with ``find_existing`` every client in the process (made before the SDK was
        patched, such as pytest-sentry's, which it creates when pytest imports it)."""
        client_module: Any = sentry_sdk.client
        self._patch(client_module, "get_options", self._get_options(_SDK_GET_OPTIONS))
        self._patch(client_module, "make_transport", self._make_transport)
        for name, method in patched_scope_methods().items():
            self._patch(sentry_sdk.scope.Scope, name, method)
        self._patch(threading.Thread, "start", self._thread_start())
        self._patch(concurrent.futures.ThreadPoolExecutor, "submit", self._pool_submit())
        if _SDK_IS_IGNORED_ERROR is not None:
            self._patch(
                sentry_sdk.client._Client,
                "_is_ignored_error",
                self._is_ignored_error(_SDK_IS_IGNORED_ERROR),
            )
        self.adopt(sentry_sdk.get_client())
        if find_existing:
            for client in _clients_in_the_process():
                self.adopt(client)
        return self

    def adopt(self, client: Any) -> None:
        """Give an already initialised client a capture transport; a client of pytest-sentry a
        silenced one (unless ``report_test_run``). Under ``passthrough`` a client keeps its own."""
        options = getattr(client, "options", None)
        if self.passthrough or not client.is_active() or not isinstance(options, dict):
            return
        transport = getattr(client, "transport", None)
        if isinstance(transport, (CaptureTransport, SilencedTransport)) and (
            getattr(transport, "router", self.router) is self.router
        ):
            return
        if reports_the_test_run(getattr(client, "integrations", None)):
            self.test_run_reporters += 1
            if not self.report_test_run:
                client.transport = SilencedTransport(options)
                if transport is not None:
                    transport.kill()
            return
        client.transport = CaptureTransport(options, self.router, dict(options))
        wrap_callbacks(options, self.router)
        if transport is not None and not isinstance(transport, CaptureTransport):
            transport.kill()

    def uninstall(self) -> None:
        """Undo :meth:`install`, restoring exactly what was there before."""
        while self._saved:
            owner, name, value = self._saved.pop()
            setattr(owner, name, value)


def _feeding(transport: Any, capture: CaptureTransport) -> Any:
    """``transport``, which also hands each envelope (and lost event) to ``capture`` first."""
    send, lose = transport.capture_envelope, transport.record_lost_event

    def capture_envelope(envelope: Any) -> None:
        capture.capture_envelope(envelope)
        send(envelope)

    def record_lost_event(*args: Any, **kwargs: Any) -> None:
        capture.record_lost_event(*args, **kwargs)
        lose(*args, **kwargs)

    transport.capture_envelope = capture_envelope
    transport.record_lost_event = record_lost_event
    return transport


def _clients_in_the_process() -> list[Any]:
    """Every SDK client alive in the process (one walk of the garbage collector's objects: done
    once, when the SDK was imported before the plugin could patch it)."""
    import gc

    client_class = sentry_sdk.client._Client
    # type(), not isinstance(): isinstance reads __class__, which a lazy proxy (Django's
    # settings) answers by setting itself up, raising when nothing configured it yet
    return [obj for obj in gc.get_objects() if issubclass(type(obj), client_class)]


@contextlib.contextmanager
def overridden(options: dict[str, Any], overrides: Mapping[str, Any], router: Router) -> Iterator[None]:
    """Set ``overrides`` on a live client's options for the duration of a generator."""
    from .data_collection import resolved_overrides

    overrides = resolved_overrides(options, overrides)
    missing = object()
    saved = {key: options.get(key, missing) for key in overrides}
    options.update(overrides)
    wrap_callbacks(options, router)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is missing:
                options.pop(key, None)
            else:
                options[key] = value


_installations: list[Installation] = []


def install(
    overrides: Mapping[str, Any] | None = None, *, report_test_run: bool = False, find_existing: bool = False
) -> Installation:
    """Route everything the SDK sends into a new :class:`Router` (nestable; undo with
    :func:`uninstall`). ``find_existing``: the SDK was imported before the plugin could patch it
    (by pytest-sentry, say): the first installation of the process finds the clients made since."""
    installation = Installation(Router(), overrides, report_test_run=report_test_run).install(
        find_existing=find_existing and not _installations
    )
    _installations.append(installation)
    return installation


def uninstall(installation: Installation) -> None:
    """Undo :func:`install` (and any installation made after it)."""
    while installation in _installations:
        _installations.pop().uninstall()


def current_installation() -> Installation | None:
    return _installations[-1] if _installations else None
