"""How to stop a leak: the SDK-side change, and a Relay rule as a second line of defence."""

from __future__ import annotations

import json
from collections.abc import Iterable

from pytest_sentry_check._scan.finding import Finding

__all__ = ["fix_hints", "sdk_has_data_collection", "suggested_fix"]


def _place(path: str) -> str:
    """Where in an event a leak is, as far as fixing it goes."""
    if ".stacktrace.frames." in path and ".vars." in path:
        return "frame locals"
    if path.startswith("breadcrumbs."):
        return "breadcrumbs"
    if path.startswith(("request.", "user.", "extra.", "contexts.", "tags.")):
        return "scope data"
    if path.startswith(("message", "logentry.", "exception.values.")):
        return "message"
    return ""


def sdk_has_data_collection() -> bool:
    """Whether the installed sentry-sdk has the ``data_collection`` option (2.70, the oldest
    supported, has it; 2.75 deprecates ``send_default_pii`` for it); hints name what it has."""
    from sentry_sdk.consts import DEFAULT_OPTIONS

    return "data_collection" in DEFAULT_OPTIONS


# With data_collection set, the SDK ignores include_local_variables: frames follow its
# stack_frame_variables; without it, include_local_variables still decides.
_FRAME_LOCALS_FIX = {
    False: "sentry_sdk.init(include_local_variables=False), or scrub the frames' vars in before_send",
    True: "sentry_sdk.init(include_local_variables=False) (data_collection={'stack_frame_variables': "
    "False} if the app sets data_collection), or scrub the frames' vars in before_send",
}
_FRAME_LOCALS_HINT = {
    False: "Frame locals carry them (send_default_pii=False keeps those): "
    "sentry_sdk.init(include_local_variables=False), or scrub each frame's 'vars' in before_send.",
    True: "Frame locals carry them (sentry-sdk sends them by default): "
    "sentry_sdk.init(include_local_variables=False), or data_collection={'stack_frame_variables': "
    "False} if the app sets data_collection (which overrides include_local_variables), or scrub "
    "each frame's 'vars' in before_send.",
}
_SDK_FIXES = {
    "breadcrumbs": "filter or mask it in before_breadcrumb",
    "message": "do not interpolate the value into the message; mask it in before_send",
    "": "remove or mask it in before_send",
}
_HINTS = {
    "breadcrumbs": "Breadcrumbs carry them: filter them in before_breadcrumb.",
    "scope data": "Scope or request data carries them: remove or mask them in before_send.",
}


def suggested_fix(finding: Finding) -> dict[str, str]:
    """How to stop one leak: the SDK-side change, and a Relay advanced-scrubbing rule for the
    project (a selector over the same place, ``*`` for list indexes) as a second line of defence."""
    path = finding.path
    place = _place(path)
    if place == "scope data":
        sdk = f"remove or mask {path.split('.')[0]} data in before_send (or never set it)"
    elif place == "frame locals":
        sdk = _FRAME_LOCALS_FIX[sdk_has_data_collection()]
    else:
        sdk = _SDK_FIXES[place]
    parts = path.split(".") if path else []
    ends_in_a_list = bool(parts) and parts[-1].isdigit()
    while parts and parts[-1].isdigit():  # Relay's * does not match a final list index; ** does
        parts.pop()
    generic = ".".join("*" if part.isdigit() else part for part in parts)
    selector = f"{generic}.**" if ends_in_a_list and generic else (generic or "**")
    return {
        "sdk": sdk,
        "relay_selector": selector,
        "relay_rule": json.dumps({"applications": {selector: ["@anything:remove"]}}),
    }


def fix_hints(findings: Iterable[Finding]) -> list[str]:
    """What would stop these leaks, by where they are."""
    places = {_place(f.path) for f in findings if f.kind != "validation"}
    hints = [_FRAME_LOCALS_HINT[sdk_has_data_collection()]] if "frame locals" in places else []
    return hints + [hint for place, hint in _HINTS.items() if place in places]
