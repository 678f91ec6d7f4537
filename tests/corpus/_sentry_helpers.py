"""The corpus apps' shared Sentry module, written the way the services in the seeds write theirs
(a ``shared/utils/sentry.py``): one ``init_sentry(service)``, a ``before_send`` that scrubs
sensitive keys and drops health checks, and helpers for users, request context, breadcrumbs,
captures with tags and context, and traced functions.

``init_sentry(..., planted=True)`` is the same service before anyone wrote its scrubbing:
``send_default_pii=True`` and no ``before_send``, so whatever the app puts in an event leaves
the process (the planted corpus measures that the scanner sees it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

# A DSN of the production shape: its public key is a user name in a URL, which no rule may flag.
DSN = "https://3f1c2a9d8e7b4c5a@o450123.ingest.us.sentry.io/4506789"
# What the seeds' before_send functions filter: headers, then body and query keys.
SENSITIVE_HEADERS = ("authorization", "cookie", "x-api-key", "x-auth-token")
SENSITIVE_KEYS = ("password", "token", "secret", "api_key", "credentials", "private_key", "otp", "pin")
HEALTH_PATHS = ("/health", "/healthz", "/ready")
FILTERED = "[Filtered]"

# what a careful scrubber leaves alone: the names of settings and counters
_SETTINGS = ("_tokens", "_count", "_type", "_method", "_ttl", "_policy", "_length", "_algorithm", "_store")

F = TypeVar("F", bound=Callable[..., Any])


def _sensitive(key: object) -> bool:
    name = str(key).lower()
    if name.endswith(_SETTINGS):
        return False  # settings and counters: max_tokens, token_type, auth_method
    return name in SENSITIVE_HEADERS or any(term in name for term in SENSITIVE_KEYS)


def scrub(data: Any) -> Any:
    """Values under sensitive keys replaced by ``[Filtered]``, at any depth."""
    if isinstance(data, Mapping):
        return {k: FILTERED if _sensitive(k) and v not in (None, "") else scrub(v) for k, v in data.items()}
    if isinstance(data, list):
        if len(data) == 2 and isinstance(data[0], str) and _sensitive(data[0].strip("b'\"")):
            return [data[0], FILTERED]  # a header pair of an ASGI scope: [b'authorization', b'...']
        return [scrub(v) for v in data]
    return data


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """Drop health checks; scrub the request, extra, contexts and frame variables (seed 004's filter)."""
    request = event.get("request") or {}
    if any(str(request.get("url", "")).endswith(path) for path in HEALTH_PATHS):
        return None
    for part in ("headers", "data", "cookies"):
        if part in request:
            request[part] = scrub(request[part])
    query = request.get("query_string") or ""
    if any(term in query for term in SENSITIVE_KEYS):
        request["query_string"] = FILTERED
    for part in ("extra", "contexts"):
        if part in event:
            event[part] = scrub(event[part])
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            if "vars" in frame:
                frame["vars"] = scrub(frame["vars"])
    return event


def before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("transaction") in HEALTH_PATHS:
        return None
    return before_send(event, hint)


def init_sentry(
    service: str,
    version: str,
    *,
    planted: bool = False,
    pii: bool = False,
    scrubber: Literal["before_send", "event_scrubber"] = "before_send",
    **options: Any,
) -> None:
    """The service's one call at start-up (in its lifespan or its worker's main).

    ``pii``: with ``send_default_pii=True`` (what a development deployment often has);
    ``scrubber``: a hand-written ``before_send`` (seeds 000, 004) or the SDK's ``EventScrubber``,
    recursive, with more names (seed 001).
    """
    scrubbing: dict[str, Any] = {}
    if planted:
        pass
    elif scrubber == "event_scrubber":
        names = [*DEFAULT_DENYLIST, "x-api-key", "client_secret", "refresh_token"]
        scrubbing["event_scrubber"] = EventScrubber(denylist=names, recursive=True, send_default_pii=pii)
    else:
        scrubbing = {"before_send": before_send, "before_send_transaction": before_send_transaction}
    sentry_sdk.init(
        dsn=DSN,
        environment="staging",
        # a release with the commit: 40 hex digits that no rule may take for a key
        release=f"{service}@{version}+8f2c1d9e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
        traces_sample_rate=1.0,
        enable_logs=True,
        send_default_pii=planted or pii,
        max_breadcrumbs=50,
        integrations=[
            StarletteIntegration(transaction_style="endpoint"),
            FastApiIntegration(transaction_style="endpoint"),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        **scrubbing,
        **options,
    )
    sentry_sdk.set_tag("service", service)


def set_user_context(user_id: str, username: str | None = None, **extra: Any) -> None:
    user = {"id": user_id, **extra}
    if username:
        user["username"] = username
    sentry_sdk.set_user(user)


def set_request_context(request_id: str, endpoint: str, method: str) -> None:
    sentry_sdk.set_context(
        "request_context", {"request_id": request_id, "endpoint": endpoint, "method": method}
    )


def add_breadcrumb(message: str, category: str = "app", level: str = "info", **data: Any) -> None:
    sentry_sdk.add_breadcrumb(message=message, category=category, level=level, data=data or None)


def capture_exception(
    error: BaseException, *, context: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None
) -> str | None:
    """Capture with the caller's tags and a ``custom`` context (seed 000's helper)."""
    with sentry_sdk.new_scope() as scope:
        for name, value in (tags or {}).items():
            scope.set_tag(name, value)
        if context:
            scope.set_context("custom", dict(context))
        return sentry_sdk.capture_exception(error)


def capture_message(message: str, level: str = "info", **tags: str) -> str | None:
    with sentry_sdk.new_scope() as scope:
        for name, value in tags.items():
            scope.set_tag(name, value)
        return sentry_sdk.capture_message(message, level=level)  # type: ignore[arg-type]


def trace_function(operation: str) -> Callable[[F], F]:
    """A span around each call of the decorated function, named after it."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with sentry_sdk.start_span(op=operation, name=func.__qualname__):
                return func(*args, **kwargs)

        return traced  # type: ignore[return-value]

    return decorate


@contextmanager
def job_scope(name: str, **tags: str) -> Iterator[sentry_sdk.Scope]:
    """What a worker's job wrapper or a service's middleware sets, in the job's own scope."""
    with sentry_sdk.isolation_scope() as scope:
        scope.set_tag("job", name)
        for tag, value in tags.items():
            scope.set_tag(tag, value)
        yield scope
