"""Read-only views of Session Replay: a replay and its segments.

The browser (and mobile) SDKs send a replay in segments, each an envelope holding a
``replay_event`` item (the segment's id, the urls visited, the ids of the errors and traces in
it) and a ``replay_recording`` item: a JSON header line (``{"segment_id": N}``), then the
segment's rrweb events as JSON, usually zlib-compressed. A :class:`Replay` joins the segments
of one ``replay_id``; each :class:`ReplaySegment` has its recording decompressed (within
:data:`~.compression.LIMIT`, as the scanner reads it) and parsed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

from pytest_sentry_check._masking import shorten

from .compression import LIMIT, DecompressionError, MiB, decompress_prefix
from .item_types import item_type_of_class
from .items import ScanItem, binary_items, encoding_of, json_of
from .records import Payload, dict_or_empty
from .rrweb import INCREMENTAL_SNAPSHOT, INPUT_SOURCE, elements

__all__ = ["Replay", "ReplaySegment"]

#: An envelope item that belongs to a record: its type, its headers and its payload's bytes.
Part: TypeAlias = "tuple[str, Mapping[str, Any], bytes]"


def _recording(data: bytes, headers: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any], str]:
    """A recording's header line, its rrweb events, and why they could not be read (or "")."""
    line, newline, content = data.partition(b"\n")
    header = json_of(line) if newline else None
    if not isinstance(header, dict):
        header, content = {}, data
    encoding = encoding_of(content, headers)
    if encoding is not None:
        try:
            result = decompress_prefix(content, encoding, LIMIT)
        except DecompressionError as exc:
            return header, [], f"its {encoding} content does not decompress ({exc.problem})"
        if result.truncated:
            return header, [], f"it decompresses to over {LIMIT // MiB} MiB"
        if not result.complete:
            return header, [], f"its {result.format} content is cut off"
        content = result.data
    events = json_of(content)
    if not isinstance(events, list):
        return header, [], "its content is no JSON list of rrweb events (or is over the scanner's size)"
    return header, events, ""


class ReplaySegment:
    """One segment of a replay: its ``replay_event`` payload and its parsed recording.

    Attributes:
        event: the replay event's payload (``segment_id``, ``urls``, ``error_ids``, ...).
        header: the recording's header line (``{"segment_id": 0}``).
        events: the recording's rrweb events (empty when they could not be read: see ``problem``).
        problem: why the recording's events could not be read, or ``""``.
        recording: the recording's bytes, as sent.
    """

    __slots__ = ("event", "events", "header", "problem", "recording", "recording_headers")

    def __init__(
        self,
        event: Mapping[str, Any],
        recording: bytes = b"",
        recording_headers: Mapping[str, Any] | None = None,
    ):
        self.event = dict(event)
        self.recording = recording
        self.recording_headers = dict(recording_headers or {})
        if recording:
            self.header, self.events, self.problem = _recording(recording, self.recording_headers)
        else:
            self.header, self.events, self.problem = {}, [], "no replay_recording item came with it"

    @property
    def segment_id(self) -> int | None:
        value = self.event.get("segment_id", self.header.get("segment_id"))
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def urls(self) -> list[str]:
        return [url for url in self.event.get("urls") or () if isinstance(url, str)]

    @property
    def error_ids(self) -> list[str]:
        return [i for i in self.event.get("error_ids") or () if isinstance(i, str)]

    @property
    def trace_ids(self) -> list[str]:
        return [i for i in self.event.get("trace_ids") or () if isinstance(i, str)]

    def envelope_items(self) -> list[ScanItem]:
        """The segment's two items, for ``scan``: the recording decompressed as the gate reads it."""
        entry = item_type_of_class(Replay)
        assert entry is not None
        items = [ScanItem(entry.name, dict(self.event))]
        if self.recording:
            items.extend(binary_items(entry.parts[0], self.recording, self.recording_headers))
        return items

    def __repr__(self) -> str:
        problem = f"; {self.problem}" if self.problem else ""
        return f"<ReplaySegment {self.segment_id}: {len(self.events)} rrweb events{problem}>"


def _ordered(values: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Replay(Payload):
    """A session replay: the segments of one ``replay_id``, in segment order.

    As a mapping it is the first segment's replay event; ``segments`` has each segment's event
    and rrweb events; ``urls``, ``error_ids``, ``trace_ids`` and ``events`` are all segments'.
    """

    __slots__ = ("_segments",)

    #: The criteria of queries on these records: name -> (how it matches, attribute[, label]);
    #: the query stage turns them into checks (``where=`` is added to every type).
    __criteria__: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "replay_id": ("exact", "replay_id"),
        "replay_type": ("exact", "replay_type"),
        "url": ("member", "urls", "urls"),
        "error_id": ("member", "error_ids", "error_ids"),
        "trace_id": ("member", "trace_ids", "trace_ids"),
        "segment_count": ("exact", "segment_count"),
    }

    def __init__(self, data: Mapping[str, Any], segments: Sequence[ReplaySegment] = ()):
        super().__init__(data)
        self._segments = tuple(sorted(segments, key=lambda s: (s.segment_id is None, s.segment_id or 0)))

    @classmethod
    def from_parts(
        cls, data: Mapping[str, Any], parts: Sequence[tuple[str, Mapping[str, Any], bytes]]
    ) -> Replay:
        """One segment's record, from its replay event and the envelope's ``(type, headers,
        bytes)`` of its recording."""
        recording = next(((headers, raw) for _, headers, raw in parts), None)
        segment = ReplaySegment(data, recording[1], recording[0]) if recording else ReplaySegment(data)
        return cls(data, [segment])

    def merged(self, other: Replay) -> Replay:
        """This replay with ``other``'s segments added (a later segment of the same replay)."""
        segments = [*self._segments, *other._segments]
        first = min(segments, key=lambda s: (s.segment_id is None, s.segment_id or 0))
        return Replay(first.event, segments)

    @property
    def replay_id(self) -> str | None:
        return self._data.get("replay_id")

    @property
    def replay_type(self) -> str | None:
        """``session`` (recorded from the start) or ``buffer`` (sent on an error)."""
        return self._data.get("replay_type")

    @property
    def segments(self) -> tuple[ReplaySegment, ...]:
        return self._segments

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    @property
    def urls(self) -> list[str]:
        """The pages visited, in order, each once."""
        return _ordered(url for segment in self._segments for url in segment.urls)

    @property
    def error_ids(self) -> list[str]:
        """The ids of the error events sent while it recorded."""
        return _ordered(i for segment in self._segments for i in segment.error_ids)

    @property
    def trace_ids(self) -> list[str]:
        return _ordered(i for segment in self._segments for i in segment.trace_ids)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every segment's rrweb events, in order."""
        return [event for segment in self._segments for event in segment.events if isinstance(event, dict)]

    @property
    def inputs(self) -> list[str]:
        """The values of rrweb's input events, as recorded (masked inputs read ``***``)."""
        values = []
        for event in self.events:
            data = dict_or_empty(event.get("data"))
            if event.get("type") == INCREMENTAL_SNAPSHOT and data.get("source") == INPUT_SOURCE:
                text = data.get("text")
                if isinstance(text, str):
                    values.append(text)
        return values

    @property
    def inputs_by_element(self) -> dict[str, list[str]]:
        """The recorded input values by element (``input#coupon``, ``input[name="card"]``, or
        ``node 17`` when the snapshots do not have it), in order: which inputs were masked."""
        named = elements(self.events)
        values: dict[str, list[str]] = {}
        for event in self.events:
            data = dict_or_empty(event.get("data"))
            if event.get("type") == INCREMENTAL_SNAPSHOT and data.get("source") == INPUT_SOURCE:
                text, node = data.get("text"), data.get("id")
                if isinstance(text, str):
                    element = named.get(node) if isinstance(node, int) else None
                    values.setdefault(element or f"node {node}", []).append(text)
        return values

    def envelope_items(self) -> list[ScanItem]:
        """Every segment's items, for ``scan``: each recording decompressed as the gate reads it."""
        return [item for segment in self._segments for item in segment.envelope_items()]

    def summary(self) -> str:
        n = len(self._segments)
        errors = len(self.error_ids)
        urls = ", ".join(shorten(url, 50) for url in self.urls[:2])
        more = f", +{len(self.urls) - 2} more" if len(self.urls) > 2 else ""
        return (
            f"replay {shorten(self.replay_id or '?', 40)[:8]} ({self.replay_type}; "
            f"{n} segment{'s' if n != 1 else ''}; {len(self.events)} rrweb events; "
            f"{errors} error{'s' if errors != 1 else ''}"
            f"{'; ' + urls + more if urls else ''})"
        )
