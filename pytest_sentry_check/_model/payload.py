"""``Payload``: the read-only mapping every record is (factored out of ``records`` so that the
records inside a record, in ``inner``, share it without an import circle)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_sentry_check._masking import shorten

from .item_types import item_type_of_record
from .items import ScanItem

if TYPE_CHECKING:
    from .validation import Problem

__all__ = ["Payload", "dict_or_empty"]


class Payload(Mapping[str, Any]):
    """A read-only mapping over one item's JSON payload, as Sentry would receive it.

    ``record["tags"]``, ``dict(record)`` and ``record.get(...)`` work on the raw data.
    """

    __slots__ = ("_data",)

    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Payload):
            return type(self) is type(other) and self._data == other._data
        if isinstance(other, Mapping):
            return dict(self._data) == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def snapshot(self, *, keep: Iterable[str] = (), drop: Iterable[str] = ()) -> dict[str, Any]:
        """This record normalized for snapshot tests: ids, timestamps, durations, thread ids,
        absolute paths, line numbers outside the app, versions and the server name replaced by
        stable placeholders. ``keep``/``drop`` take path globs. See ``docs/snapshots.md``."""
        from .snapshot import snapshot

        return snapshot(self._data, keep=keep, drop=drop)

    def validate(self) -> list[Problem]:
        """What Sentry would reject or drop in this record (Relay's normalizer and Sentry's
        documented limits); needs the ``relay`` extra. See :func:`pytest_sentry_check.validate`."""
        from .validation import validate

        return validate(self)

    def summary(self) -> str:
        """One short line that tells this record apart from the others."""
        return shorten(dict(self._data), 80)

    def envelope_items(self) -> list[ScanItem]:
        """This record as the envelope item it came in, for ``scan`` and ``validate``."""
        return [ScanItem(item_type_of_record(self).name, dict(self._data))]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.summary()}>"


def dict_or_empty(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one (payloads from other SDKs may differ)."""
    return value if isinstance(value, dict) else {}
