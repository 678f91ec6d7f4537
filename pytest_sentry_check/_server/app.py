"""A local Sentry ingest server (FastAPI, served by uvicorn on loopback) with fault injection.

Processes the test process cannot patch (a uvicorn subprocess, a worker, a docker-compose
stack) get :attr:`SentryServer.dsn`. What they send arrives here through sentry-sdk's real
HTTP transport and is handed to ``on_envelope`` (the plugin routes it into the running test;
the CLI writes it to a directory). Needs the ``server`` extra: ``fastapi`` and ``uvicorn``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import math
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .ingest import IngestError, Limits, auth_key, decode_body, event_id_of, parse_body

__all__ = ["DEFAULT_PUBLIC_KEY", "Fault", "SentryServer", "ServerView", "read_timeout_from_setting"]

_DEFAULT_RETRY_AFTER = 60
DEFAULT_PUBLIC_KEY = "5e7c1a2b9d8f4e6a8b0c1d2e3f4a5b6c"
DEFAULT_READ_TIMEOUT = 5.0


def read_timeout_from_setting(value: str | float) -> float:
    """The read timeout a setting gives (``--read-timeout 0.5``, ini ``sentry_server_read_timeout``):
    a positive, finite number of seconds, else ``ValueError`` saying the form."""
    try:
        seconds = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not (0 < seconds < math.inf):
        raise ValueError(f"expected a number of seconds above 0 (such as 5 or 0.5), not {value!r}")
    return seconds


@dataclass(frozen=True)
class Fault:
    """What the server does to one request instead of accepting it."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


def _require_server_extra() -> tuple[Any, Any]:
    try:
        import fastapi
        import uvicorn
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise RuntimeError(
            f"the local Sentry server needs FastAPI and uvicorn ({exc.name} is missing): "
            "pip install 'pytest-sentry-check[server]'"
        ) from None
    return fastapi, uvicorn


class SentryServer:
    """Sentry's ingest endpoints on ``127.0.0.1``, on a free port unless ``port`` is given.

    ``on_envelope(raw, key)`` receives every accepted envelope (decompressed, Sentry's own
    envelope format) and the DSN key it was sent with, on the server's thread, before the
    response is sent. Keys are ``public_key`` and those added with :meth:`add_key`.

    ``limits`` bound what one request may hold (:class:`~.ingest.Limits`). ``read_timeout``
    bounds how long a client may take to send a request: its headers, from the moment it
    connects (or got its previous answer), and then its body. A connection that sends nothing in
    time is closed; one whose body stalls is answered 408 and closed.

    ``on_refused(error)``, if given, receives each :class:`~.ingest.IngestError` the server
    answers with (not the faults it was told to inject), on the server's thread.
    """

    def __init__(
        self,
        on_envelope: Callable[[bytes, str], None],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_key: str = DEFAULT_PUBLIC_KEY,
        project_id: str = "1",
        limits: Limits | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        on_refused: Callable[[IngestError], None] | None = None,
    ):
        if not read_timeout > 0:
            raise ValueError(f"read_timeout must be a positive number of seconds, not {read_timeout!r}")
        self.on_envelope = on_envelope
        self.host = host
        self.port = port
        self.public_key = public_key
        self.project_id = project_id
        self.limits = limits or Limits()
        self.read_timeout = read_timeout
        self.on_refused = on_refused
        self.accepted = 0
        self.rejected = 0
        self._faults: collections.deque[Fault] = collections.deque()
        self._keys: set[str] = {public_key}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._server: Any = None

    # -- the DSN and faults ---------------------------------------------------------------------

    @property
    def dsn(self) -> str:
        """The DSN to hand to another process (``SENTRY_DSN``)."""
        return self.dsn_for(self.public_key)

    def dsn_for(self, key: str) -> str:
        return f"http://{key}@{self.host}:{self.port}/{self.project_id}"

    @property
    def spotlight_url(self) -> str:
        """Spotlight's ``/stream`` on this server (``SENTRY_SPOTLIGHT``): what an SDK sends there
        without a DSN arrives as if sent to :attr:`dsn` (owned by the running test)."""
        return f"http://{self.host}:{self.port}/stream"

    def spotlight_url_for(self, key: str) -> str:
        return f"http://{self.host}:{self.port}/spotlight/{key}/stream"

    def add_key(self, key: str) -> None:
        """Accept ``key`` too (the plugin gives each test its own, to know who sent what)."""
        with self._lock:
            self._keys.add(key)

    def fail_next(
        self,
        status: int = 429,
        *,
        retry_after: float | None = None,
        rate_limits: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and store nothing).

        ``retry_after`` sets ``Retry-After`` in whole seconds, rounded up (60 for a bare 429, as
        Sentry); ``rate_limits`` sets ``X-Sentry-Rate-Limits`` verbatim
        (``"60:error;transaction:organization"``).
        """
        if retry_after is not None and retry_after < 0:
            raise ValueError(f"retry_after must be 0 or more seconds, not {retry_after:g}")
        headers = {}
        if retry_after is None and status == 429 and rate_limits is None:
            retry_after = _DEFAULT_RETRY_AFTER  # Relay always says how long; the SDK assumes 60
        if retry_after is not None:
            # delay-seconds: a whole number (RFC 9110), which is all sentry-sdk parses
            headers["Retry-After"] = str(math.ceil(retry_after))
        if rate_limits is not None:
            headers["X-Sentry-Rate-Limits"] = rate_limits
        self._add(Fault(status=status, headers=headers), times)

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` requests after ``seconds`` (then accept them as usual)."""
        self._add(Fault(delay=seconds), times)

    def reset_next(self, *, times: int = 1) -> None:
        """Reset the connection of the next ``times`` requests (a TCP RST, no response)."""
        self._add(Fault(reset=True), times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # -- the application ------------------------------------------------------------------------

    def app(self) -> Any:
        """The FastAPI application: ``POST /api/{project_id}/envelope/`` and ``.../store/``, and
        Spotlight's ``POST /stream`` (``/spotlight/{key}/stream`` for a key's own)."""
        fastapi, _ = _require_server_extra()
        from fastapi import Request
        from fastapi.responses import JSONResponse, Response

        app = fastapi.FastAPI(
            title="pytest-sentry-check ingest", docs_url=None, redoc_url=None, openapi_url=None
        )

        async def ingest(request: Request, project_id: str, endpoint: str) -> Response:
            fault = self._next_fault()
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.reset:
                _reset(request)
                self.rejected += 1
                return Response(status_code=500)
            if fault is not None and fault.status is not None:
                self.rejected += 1
                return JSONResponse(
                    {"detail": "injected by sentry_server"}, status_code=fault.status, headers=fault.headers
                )
            try:
                raw, key = await self._accept(request, project_id, endpoint)
            except IngestError as exc:
                self.rejected += 1
                if self.on_refused is not None:
                    with contextlib.suppress(Exception):  # a failing log must not change the answer
                        self.on_refused(exc)
                # a body that did not arrive leaves the connection unusable: close it
                close = {"Connection": "close"} if exc.status == 408 else None
                return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=close)
            try:
                self.on_envelope(raw, key)
            except Exception as exc:  # the store failed (a full disk, say): say so, keep serving
                self.rejected += 1
                return JSONResponse({"detail": f"could not store the envelope: {exc}"}, status_code=500)
            self.accepted += 1
            return JSONResponse({"id": event_id_of(raw)})

        # Starlette routes (the request, nothing parsed): the body is read under our limits
        async def envelope(request: Request) -> Response:
            return await ingest(request, request.path_params["project_id"], "envelope")

        async def store(request: Request) -> Response:
            return await ingest(request, request.path_params["project_id"], "store")

        async def stream(request: Request) -> Response:
            # Spotlight's sidecar protocol: no project, no auth; the key (if any) is in the path
            return await ingest(request, "", "stream")

        app.router.add_route("/api/{project_id}/envelope/", envelope, methods=["POST"])
        app.router.add_route("/api/{project_id}/store/", store, methods=["POST"])
        app.router.add_route("/stream", stream, methods=["POST"])
        app.router.add_route("/spotlight/{key}/stream", stream, methods=["POST"])

        return app

    async def _accept(self, request: Any, project_id: str, endpoint: str) -> tuple[bytes, str]:
        if endpoint == "stream":
            key = request.path_params.get("key", "")
            if key and key not in self._keys:
                raise IngestError(404, "unknown Spotlight stream (its key is not this server's)")
            return await self._body(request, "stream"), key
        if project_id != self.project_id:
            raise IngestError(404, f"unknown project {project_id!r} (this server has {self.project_id!r})")
        key = auth_key(request.headers, request.query_params)
        if key is None:
            raise IngestError(401, "missing authorization information (X-Sentry-Auth or sentry_key)")
        if key not in self._keys:
            raise IngestError(401, "unknown public key")
        return await self._body(request, endpoint), key

    async def _body(self, request: Any, endpoint: str) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limits.body:
            raise IngestError(
                413, f"body of {declared} bytes is over the limit of {self.limits.body}", limit="body"
            )
        try:
            body = await asyncio.wait_for(self._read(request), self.read_timeout)
        except asyncio.TimeoutError:
            raise IngestError(
                408, f"the request body did not arrive within {self.read_timeout:g} s", limit="read_timeout"
            ) from None
        # the compressed body is dropped once decoded: only the envelope is held while parsing
        body = decode_body(body, request.headers.get("content-encoding", ""), self.limits)
        content_type = request.headers.get("content-type", "")
        client = request.query_params.get("sentry_client", "")
        return parse_body(body, content_type, endpoint, self.limits, sentry_client=client)

    async def _read(self, request: Any) -> bytes:
        # BytesIO grows in place and hands over its buffer: the body is held once, not twice
        body = io.BytesIO()
        async for chunk in request.stream():
            if body.tell() + len(chunk) > self.limits.body:
                raise IngestError(413, f"body is over the limit of {self.limits.body} bytes", limit="body")
            body.write(chunk)
        return body.getvalue()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> SentryServer:
        """Serve on a background thread; returns once the server accepts connections."""
        _, uvicorn = _require_server_extra()
        # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so, and without
        # it every response waits out the client's delayed ACK (40 ms) between headers and body
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
            http=_timed_protocol(self.read_timeout),
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # not the main thread

        def serve() -> None:
            asyncio.run(self._server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=serve, name="sentry-check-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the local Sentry server did not start on {self.host}:{self.port}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread; idempotent."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> SentryServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _timed_protocol(read_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing a connection whose client sends no request headers within
    ``read_timeout`` of connecting or of its previous answer. uvicorn has no such timeout: its
    keep-alive timer starts only after a first answer, and any byte received cancels it, so a
    client that connects and sends nothing, or drips a header, holds the connection forever.
    The body's own timeout is the application's (:meth:`SentryServer._accept`). Always h11,
    which uvicorn always installs ("auto" would take httptools where it is installed)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):
        _timer: asyncio.TimerHandle | None = None
        _waiting_after: object = None  # the request cycle answered last (None: none yet)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self._start_timer()

        def on_response_complete(self) -> None:
            self._start_timer()  # before h11 starts a pipelined request, which is then in time
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_timer()
            super().connection_lost(exc)

        def _start_timer(self) -> None:
            self._stop_timer()
            self._waiting_after = self.cycle
            self._timer = self.loop.call_later(read_timeout, self._headers_late)

        def _stop_timer(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_late(self) -> None:
            self._timer = None
            if self.cycle is self._waiting_after and not self.transport.is_closing():
                self.transport.close()  # no request began since the timer started

    return TimedH11Protocol


def _reset(request: Any) -> None:
    """Abort the request's connection with a TCP RST. uvicorn's ASGI ``receive`` is a method of
    its request cycle, which holds the asyncio transport; without it, fall back to a 500."""
    transport = getattr(getattr(request.receive, "__self__", None), "transport", None)
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class ServerView:
    """One test's view of the session's server: a DSN key of its own (so what another process
    sends is attributed to the test that gave it the DSN, even when it arrives later), and the
    server's faults."""

    def __init__(self, server: SentryServer, key: str):
        self.server = server
        self.public_key = key

    @property
    def dsn(self) -> str:
        """This test's DSN: hand it to another process (``SENTRY_DSN``)."""
        return self.server.dsn_for(self.public_key)

    @property
    def spotlight_url(self) -> str:
        """This test's Spotlight URL: hand it to another process (``SENTRY_SPOTLIGHT``, or an
        SDK's ``spotlight`` option) to capture what it sends without a DSN."""
        return self.server.spotlight_url_for(self.public_key)

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def project_id(self) -> str:
        return self.server.project_id

    def fail_next(
        self,
        status: int = 429,
        *,
        retry_after: float | None = None,
        rate_limits: str | None = None,
        times: int = 1,
    ) -> None:
        """See :meth:`SentryServer.fail_next`."""
        self.server.fail_next(status, retry_after=retry_after, rate_limits=rate_limits, times=times)

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        """See :meth:`SentryServer.slow_next`."""
        self.server.slow_next(seconds, times=times)

    def reset_next(self, *, times: int = 1) -> None:
        """See :meth:`SentryServer.reset_next`."""
        self.server.reset_next(times=times)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def __repr__(self) -> str:
        return f"<sentry_server {self.host}:{self.port}>"
