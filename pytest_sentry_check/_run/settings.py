"""The plugin's command-line options and ini keys, and the run's settings read from them.

A bad value is a ``pytest.UsageError`` naming the valid ones, before any test runs.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import pytest

from pytest_sentry_check._docs import doc_url

from .options import FAIL_ON_LEVELS, GATE_MODES, SDK_ERROR_MODES, parse_option_lines, validate_allow

if TYPE_CHECKING:
    from pytest_sentry_check._server.ingest import Limits

__all__ = ["Settings", "add_options", "ini_overrides", "report_test_run"]

_SPOTLIGHT_DEFAULT = "http://localhost:8969/stream"  # Spotlight's own default


def add_options(parser: pytest.Parser) -> None:
    """The command-line options and ini keys of the plugin."""
    group = parser.getgroup("sentry-check", "capture what the application sends to Sentry")
    group.addoption(
        "--sentry-sdk-errors",
        dest="sentry_sdk_errors",
        choices=SDK_ERROR_MODES,
        default=None,
        help="when the SDK swallows an exception from the app's callbacks: fail the test "
        "(default), warn, or ignore. Ini: sentry_sdk_errors.",
    )
    group.addoption(
        "--sentry-summary",
        dest="sentry_summary",
        action="store_true",
        default=False,
        help="list what each test sent to Sentry in the terminal summary.",
    )
    group.addoption(
        "--sentry-gate",
        dest="sentry_gate",
        choices=GATE_MODES,
        default=None,
        help="scan everything each test made the app send to Sentry for secrets and personal data: "
        "fail the test and the run (default), warn, or off. Ini: sentry_gate.",
    )
    group.addoption(
        "--sentry-fail-on",
        dest="sentry_fail_on",
        choices=FAIL_ON_LEVELS,
        default=None,
        help="the least severe finding that fails the gate: critical, high (default), medium or "
        "low; findings below it are reported as warnings. Ini: sentry_fail_on.",
    )
    group.addoption(
        "--sentry-validate",
        dest="sentry_validate",
        choices=GATE_MODES,
        default=None,
        help="check every event with Relay's normalizer and Sentry's limits (needs the relay "
        "extra): fail, warn (default when sentry-relay is installed and the gate is on) or off. "
        "Ini: sentry_validate.",
    )
    group.addoption(
        "--sentry-baseline",
        dest="sentry_baseline",
        metavar="PATH",
        default=None,
        help="a baseline file of accepted findings: only findings not in it fail the gate.",
    )
    group.addoption(
        "--sentry-baseline-update",
        dest="sentry_baseline_update",
        action="store_true",
        default=False,
        help="write the findings of the tests that ran to the --sentry-baseline file "
        "(and do not fail on them).",
    )
    group.addoption(
        "--sentry-report",
        dest="sentry_report",
        metavar="PATH",
        default=None,
        help=f"write the gate's findings as JSON (schema: {doc_url('gate.md', 'json-report')}).",
    )
    group.addoption(
        "--sentry-sarif",
        dest="sentry_sarif",
        metavar="PATH",
        default=None,
        help="write the gate's findings as SARIF 2.1.0 (GitHub code scanning).",
    )
    group.addoption(
        "--sentry-html",
        dest="sentry_html",
        metavar="PATH",
        default=None,
        help="write one self-contained HTML page of what each test sent to Sentry and where the "
        "gate's findings are in it (masked). Ini: sentry_html.",
    )
    group.addoption(
        "--sentry-spotlight",
        dest="sentry_spotlight",
        metavar="URL",
        nargs="?",
        const=_SPOTLIGHT_DEFAULT,
        default=None,
        help="forward each test's envelopes, tagged with its node id, to a running Spotlight "
        f"(default {_SPOTLIGHT_DEFAULT}); give a URL as --sentry-spotlight=URL. Ini: sentry_spotlight.",
    )
    parser.addini(
        "sentry_spotlight",
        default="",
        help="a Spotlight URL to forward each test's envelopes to, as --sentry-spotlight=URL.",
    )
    parser.addini(
        "sentry_html",
        default="",
        help="a path (relative to the ini file) for the HTML report of what each test sent to "
        "Sentry and the gate's findings in it, as --sentry-html.",
    )
    parser.addini(
        "sentry_gate",
        default="fail",
        help="fail, warn or off: the leak gate over everything the tests made the app send to Sentry.",
    )
    parser.addini(
        "sentry_strict",
        type="bool",
        default=False,
        help="fail each test whose app sent an error or message event that no query of "
        "sentry_events matched (as @pytest.mark.sentry_check(strict=True)).",
    )
    parser.addini(
        "sentry_fail_on",
        default="high",
        help="critical, high, medium or low: the least severe finding that fails the leak gate "
        "(the others are reported as warnings).",
    )
    parser.addini(
        "sentry_validate",
        default="",
        help="fail, warn or off: check every event with Relay's normalizer and Sentry's limits "
        "(default: warn when sentry-relay is installed and the gate is on, else off).",
    )
    parser.addini(
        "sentry_datascrubbing",
        default="",
        help="a JSON file of the Sentry project's data-scrubbing settings (relative to the ini "
        "file): the default of scan(stage='server') and of the gate's stored_after_relay.",
    )
    parser.addini(
        "sentry_allow",
        type="linelist",
        default=[],
        help="findings the gate allows everywhere: rule ids or path globs, one per line.",
    )
    parser.addini(
        "sentry_options",
        type="linelist",
        default=[],
        help="sentry_sdk.init options applied on top of the application's, one "
        "'name = value' per line (e.g. traces_sample_rate = 1.0).",
    )
    parser.addini(
        "sentry_server_limits",
        type="linelist",
        default=[],
        help="limits of one request to the sentry_server fixture's ingest server, one "
        "'name = value' per line: body and decompressed (sizes: 1048576 or 64MiB), items and "
        "json_values (whole numbers).",
    )
    parser.addini(
        "sentry_server_read_timeout",
        default="",
        help="seconds a client of the sentry_server fixture's ingest server may take to send a "
        "request's headers, then its body (default 5).",
    )
    parser.addini(
        "sentry_passthrough",
        type="bool",
        default=False,
        help="let every client keep the transport the SDK or the application gives it, and "
        "Spotlight: nothing is captured (as @pytest.mark.sentry_check(passthrough=True)).",
    )
    parser.addini(
        "sentry_pytest_sentry",
        default="silence",
        help="silence or report: pytest-sentry's client (it reports the test run to its own DSN) "
        "sends nothing (default), or keeps its own transport.",
    )
    parser.addini(
        "sentry_sdk_errors",
        default="fail",
        help="fail, warn or ignore: what to do when the SDK swallowed an exception from "
        "the app's callbacks (before_send, traces_sampler, ...) or from serialization.",
    )


#: the ini ``sentry_pytest_sentry``'s values: pytest-sentry's client silenced, or reporting
PYTEST_SENTRY_MODES = ("silence", "report")


def report_test_run(config: pytest.Config) -> bool:
    """The ini ``sentry_pytest_sentry``: whether pytest-sentry's client keeps its own transport."""
    return _mode(config, "sentry_pytest_sentry", PYTEST_SENTRY_MODES) == "report"


def ini_overrides(config: pytest.Config) -> dict[str, Any]:
    """The ini ``sentry_options``: client options applied on top of every ``sentry_sdk.init``."""
    try:
        return parse_option_lines(config.getini("sentry_options"), "ini sentry_options")
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None


def _mode(config: pytest.Config, name: str, modes: tuple[str, ...], optional: bool = False) -> str:
    value: str = config.getoption(name, None) or config.getini(name)
    if (value or not optional) and value not in modes:
        raise pytest.UsageError(f"{name} must be one of {', '.join(modes)}, not {value!r}")
    return value


def _server_limits(config: pytest.Config) -> Limits | None:
    """The ini ``sentry_server_limits`` (None when not set: the server module is imported only
    when it is)."""
    lines = [line for line in config.getini("sentry_server_limits") if line.strip()]
    if not lines:
        return None
    from pytest_sentry_check._server.ingest import Limits

    try:
        return Limits.from_settings(lines)
    except ValueError as exc:
        raise pytest.UsageError(f"ini sentry_server_limits: {exc}") from None


def _server_read_timeout(config: pytest.Config) -> float | None:
    value = config.getini("sentry_server_read_timeout")
    if isinstance(value, str) and not value.strip():
        return None
    from pytest_sentry_check._server.app import read_timeout_from_setting

    try:
        return read_timeout_from_setting(value)
    except ValueError as exc:
        raise pytest.UsageError(f"ini sentry_server_read_timeout: {exc}") from None


def _spotlight_url(config: pytest.Config) -> str | None:
    """``--sentry-spotlight[=URL]``, else the ini ``sentry_spotlight``, else None; an http(s) URL."""
    value: str | None = config.getoption("sentry_spotlight", None) or config.getini("sentry_spotlight")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise pytest.UsageError(
            f"--sentry-spotlight: expected an http:// or https:// URL, not {value!r} "
            "(give it as --sentry-spotlight=URL; alone it means "
            f"{_SPOTLIGHT_DEFAULT})"
        )
    return value


def _html_path(config: pytest.Config) -> str | None:
    """``--sentry-html``, else the ini ``sentry_html`` (relative to the ini file), else None."""
    option: str | None = config.getoption("sentry_html", None)
    if option:
        return option
    name = config.getini("sentry_html")
    if not name:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return str(base / name)


class Settings:
    """The ini and command-line settings of a run, checked (read after option parsing).

    ``base`` holds them under the marker's keys: the options of a test without a marker.
    ``server_limits`` and ``server_read_timeout`` are the ``sentry_server`` fixture's (None:
    the server's defaults).
    """

    __slots__ = (
        "base",
        "baseline",
        "baseline_update",
        "html",
        "report",
        "sarif",
        "server_limits",
        "server_read_timeout",
        "spotlight",
        "summary",
        "validate",
    )

    def __init__(self, config: pytest.Config):
        mode = _mode(config, "sentry_sdk_errors", SDK_ERROR_MODES)
        gate = _mode(config, "sentry_gate", GATE_MODES)
        fail_on = _mode(config, "sentry_fail_on", FAIL_ON_LEVELS)
        try:
            allow = validate_allow(config.getini("sentry_allow"), "ini sentry_allow")
        except TypeError as exc:
            raise pytest.UsageError(str(exc)) from None
        validate = _mode(config, "sentry_validate", GATE_MODES, optional=True)
        relay = importlib.util.find_spec("sentry_relay") is not None
        if validate in ("fail", "warn") and not relay:
            raise pytest.UsageError(
                f"sentry_validate={validate} needs Relay's normalizer: "
                "pip install 'pytest-sentry-check[relay]'"
            )
        # with the gate off, nothing is scanned: validating every payload would be its only cost
        self.validate: str = validate or ("warn" if relay and gate != "off" else "off")
        self.base: dict[str, Any] = {
            "sdk_errors": mode,
            "options": ini_overrides(config),
            "gate": gate,
            "allow": allow,
            "fail_on": fail_on,
            "strict": bool(config.getini("sentry_strict")),
            "passthrough": bool(config.getini("sentry_passthrough")),
        }
        self.summary = bool(config.getoption("sentry_summary", False))
        self.baseline: str | None = config.getoption("sentry_baseline", None)
        self.baseline_update = bool(config.getoption("sentry_baseline_update", False))
        self.report: str | None = config.getoption("sentry_report", None)
        self.sarif: str | None = config.getoption("sentry_sarif", None)
        self.html = _html_path(config)
        self.server_limits = _server_limits(config)
        self.server_read_timeout = _server_read_timeout(config)
        self.spotlight = _spotlight_url(config)
