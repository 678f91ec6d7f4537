"""Per-test options: the ``sentry_check`` marker's keywords, merged closest-first over the ini."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = [
    "FAIL_ON_LEVELS",
    "GATE_MODES",
    "SDK_ERROR_MODES",
    "CheckOptions",
    "merge_markers",
    "parse_option_lines",
    "validate_allow",
    "validate_client_options",
]

SDK_ERROR_MODES = ("fail", "warn", "ignore")
GATE_MODES = ("fail", "warn", "off")
#: The gate's fail-on thresholds: the severities, most severe first (``_scan.finding.SEVERITIES``,
#: spelled out here so that pytest's start-up does not import the scanner).
FAIL_ON_LEVELS = ("critical", "high", "medium", "low")


class CheckOptions:
    """What ``@pytest.mark.sentry_check(...)`` can set (keyword-only).

    Attributes:
        capture: ``False`` opts the test out: nothing is captured or isolated for it
            (the SDK still sends nothing out of the process).
        options: client options applied on top of the application's ``sentry_sdk.init``
            options, e.g. ``{"traces_sample_rate": 1.0}``.
        sdk_errors: what to do when the SDK swallowed an exception from the application's
            callbacks or from serialization: ``"fail"`` the test, ``"warn"``, or ``"ignore"``.
        gate: the leak gate for this test: ``"fail"``, ``"warn"`` or ``"off"``.
        fail_on: the least severe finding that fails this test when ``gate`` is ``"fail"``:
            ``"critical"``, ``"high"`` (the default of the ini ``sentry_fail_on``), ``"medium"``
            or ``"low"``. Findings below it are reported as warnings.
        allow: rule ids or path globs of intended findings; unlike the other keys, the entries
            of every marker level and of the ini ``sentry_allow`` add up.
        strict: ``True`` fails the test when the application sent an error or message event
            that no query of ``sentry_events`` returned (``one``, ``first``, ``filter``,
            ``wait_for``); the ini ``sentry_strict`` sets it for the suite.
        passthrough: ``True`` lets the clients made during the test keep the transport the SDK
            or the application gives them (a suite's own test transport, say), and Spotlight:
            what they send is not captured; the ini ``sentry_passthrough`` sets it for the suite.
    """

    # A plain class: a dataclass would compile its methods when pytest loads the plugin.
    __slots__ = ("allow", "capture", "fail_on", "gate", "options", "passthrough", "sdk_errors", "strict")

    def __init__(
        self,
        *,
        capture: bool = True,
        options: Mapping[str, Any] | None = None,
        sdk_errors: Literal["fail", "warn", "ignore"] = "fail",
        gate: Literal["fail", "warn", "off"] = "fail",
        allow: Iterable[str] = (),
        fail_on: Literal["critical", "high", "medium", "low"] = "high",
        strict: bool = False,
        passthrough: bool = False,
    ):
        __tracebackhide__ = True
        if not isinstance(capture, bool):
            raise TypeError(f"sentry_check(capture=...) takes True or False, not {capture!r}")
        if sdk_errors not in SDK_ERROR_MODES:
            raise TypeError(
                f"sentry_check(sdk_errors=...) takes one of {', '.join(map(repr, SDK_ERROR_MODES))}, "
                f"not {sdk_errors!r}"
            )
        self.capture = capture
        self.options: Mapping[str, Any] = validate_client_options(options or {}, "sentry_check(options=...)")
        self.sdk_errors = sdk_errors
        if gate not in GATE_MODES:
            raise TypeError(
                f"sentry_check(gate=...) takes one of {', '.join(map(repr, GATE_MODES))}, not {gate!r}"
            )
        self.gate = gate
        if fail_on not in FAIL_ON_LEVELS:
            raise TypeError(
                f"sentry_check(fail_on=...) takes one of {', '.join(map(repr, FAIL_ON_LEVELS))}, "
                f"not {fail_on!r}"
            )
        self.fail_on = fail_on
        self.allow = validate_allow(allow, "sentry_check(allow=...)")
        if not isinstance(strict, bool):
            raise TypeError(f"sentry_check(strict=...) takes True or False, not {strict!r}")
        self.strict = strict
        if not isinstance(passthrough, bool):
            raise TypeError(f"sentry_check(passthrough=...) takes True or False, not {passthrough!r}")
        self.passthrough = passthrough

    def __repr__(self) -> str:
        keys = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in (
                "capture",
                "options",
                "sdk_errors",
                "gate",
                "allow",
                "fail_on",
                "strict",
                "passthrough",
            )
        )
        return f"CheckOptions({keys})"


def validate_allow(entries: Any, where: str) -> tuple[str, ...]:
    """Allow entries (rule ids or path globs) as a tuple, or ``TypeError``."""
    __tracebackhide__ = True
    if isinstance(entries, str) or not isinstance(entries, Iterable):
        raise TypeError(f"{where} takes a list of rule ids or path globs, not {entries!r}")
    checked: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry:
            raise TypeError(f"{where}: each entry is a rule id or a path glob, not {entry!r}")
        checked.append(entry)
    return tuple(checked)


def validate_client_options(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``options`` as a dict, or ``TypeError`` naming an unknown key and what it may have meant."""
    __tracebackhide__ = True
    if not isinstance(options, Mapping):
        raise TypeError(f"{where} takes a dict of sentry_sdk.init options, not {type(options).__name__}")
    if not options:
        return {}
    from sentry_sdk.consts import DEFAULT_OPTIONS  # not at start-up: most runs set no option

    for key in options:
        if key not in DEFAULT_OPTIONS:
            import difflib

            close = difflib.get_close_matches(str(key), list(DEFAULT_OPTIONS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{where}: {key!r} is not a sentry_sdk.init option{hint}")
    return dict(options)


def merge_markers(markers: Iterable[Mapping[str, Any]], base: Mapping[str, Any]) -> CheckOptions:
    """Merge marker keywords closest-first: the closest marker wins key by key (``options`` too)."""
    __tracebackhide__ = True
    merged: dict[str, Any] = {}
    options: dict[str, Any] = {}
    allow: list[str] = []
    for kwargs in markers:
        for key, value in kwargs.items():
            if key == "allow":
                allow.extend(e for e in validate_allow(value, "sentry_check(allow=...)") if e not in allow)
            elif key == "options":
                for name, option in validate_client_options(value, "sentry_check(options=...)").items():
                    options.setdefault(name, option)
            elif key not in merged:
                merged[key] = value
    for name, option in base.get("options", {}).items():
        options.setdefault(name, option)
    for key, value in base.items():
        if key != "options":
            merged.setdefault(key, value)
    allow.extend(e for e in base.get("allow", ()) if e not in allow)
    merged.pop("allow", None)
    known = ("capture", "options", "sdk_errors", "gate", "allow", "fail_on", "strict", "passthrough")
    unknown = [key for key in merged if key not in known]
    if unknown:
        raise TypeError(
            f"@pytest.mark.sentry_check got an unexpected keyword {unknown[0]!r}; "
            f"it takes: {', '.join(known)}"
        )
    return CheckOptions(**merged, options=options, allow=allow)


def parse_option_lines(lines: Iterable[str], where: str) -> dict[str, Any]:
    """``["traces_sample_rate = 1.0", "environment = test"]`` to ``{"traces_sample_rate": 1.0, ...}``.

    Values are Python literals where they parse as one, else strings.
    """
    __tracebackhide__ = True
    options: dict[str, Any] = {}
    for line in lines:
        if not line.strip():
            continue
        key, sep, raw = line.partition("=")
        if not sep:
            raise ValueError(f"{where}: expected 'name = value', got {line!r}")
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        options[key.strip()] = value
    return validate_client_options(options, where)
