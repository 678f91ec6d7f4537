"""Why a framework's test client gave no transaction: lines for the transactions' miss message.

sentry-sdk starts Django's transaction (and attaches the request) in Django's ``WSGIHandler``
and ``ASGIHandler``; ``django.test.Client`` calls the handler stack below them, so a test that
queries transactions after using it finds none. The evidence, strongest first: error events
that came through Django (exception mechanism ``django``) without a request URL; else an active
DjangoIntegration in a process whose Django settings are configured.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import sentry_sdk

from pytest_sentry_check._docs import doc_url
from pytest_sentry_check._model.records import Event

from .collections import count_of

__all__ = ["no_transaction_hints"]

_DJANGO_DOCS = doc_url("how-to/recipes/django.md")


def _through_the_django_test_client(event: Event) -> bool:
    mechanisms = {(value.get("mechanism") or {}).get("type") for value in event.exceptions}
    return "django" in mechanisms and not (event.request or {}).get("url")


def _django_is_set_up() -> bool:
    conf = sys.modules.get("django.conf")
    settings = getattr(conf, "settings", None)
    if not getattr(settings, "configured", False):
        return False
    return sentry_sdk.get_client().get_integration("django") is not None


def no_transaction_hints(events: Sequence[Event]) -> list[str]:
    """What to do when a test captured no transaction, where a framework explains why."""
    through_client = [event for event in events if _through_the_django_test_client(event)]
    if through_client:
        lines = [
            f"The {count_of(len(through_client), Event)} came through Django without a request "
            "URL: django.test.Client (pytest-django's `client`) calls Django below its "
            "WSGIHandler, where sentry-sdk starts the transaction and attaches the request, so "
            "its requests give no transaction."
        ]
    elif _django_is_set_up():
        lines = [
            "The Django integration is active: if this test's requests went through "
            "django.test.Client (pytest-django's `client`), they give no transaction, because "
            "sentry-sdk starts it in Django's WSGIHandler, which the test client does not call."
        ]
    else:
        return []
    lines.append(
        "Serve the app with pytest-django's `live_server` (the real WSGI handler) and wait for "
        f"the transaction with sentry_events.transactions.wait_for(...). See {_DJANGO_DOCS}"
    )
    return lines
