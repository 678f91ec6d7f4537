"""What the SDK did instead of sending: the things it dropped, the exceptions it swallowed.

Made only when that happens (most tests never see either), so this module is imported then.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sentry_sdk.envelope import Envelope, Item

__all__ = ["Dropped", "SdkError", "find_unserializable", "lost_event_records", "serialization_error"]

_UNSERIALIZABLE = (
    "the envelope could not be serialized, so in production the transport drops it and nothing reaches Sentry"
)


@dataclass(frozen=True)
class Dropped:
    """One thing the SDK decided not to send, as a client report would count it.

    ``reason`` is the SDK's discard reason (``before_send``, ``sample_rate``,
    ``event_processor``, ``callback_error``, ...); ``category`` its data category
    (``error``, ``transaction``, ``span``, ``log_item``, ...). ``reported`` is false for
    drops the SDK makes without a client report (``ignore_errors``), which the plugin
    observes itself.
    """

    #: the criteria of ``sentry_events.dropped`` queries (see the records' ``__criteria__``)
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType(
        {"reason": ("exact", "reason"), "category": ("exact", "category")}
    )

    reason: str
    category: str
    quantity: int = 1
    reported: bool = True


def lost_event_records(
    reason: str, data_category: str | None, item: Item | None, quantity: int
) -> list[Dropped]:
    """The records of one ``Transport.record_lost_event`` call, counted as sentry-sdk's HTTP
    transport counts them for its client reports (a transaction's spans, a log's bytes, ...)."""
    records: list[Dropped] = []
    if item is not None:
        data_category = item.data_category
        quantity = 1
        if data_category == "transaction":
            event = item.get_transaction_event() or {}
            records.append(Dropped(reason, "span", len(event.get("spans") or []) + 1))
        elif data_category in ("span", "log_item", "trace_metric"):
            count = item.headers.get("item_count")
            if isinstance(count, int) and count > 0:
                quantity = count
            if data_category == "log_item":
                records.append(Dropped(reason, "log_byte", len(item.get_bytes())))
            elif data_category == "trace_metric":
                records.append(Dropped(reason, "trace_metric_byte", len(item.get_bytes())))
        elif data_category == "attachment":
            quantity = len(item.get_bytes()) or 1
    records.append(Dropped(reason, str(data_category or "default"), quantity))
    return records


@dataclass(frozen=True)
class SdkError:
    """An exception the SDK swallowed: raised by an application callback, or by serialization.

    ``source`` names the option whose callback raised (``before_send``, ``traces_sampler``, ...)
    or ``serialization`` when an envelope could not be turned into bytes; ``consequence``
    says what the SDK did about it; ``location`` is where in the payload serialization failed.
    """

    source: str
    exception: BaseException
    consequence: str
    callback: str = ""
    location: str = ""
    traceback_lines: tuple[str, ...] = ()

    @classmethod
    def from_exception(
        cls,
        source: str,
        exception: BaseException,
        consequence: str,
        *,
        skip_frames: int = 0,
        **details: str,
    ) -> SdkError:
        """Snapshot ``exception`` with its traceback as it is now, less its first frames."""
        tb = exception.__traceback__
        for _ in range(skip_frames):
            tb = tb.tb_next if tb is not None else None
        lines = traceback.format_exception(type(exception), exception, tb, chain=False)
        return cls(
            source,
            exception,
            consequence,
            traceback_lines=tuple("".join(lines).splitlines()),
            **details,
        )

    @property
    def exception_type(self) -> str:
        """Qualified name of the exception class."""
        exc_type = type(self.exception)
        module = exc_type.__module__
        return exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}"


def serialization_error(envelope: Envelope, exc: Exception) -> SdkError:
    """The record of an envelope the SDK could not serialize, with where its payload went wrong."""
    where = ""
    for item in envelope.items:
        payload = item.payload.json
        if payload is not None:
            path = find_unserializable(payload)
            if path is not None:
                where = f"{item.type}.{path}" if path else str(item.type)
                break
    return SdkError.from_exception("serialization", exc, _UNSERIALIZABLE, location=where)


def find_unserializable(value: Any, max_depth: int = 200) -> str | None:
    """Path (dotted, Sentry selector style) of the first value ``json`` cannot encode; keys
    holding a secret are masked."""
    from pytest_sentry_check._model.items import key_text

    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, node, depth = stack.pop()
        if depth > max_depth:
            return path
        if isinstance(node, float) and not math.isfinite(node):
            return path
        if isinstance(node, dict):
            children = []
            for key, child in node.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    return _join(path, _shown_key(_safe_repr(key)))
                children.append((_join(path, _shown_key(key_text(key))), child, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(node, (list, tuple)):
            stack.extend(
                (_join(path, str(i)), child, depth + 1) for i, child in reversed(list(enumerate(node)))
            )
        elif not isinstance(node, (str, int, float, bool)) and node is not None:
            return path
    return None


def _shown_key(key: str) -> str:
    """A key as an error message shows it: a secret used as a key is masked."""
    from pytest_sentry_check._masking import mask_secrets

    return mask_secrets(key)


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
