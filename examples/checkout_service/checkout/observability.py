"""Everything the service does with Sentry, in one module (as the teams we serve write it)."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from .settings import load_settings

F = TypeVar("F", bound=Callable[..., Any])

SENSITIVE_HEADERS = {"authorization", "cookie", "x-api-key", "x-auth-token"}
SENSITIVE_BODY_KEYS = {"password", "token", "secret", "api_key", "card_number"}
SENSITIVE_QUERY = re.compile(r"(?i)\b(token|api_key|key|secret)=[^&]*")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
HEALTH_PATHS = ("/health", "/ready")


class PaymentDeclined(Exception):
    """A business error: reported as a warning, with the order in context."""


class ClientDisconnected(Exception):
    """Not a bug: ignored (ignore_errors)."""


def mask_email(text: str) -> str:
    return EMAIL.sub("[email]", text)


def scrub(event: dict[str, Any]) -> dict[str, Any]:
    """Filter credentials from the request and mask emails: for errors and transactions alike."""
    request = event.get("request") or {}
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in SENSITIVE_HEADERS:
            headers[name] = "[Filtered]"
    query = request.get("query_string")
    if query:  # None for requests without a query string
        request["query_string"] = SENSITIVE_QUERY.sub(lambda m: f"{m.group(1)}=[Filtered]", query)
    body = request.get("data")
    if isinstance(body, dict):
        for key in body:
            if key.lower() in SENSITIVE_BODY_KEYS:
                body[key] = "[Filtered]"
    user = event.get("user") or {}
    if "email" in user:
        user["email"] = mask_email(str(user["email"]))
    for exception in (event.get("exception") or {}).get("values") or []:
        if exception.get("value"):
            exception["value"] = mask_email(exception["value"])
    return event


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    return scrub(event)


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    url = (crumb.get("data") or {}).get("url", "")
    if any(url.endswith(path) for path in HEALTH_PATHS):
        return None
    if crumb.get("message"):
        crumb["message"] = mask_email(crumb["message"])
    return crumb


def before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    # Match the URL, not the transaction name: with transaction_style="endpoint" the name is
    # "checkout.app.health", so comparing it with "/health" would never drop anything.
    url = str((event.get("request") or {}).get("url", ""))
    if url.endswith(HEALTH_PATHS):
        return None
    return scrub(event)


def init_sentry(service_name: str) -> None:
    """Called once, in the app's lifespan."""
    settings = load_settings()
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        release=f"{service_name}@{settings.version}",
        traces_sample_rate=settings.traces_sample_rate,
        profiles_sample_rate=settings.profiles_sample_rate,
        send_default_pii=False,
        # Frame locals hold the raw request (headers as byte pairs, the JSON body): no
        # before_send can find every secret in them, so they are not sent at all.
        include_local_variables=False,
        max_breadcrumbs=50,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        before_send_transaction=before_send_transaction,
        ignore_errors=[ClientDisconnected],
        integrations=[
            StarletteIntegration(transaction_style="endpoint"),
            FastApiIntegration(transaction_style="endpoint"),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
    )
    # On the global scope: set here, inside the lifespan task, the isolation scope would keep it.
    sentry_sdk.get_global_scope().set_tag("service", service_name)


def capture_exception(
    error: BaseException,
    context: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    level: str = "error",
) -> str | None:
    with sentry_sdk.new_scope() as scope:
        scope.level = level  # type: ignore[assignment]
        for key, value in (tags or {}).items():
            scope.set_tag(key, value)
        if context:
            scope.set_context("details", context)
        return sentry_sdk.capture_exception(error)


def capture_message(message: str, level: str = "info", **tags: str) -> str | None:
    with sentry_sdk.new_scope() as scope:
        for key, value in tags.items():
            scope.set_tag(key, value)
        return sentry_sdk.capture_message(message, level=level)  # type: ignore[arg-type]


def set_user_context(user_id: str, email: str | None = None, plan: str | None = None) -> None:
    user = {"id": user_id, "email": email, "plan": plan}
    sentry_sdk.set_user({key: value for key, value in user.items() if value is not None})


def set_request_context(method: str, path: str, request_id: str) -> None:
    sentry_sdk.set_context("request_info", {"method": method, "path": path, "request_id": request_id})
    sentry_sdk.set_tag("request_id", request_id)


def add_breadcrumb(message: str, category: str = "app", level: str = "info", **data: Any) -> None:
    sentry_sdk.add_breadcrumb(message=message, category=category, level=level, data=data)


def capture_errors(operation: str) -> Callable[[F], F]:
    """Report an exception with the operation as a tag, then re-raise it."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                capture_exception(exc, tags={"operation": operation}, context={"function": func.__name__})
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


def trace_function(op: str) -> Callable[[F], F]:
    """Run the function in a child span named after it."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with sentry_sdk.start_span(op=op, name=func.__qualname__):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@contextmanager
def background_transaction(name: str, op: str = "task") -> Iterator[Any]:
    """A transaction for work outside a request (jobs, consumers)."""
    with sentry_sdk.start_transaction(name=name, op=op) as transaction:
        yield transaction
