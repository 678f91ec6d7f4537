"""The quality corpus: what the real SDK sends for realistic apps, clean and with planted values.

- **Clean**: each app's ordinary traffic (``traffic()``), under its own configuration; nothing in
  it is a secret or personal data, and much of it looks like one (token counters, auth settings,
  payment ids, digests, placeholders). The scanner must find nothing.
- **Planted**: each rule's value (:data:`SAMPLES`) sent to each place an item carries data
  (:data:`PLACES`), by the real SDK, inside one of the apps (its ``scene()``: the scope its code
  sets), the app's scrubbing switched off. The scanner must find it, by that rule, at that place.

Used by ``tests/corpus/test_*.py`` and ``benchmarks/bench_quality.py`` (which puts this folder on
``sys.path``). Everything is generated on each call: there are no stored event files to go stale.
"""

from __future__ import annotations

import fnmatch
import itertools
import logging
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import _auth_service
import _llm_service
import _payments_api
import _shop_api
import _worker
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pytest_sentry_check import Finding, capture, scan
from pytest_sentry_check._rules.patterns import PATTERN_RULES
from pytest_sentry_check._scan.detectors import DEFAULT_DETECTORS

#: The apps whose traffic makes the clean corpus (the shop API is the project's first corpus).
APPS: tuple[ModuleType, ...] = (_llm_service, _payments_api, _auth_service, _worker, _shop_api)
#: The apps the values are planted in: an LLM/agent service, a payments API, an auth service, a worker.
PLANT_APPS: tuple[ModuleType, ...] = (_llm_service, _payments_api, _auth_service, _worker)
#: The registered secret of the ``canary`` rule (``scan(..., secrets=[CANARY])``).
CANARY = "cnry-7Hq2LmX9vB4w"
#: Every rule the corpus measures: the defaults, and the opt-in ``user-path``.
DETECTORS = (*DEFAULT_DETECTORS, "user-path")


@dataclass(frozen=True)
class Sample:
    """A value of one rule, planted as ``key: value`` where a place has keys.

    ``needs_key``: the rule finds this form only under a key that names it (a bare card number
    under ``card_number``), so it is planted only in places with keys. ``text``: the form for
    places without keys, when it differs (the field rule's: a logged JSON body).
    """

    rule: str
    value: str
    key: str = "note"
    needs_key: bool = False
    text: str | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}[{self.key}]" if self.needs_key else self.rule


# The form of each pattern rule that counts anywhere (its own text gives the context it needs).
_ANYWHERE = {
    "credit-card": "4111 1111 1111 1111",
    "phone-number": "+44 20 7946 0958",
    "national-id": "CPF 120.311.693-43",
    "aws-secret-key": "aws_secret_access_key = 2K6O0GRjz5/fkheUv9AyVjPMr6wywaPsAVXxn6UX",
    "heroku-api-key": "HEROKU_API_KEY=832d2129-a846-4e27-99f4-7004b6ad53ef",
}
SAMPLES: tuple[Sample, ...] = (
    *(Sample(rule.id, _ANYWHERE.get(rule.id, rule.true_positives[0])) for rule in PATTERN_RULES),
    # the forms that count only under a key that names them, as they occur in real payloads
    Sample("credit-card", "4111111111111111", "card_number", needs_key=True),
    Sample("phone-number", "020 7946 0958", "phone", needs_key=True),
    Sample("national-id", "85061576134", "national_id", needs_key=True),
    Sample(
        "aws-secret-key", "pHFSwPYGXg0D9Hs2yksUxzur5WXPydhFs5Ig7KQh", "aws_secret_access_key", needs_key=True
    ),
    Sample("imei", "490154203237518", "device_imei", needs_key=True),
    Sample(
        "field", "Tr0ub4dor&3", "db_password", text='{"user": "svc-billing", "db_password": "Tr0ub4dor&3"}'
    ),
    Sample("canary", CANARY),
    Sample("user-path", "/home/ana/src/billing/jobs.py"),
)


# -- places --------------------------------------------------------------------------------


@dataclass
class Stage:
    """Where a value is planted: an app, and its HTTP client when it is a service."""

    app: ModuleType
    client: TestClient | None = None

    def request(self, method: str, target: str = "unknown", **kwargs: Any) -> None:
        assert self.client is not None, f"{self.app.NAME} has no HTTP routes"
        self.client.request(method, self.app.PLANT_ROUTE.format(target), **kwargs)


def _captured(exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        sentry_sdk.capture_exception()


def _message(text: str = "input rejected") -> None:
    sentry_sdk.capture_message(text, level="warning")


def _in_span(key: str | None, value: str, name: str = "process input", op: str = "function") -> None:
    """A span in a transaction; a ``gen_ai.*`` span is sent as an item of its own (span v2)."""
    with (
        sentry_sdk.start_transaction(name="tasks.process_input", op="queue.task"),
        sentry_sdk.start_span(op=op, name=name) as span,
    ):
        if key is not None:
            span.set_data(key, value)


def _transaction_named(value: str) -> None:
    with (
        sentry_sdk.start_transaction(name=f"tasks.process {value}", op="queue.task"),
        sentry_sdk.start_span(op="db.query", name="SELECT 1"),
    ):
        pass


def _frame_locals(stage: Stage, key: str, value: str) -> None:
    if stage.client is not None:  # a service: the request's JSON body, read into a local
        stage.request("POST", json={key: value})
        return
    payload = {"invoice_id": "inv_000042", key: value}
    try:
        raise RuntimeError(f"job failed with {len(payload)} fields")
    except RuntimeError:
        sentry_sdk.capture_exception()


def _frame_path(stage: Stage, key: str, value: str) -> None:
    """Code run from a checkout in a home folder: the SDK sends its file name in every frame."""
    code = compile("def job():\n    raise RuntimeError('job failed')\n", value, "exec")
    scope: dict[str, Any] = {}
    exec(code, scope)
    try:
        scope["job"]()
    except RuntimeError:
        sentry_sdk.capture_exception()


@dataclass(frozen=True)
class Place:
    """A place an item carries data: how to send ``(key, value)`` there, and the paths where the
    scanner must then report it (``fnmatch`` globs, ``{key}`` filled in)."""

    name: str
    send: Callable[[Stage, str, str], None]
    paths: tuple[str, ...]
    keyed: bool = True
    request: bool = False

    def expects(self, path: str, key: str) -> bool:
        return any(fnmatch.fnmatchcase(path, glob.format(key=key)) for glob in self.paths)


def _header(key: str) -> str:
    return "x-" + key.replace("_", "-")


PLACES: tuple[Place, ...] = (
    Place("exception-value", lambda s, k, v: _captured(ValueError(f"rejected input: {v}")),
          ("exception.values.*.value",), keyed=False),
    Place("message", lambda s, k, v: _message(f"unexpected input: {v}"), ("message",), keyed=False),
    Place("logging-message", lambda s, k, v: logging.getLogger(s.app.NAME).error("could not process %s", v),
          ("logentry.params.*", "logentry.formatted"), keyed=False),
    Place("tags", lambda s, k, v: (sentry_sdk.set_tag(k, v), _message()), ("tags.{key}",)),
    Place("contexts", lambda s, k, v: (sentry_sdk.set_context("input", {k: v}), _message()),
          ("contexts.input.{key}",)),
    Place("extra", lambda s, k, v: (sentry_sdk.set_extra(k, v), _message()), ("extra.{key}",)),
    Place("breadcrumb-message", lambda s, k, v: (sentry_sdk.add_breadcrumb(message=f"received {v}"), _message()),
          ("breadcrumbs.values.*.message",), keyed=False),
    Place("breadcrumb-data",
          lambda s, k, v: (sentry_sdk.add_breadcrumb(message="received input", data={k: v}), _message()),
          ("breadcrumbs.values.*.data.{key}",)),
    Place("frame-locals", _frame_locals, ("exception.values.*.stacktrace.frames.*.vars.*.{key}",)),
    Place("span-description", lambda s, k, v: _in_span(None, v, name=f"notify {v}"), ("spans.*.description",),
          keyed=False),
    Place("span-data", lambda s, k, v: _in_span(k, v), ("spans.*.data.{key}",)),
    Place("ai-span-name", lambda s, k, v: _in_span(None, v, name=f"chat {v}", op="gen_ai.chat"),
          ("items.*.name",), keyed=False),
    Place("ai-span-attributes", lambda s, k, v: _in_span(k, v, op="gen_ai.chat"),
          ("items.*.attributes.{key}.value",)),
    Place("transaction-name", lambda s, k, v: _transaction_named(v), ("transaction",), keyed=False),
    Place("log-body", lambda s, k, v: sentry_sdk.logger.info(f"processed {v}"), ("items.*.body",), keyed=False),
    Place("log-attributes", lambda s, k, v: sentry_sdk.logger.info("input processed", attributes={k: v}),
          ("items.*.attributes.{key}.value",)),
    Place("user", lambda s, k, v: (sentry_sdk.set_user({"id": "usr_2042", k: v}), _message()), ("user.{key}",)),
    Place("request-headers", lambda s, k, v: s.request("POST", headers={_header(k): v}),
          ("request.headers.x-*",), request=True),
    Place("request-body", lambda s, k, v: s.request("POST", json={k: v}), ("request.data.{key}",), request=True),
    Place("request-query", lambda s, k, v: s.request("POST", params={k: v}), ("request.query_string",),
          request=True),
    Place("request-url", lambda s, k, v: s.request("POST", urllib.parse.quote(v, safe="")), ("request.url",),
          keyed=False, request=True),
    Place("request-cookies", lambda s, k, v: s.request("POST", headers={"Cookie": f"{k}={urllib.parse.quote(v)}"}),
          ("request.cookies.{key}",), request=True),
    Place("frame-paths", _frame_path, ("exception.values.*.stacktrace.frames.*.abs_path",), keyed=False),
)  # fmt: skip


#: (sample id, place) pairs that cannot carry the value, and why: documented, not planted.
CANNOT_CARRY: dict[tuple[str, str], str] = {
    ("field", "request-url"): "a URL's path has no names; a password in a URL is url-password's",
}
#: (sample id, place) pairs the scanner misses today, and why (strict xfails in the tests, misses
#: in the benchmark's table). Empty since the query-string misses were fixed (session 7): a
#: query's parameters are read by name, and a value's decoded "&" stays in its value.
KNOWN_MISSES: dict[tuple[str, str], str] = {}
#: Only ``user-path`` reads frame file names, and it reads nothing else.
_ONLY_USER_PATH = "frame-paths"


def plantings() -> Iterator[tuple[Sample, Place]]:
    """Every (sample, place) pair the planted corpus holds."""
    for sample, place in itertools.product(SAMPLES, PLACES):
        if (sample.rule == "user-path") != (place.name == _ONLY_USER_PATH):
            continue
        if sample.needs_key and not place.keyed:
            continue
        if (sample.rule, place.name) in CANNOT_CARRY or (sample.id, place.name) in CANNOT_CARRY:
            continue
        yield sample, place


# -- generation -------------------------------------------------------------------------------


@dataclass
class Planted:
    """One value sent to one place by one app, the bytes the SDK produced, and what was found."""

    sample: Sample
    place: Place
    app: str
    envelopes: list[bytes]
    findings: list[Finding] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.sample.id}-{self.place.name}"

    @property
    def found(self) -> bool:
        """The rule reported the value at the place it was planted."""
        return any(
            f.rule == self.sample.rule and self.place.expects(f.path, self.sample.key) for f in self.findings
        )


@dataclass
class Corpus:
    """A generated corpus: its envelopes (as Sentry would receive them), by app."""

    envelopes: dict[str, list[bytes]] = field(default_factory=dict)

    @property
    def raw(self) -> list[bytes]:
        return [raw for envelopes in self.envelopes.values() for raw in envelopes]


def _clients(app: ModuleType) -> Iterator[TestClient | None]:
    """The app's HTTP client (none for the worker). The app is built after ``init()``, as a
    service's ``create_app()`` does: the SDK's FastAPI integration wraps the handlers of the
    routes added once it is set up (routes made before leave the request body and cookies out)."""
    if not hasattr(app, "ROUTES"):
        yield None
        return
    service = FastAPI(title=app.TITLE)
    for middleware in getattr(app, "MIDDLEWARE", ()):
        service.middleware("http")(middleware)
    for method, path, handler in app.ROUTES:
        service.add_api_route(path, handler, methods=[method])
    with TestClient(service, raise_server_exceptions=False) as client:
        yield client


def clean_corpus() -> Corpus:
    """Every app's ordinary traffic, under each configuration it runs with."""
    corpus = Corpus()
    for app in APPS:
        with capture() as events:
            for pii in app.CLEAN_PII:
                app.init(pii=pii)
                for client in _clients(app):
                    app.traffic(client)
                sentry_sdk.flush()
            assert not events.sdk_errors, f"{app.NAME}: {events.sdk_errors}"
            corpus.envelopes[app.NAME] = events.raw_envelopes
    return corpus


def planted_corpus(selected: Sequence[tuple[Sample, Place]] | None = None) -> list[Planted]:
    """Each (sample, place) sent by one of :data:`PLANT_APPS` (in turn among those that have the
    place) and scanned with every default rule and the canary registered (and ``user-path``
    where it is planted)."""
    pairs = list(plantings()) if selected is None else list(selected)
    results: list[Planted] = []
    for app in PLANT_APPS:
        mine = [(sample, place) for index, (sample, place) in enumerate(pairs) if _host(place, index) is app]
        if not mine:
            continue
        app.init(planted=True)
        for client in _clients(app):
            stage = Stage(app, client)
            for sample, place in mine:
                value = sample.value if place.keyed else (sample.text or sample.value)
                with capture() as events:
                    with app.scene():
                        place.send(stage, sample.key, value)
                    sentry_sdk.flush()
                    raw = events.raw_envelopes
                results.append(Planted(sample, place, app.NAME, raw))
    for planted in results:
        # user-path walks every item it is given (no trigger): only where it is planted
        detectors = DETECTORS if planted.sample.rule == "user-path" else DEFAULT_DETECTORS
        planted.findings = scan(planted.envelopes, secrets=(CANARY,), detectors=detectors)
    return results


def _host(place: Place, index: int) -> ModuleType:
    """The app a pair is planted in: the apps that have the place, in turn."""
    hosts = [app for app in PLANT_APPS if app.PLANT_ROUTE is not None or not place.request]
    return hosts[index % len(hosts)]
