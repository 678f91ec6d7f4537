"""Replay recordings, attachments and compressed item payloads: decompressed within a bound, then
scanned as JSON (real paths, keys for the field rule) or as text; a finding says where it was."""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope, Item

from pytest_sentry_check import capture, scan
from pytest_sentry_check._model.compression import LIMIT
from pytest_sentry_check._model.items import JSON_VALUES, TEXT_WINDOW, items_of

# These tests send planted secrets on purpose to test the scanner itself.
pytestmark = pytest.mark.sentry_check(gate="off")


TOKEN = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
CANARY = "canary-7f3a9c2e51"
REPORT = {
    "user": {"email": "jane.doe@example.com", "password": "Tr0ub4dor&3-horse"},
    "notes": f"deploy key {TOKEN}",
    "run": CANARY,
}


def _found(target: Any) -> list[str]:
    return [str(finding) for finding in scan(target, secrets=[CANARY])]


def _report_findings(where: str) -> list[str]:
    """What REPORT holds, found in an attachment (``where`` ends each detail)."""
    suffix = f" ({where})" if where else ""
    return [
        f"[critical] github-token (GitHub token{suffix}) at attachment:notes: ghp…[40 chars]",
        f"[critical] canary (registered secret, raw{suffix}) at attachment:run: can…[17 chars]",
        f"[high] field (sensitive field 'password'{suffix}) at attachment:user.password: Tr0…[17 chars]",
        f"[medium] email (email address{suffix}) at attachment:user.email: jan…[20 chars]",
    ]


def _envelope(payload: bytes, item_type: str = "attachment", **headers: Any) -> Envelope:
    envelope = Envelope(headers={"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"})
    envelope.add_item(Item(payload=payload, type=item_type, headers=headers))
    return envelope


#: A replay segment's rrweb events: a full snapshot (an email in a text node, an input), an input
#: event (a token typed into that input), a console breadcrumb (a canary).
RRWEB_EVENTS: list[dict[str, Any]] = [
    {
        "type": 2,
        "timestamp": 1700000000000,
        "data": {
            "node": {
                "type": 0,
                "id": 1,
                "childNodes": [
                    {"type": 2, "id": 2, "tagName": "p", "attributes": {}, "childNodes": [
                        {"type": 3, "id": 3, "textContent": "Signed in as jane.doe@example.com"},
                    ]},
                    {"type": 2, "id": 7, "tagName": "input", "attributes": {"id": "coupon"}, "childNodes": []},
                ],
            },
            "initialOffset": {"left": 0, "top": 0},
        },
    },
    {"type": 3, "timestamp": 1700000000500, "data": {"source": 5, "id": 7, "text": TOKEN, "isChecked": False}},
    {
        "type": 5,
        "timestamp": 1700000000.9,
        "data": {
            "tag": "breadcrumb",
            "payload": {"type": "default", "timestamp": 1700000000.9, "category": "console", "message": CANARY},
        },
    },
]  # fmt: skip


class TestAttachments:
    def test_a_gzip_file_the_sdk_attached_is_read_as_the_json_it_holds(self) -> None:
        """``add_attachment(bytes=gzip.compress(...), filename="report.json.gz")``: each value at
        its path in the JSON, through sentry_events and through its attachments collection."""
        with capture() as events:
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            scope = sentry_sdk.get_current_scope()
            scope.add_attachment(bytes=gzip.compress(json.dumps(REPORT).encode()), filename="report.json.gz")
            sentry_sdk.capture_message("nightly report")
            expected = _report_findings("in the gzip-compressed attachment")
            assert _found(events) == expected
            assert _found(events.attachments) == expected
            assert _found(events.raw_envelopes) == expected

    def test_a_plain_json_file_is_read_as_json_too(self) -> None:
        """Paths inside the file, and the field rule sees its keys (not only "key": "value" text)."""
        with capture() as events:
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            sentry_sdk.get_current_scope().add_attachment(
                bytes=json.dumps(REPORT).encode(), filename="report.json"
            )
            sentry_sdk.capture_message("nightly report")
            assert _found(events.attachments) == _report_findings("")

    @pytest.mark.parametrize(
        ("compress", "headers", "described"),
        [
            (zlib.compress, {"filename": "report.json.zz"}, "zlib"),
            (lambda data: zlib.compress(data, wbits=-15), {"content_encoding": "deflate"}, "deflate"),
            (brotli.compress, {"filename": "report.json.br"}, "brotli"),
            (brotli.compress, {"content_type": "application/x-brotli"}, "brotli"),
            (brotli.compress, {"content_encoding": "br"}, "brotli"),
            (gzip.compress, {"content_encoding": "gzip"}, "gzip"),
        ],
        ids=[
            "zlib",
            "raw deflate, declared",
            "brotli by name",
            "brotli by type",
            "brotli declared",
            "gzip declared",
        ],
    )
    def test_every_compression(
        self, compress: Callable[[bytes], bytes], headers: dict[str, str], described: str
    ) -> None:
        """gzip and zlib are known by their first bytes; brotli (which has none) and raw deflate
        by the item's ``content_encoding`` header, brotli by its content type or file name too."""
        envelope = _envelope(compress(json.dumps(REPORT).encode()), **headers)
        assert _found(envelope) == _report_findings(f"in the {described}-compressed attachment")
        assert _found(envelope.serialize()) == _report_findings(f"in the {described}-compressed attachment")

    def test_compressed_text_is_read_as_text(self) -> None:
        log = f"GET /health 200\nPOST /login user=jane.doe@example.com\nauth: Bearer {TOKEN}\n".encode()
        assert _found(_envelope(gzip.compress(log), filename="app.log.gz")) == [
            "[critical] github-token (GitHub token (in the gzip-compressed attachment)) at attachment:<root>: ghp…[40 chars]",
            "[high] auth-header (Bearer credential (in the gzip-compressed attachment)) at attachment:<root>: Bea…[47 chars]",
            "[medium] email (email address (in the gzip-compressed attachment)) at attachment:<root>: jan…[20 chars]",
        ]

    def test_an_item_of_a_type_the_plugin_does_not_know(self) -> None:
        assert _found(_envelope(gzip.compress(json.dumps({"notes": TOKEN}).encode()), "custom_blob")) == [
            "[critical] github-token (GitHub token (in the gzip-compressed custom_blob item)) "
            "at custom_blob:notes: ghp…[40 chars]",
        ]


class TestReplayRecordings:
    """A recording is a JSON header line, then its rrweb events (zlib-compressed by the JS SDK)."""

    def _envelope(self, recording: bytes) -> Envelope:
        envelope = Envelope(headers={"event_id": "9ec79c33ec9942ab8353589fcb2e04dc"})
        replay_event = {
            "type": "replay_event",
            "replay_id": "9ec79c33ec9942ab8353589fcb2e04dc",
            "segment_id": 3,
        }
        envelope.add_item(Item(payload=json.dumps(replay_event).encode(), type="replay_event"))
        envelope.add_item(Item(payload=recording, type="replay_recording"))
        return envelope

    def _expected(self, origin: str) -> list[str]:
        """Each finding's detail ends with where the payload was (``origin``) and what its rrweb
        event is about."""

        snapshot = "in the page's DOM snapshot"

        def where(note: str) -> str:
            return f" ({origin}, {note})" if origin else f" ({note})"

        return [
            f"[critical] github-token (GitHub token{where('typed into input#coupon')}) "
            "at replay_recording:1.data.text: ghp…[40 chars]",
            f"[critical] canary (registered secret, raw{where('in a breadcrumb event')}) "
            "at replay_recording:2.data.payload.message: can…[17 chars]",
            f"[medium] email (email address{where(snapshot)}) at "
            "replay_recording:0.data.node.childNodes.0.childNodes.0.textContent: jan…[20 chars]",
        ]

    def test_a_compressed_recording_is_read_as_its_events(self) -> None:
        recording = b'{"segment_id":3}\n' + zlib.compress(json.dumps(RRWEB_EVENTS).encode())
        expected = self._expected("in the zlib-compressed replay recording")
        assert _found(self._envelope(recording)) == expected
        assert _found(self._envelope(recording).serialize()) == expected

    def test_a_plain_recording_too(self) -> None:
        recording = b'{"segment_id":3}\n' + json.dumps(RRWEB_EVENTS).encode()
        assert _found(self._envelope(recording)) == self._expected("")

    def test_its_header_line_is_scanned_as_json(self) -> None:
        recording = json.dumps({"segment_id": 3, "note": TOKEN}).encode() + b"\n" + zlib.compress(b"[]")
        assert _found(self._envelope(recording)) == [
            "[critical] github-token (GitHub token) at replay_recording:note: ghp…[40 chars]",
        ]


def _log(size: int) -> bytes:
    """Log lines of 100 bytes, about ``size`` bytes of them, then a line with a bearer token."""
    line = b"GET /health 200 OK " + b"." * 80 + b"\n"
    return line * (size // len(line)) + f"auth: Bearer {TOKEN}\n".encode()


class TestItems:
    """What the scanner is given (``items_of``): decompressed payloads, and where each is from."""

    def _items(self, target: Any) -> list[tuple[str, str, str]]:
        return [(item.item_type, type(item.payload).__name__, item.origin) for item in items_of(target)]

    def test_a_compressed_json_attachment_is_parsed(self) -> None:
        [item] = items_of(_envelope(gzip.compress(json.dumps(REPORT).encode()), filename="report.json.gz"))
        assert (item.payload, item.json_native, item.origin) == (
            REPORT,
            True,
            "in the gzip-compressed attachment",
        )

    def test_a_replay_recording_is_its_header_and_its_events(self) -> None:
        recording = b'{"segment_id":3}\n' + zlib.compress(json.dumps(RRWEB_EVENTS).encode())
        envelope = _envelope(recording, "replay_recording")
        assert [item.payload for item in items_of(envelope)] == [{"segment_id": 3}, RRWEB_EVENTS]
        assert self._items(envelope) == [
            ("replay_recording", "dict", ""),
            ("replay_recording", "list", "in the zlib-compressed replay recording"),
        ]

    def test_a_zip_bomb_gives_its_first_32_mib_in_windows(self, gzip_of_zeros: Callable[..., bytes]) -> None:
        """1 GiB of zeros (1 MB of gzip): 32 windows of 1 MiB, each one pass of the prefilter."""
        items = list(items_of(_envelope(gzip_of_zeros(1024, prefix=b"x"), filename="dump.gz")))
        assert [len(item.payload) for item in items] == [TEXT_WINDOW] * (LIMIT // TEXT_WINDOW)
        assert items[0].payload[:2] == b"x\0"
        assert (items[0].origin, items[-1].origin) == (
            "in bytes 0 to 1,048,575 of the first 32 MiB of the gzip-compressed attachment, the rest not scanned",
            "in bytes 32,505,856 to 33,554,431 of the first 32 MiB of the gzip-compressed attachment, "
            "the rest not scanned",
        )

    def test_a_long_text_is_cut_into_windows_between_lines(self) -> None:
        log = _log(3 * TEXT_WINDOW)
        items = list(items_of(_envelope(log, filename="app.log")))
        assert b"".join(item.payload for item in items) == log
        assert all(item.payload.endswith(b"\n") for item in items)
        assert [item.origin for item in items] == [
            "in bytes 0 to 1,048,499 of the attachment",
            "in bytes 1,048,500 to 2,096,999 of the attachment",
            "in bytes 2,097,000 to 3,145,499 of the attachment",
            "in bytes 3,145,500 to 3,145,753 of the attachment",
        ]

    def test_a_text_without_spaces_is_cut_at_a_characters_start(self) -> None:
        text = "é".encode() * TEXT_WINDOW  # 2 bytes each: the window's last byte is a character's start
        items = list(items_of(_envelope(b"x" + text, filename="accents.txt")))
        assert [len(item.payload) for item in items] == [TEXT_WINDOW - 1, TEXT_WINDOW, 2]
        assert all(item.payload.decode() for item in items)  # each decodes: no character was cut

    def test_compressed_data_cut_off_gives_what_it_held_and_the_bytes_as_sent(self) -> None:
        data = gzip.compress(_log(5000), mtime=0)[:-30]
        assert self._items(_envelope(data, filename="cut.log.gz")) == [
            ("attachment", "bytes", "in the gzip-compressed attachment, cut off: scanned as far as it goes"),
            ("attachment", "bytes", ""),
        ]

    @pytest.mark.parametrize(
        "data",
        [b"\x1f\x8b\x08 not gzip after all", b"x\x9c not zlib either"],
        ids=["gzip", "zlib"],
    )
    def test_corrupt_compressed_data_is_its_bytes_as_sent(self, data: bytes) -> None:
        [item] = items_of(_envelope(data, filename="x.gz"))
        assert (item.payload, item.origin) == (data, "")

    def test_an_uncompressed_attachment_that_is_no_json_is_its_bytes(self) -> None:
        assert [
            (item.payload, item.origin) for item in items_of(_envelope(b"[not json", filename="a.txt"))
        ] == [(b"[not json", "")]

    def test_brotli_without_its_package_says_so(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "brotli", None)
        assert self._items(_envelope(brotli.compress(b"{}"), filename="a.json.br")) == [
            (
                "attachment",
                "bytes",
                "in the attachment as sent: brotli-compressed, and brotli is not installed",
            )
        ]


class TestBounds:
    """What cannot be decompressed or parsed whole is still scanned, within the bounds."""

    def test_a_zip_bomb_is_read_up_to_the_limit_and_says_so(
        self, gzip_of_zeros: Callable[..., bytes]
    ) -> None:
        """1 GiB of zeros (1 MB of gzip) after a token: its first 32 MiB are scanned, in windows
        of 1 MiB (each one pass of the prefilter), and the finding says the rest was not."""
        envelope = _envelope(gzip_of_zeros(1024, prefix=f"{TOKEN}\n".encode()), filename="dump.gz")
        assert _found(envelope) == [
            "[critical] github-token (GitHub token (in bytes 0 to 1,048,575 of the first 32 MiB of the "
            "gzip-compressed attachment, the rest not scanned)) at attachment:<root>: ghp…[40 chars]",
        ]

    def test_a_long_text_is_scanned_in_windows(self) -> None:
        assert _found(_envelope(_log(3 * TEXT_WINDOW), filename="app.log")) == [
            "[critical] github-token (GitHub token (in bytes 3,145,500 to 3,145,753 of the attachment)) "
            "at attachment:<root>: ghp…[40 chars]",
            "[high] auth-header (Bearer credential (in bytes 3,145,500 to 3,145,753 of the attachment)) "
            "at attachment:<root>: Bea…[47 chars]",
        ]

    def test_json_over_the_value_budget_is_read_as_text(self) -> None:
        """More values than :data:`JSON_VALUES` would take too much memory parsed: read as text."""
        document = json.dumps({"numbers": [0] * JSON_VALUES, "password": "Tr0ub4dor&3-horse"})
        assert _found(_envelope(gzip.compress(document.encode()), filename="big.json.gz")) == [
            "[high] field (sensitive field 'password' (in text that is not JSON) "
            "(in the gzip-compressed attachment)) at attachment:password: Tr0…[17 chars]",
        ]

    def test_corrupt_compressed_data_is_scanned_as_sent(self) -> None:
        """gzip's first bytes, then no gzip: no error, the bytes are scanned as they are."""
        envelope = _envelope(b"\x1f\x8b\x08" + f" not gzip after all {TOKEN}".encode(), filename="x.gz")
        assert _found(envelope) == [
            "[critical] github-token (GitHub token) at attachment:<root>: ghp…[40 chars]"
        ]

    def test_compressed_data_cut_off_is_scanned_as_far_as_it_goes_and_as_sent(self) -> None:
        """The email came out before the cut; the token did not (its bytes as sent are scanned too)."""
        data = gzip.compress(f"user jane.doe@example.com\n{'.' * 5000}\n{TOKEN}".encode(), mtime=0)
        assert _found(_envelope(data[:-30], filename="cut.log.gz")) == [
            "[medium] email (email address (in the gzip-compressed attachment, cut off: scanned as far as "
            "it goes)) at attachment:<root>: jan…[20 chars]",
        ]

    def test_brotli_without_its_package_is_scanned_as_sent_and_says_so(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Declared brotli that is not: read as sent; without the package, the finding says why."""
        envelope = _envelope(f"plain text, {TOKEN}".encode(), content_encoding="br")
        assert _found(envelope) == [
            "[critical] github-token (GitHub token) at attachment:<root>: ghp…[40 chars]"
        ]
        monkeypatch.setitem(sys.modules, "brotli", None)
        assert _found(envelope) == [
            "[critical] github-token (GitHub token (in the attachment as sent: brotli-compressed, and "
            "brotli is not installed)) at attachment:<root>: ghp…[40 chars]",
        ]
