"""A small valid envelope, shared by the ingest server's and the command line's tests."""

from __future__ import annotations

EVENT_ID = "0123456789abcdef0123456789abcdef"
ENVELOPE = b'{"event_id":"' + EVENT_ID.encode() + b'"}\n{"type":"event"}\n{"message":"hi","level":"info"}\n'
