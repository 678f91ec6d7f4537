"""Every output masks what a detector recognises: the masked form never holds the secret."""

from __future__ import annotations

import pytest

from pytest_sentry_check._masking import mask_secrets, shorten

# A synthetic key body (not a real key): base64 text as a PEM body has it.
BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{BODY}\n{BODY[::-1]}\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    "text",
    [
        KEY,
        f"config loaded: key={KEY!r} (from vault)",  # a repr: newlines escaped as \\n
        KEY.split("-----END", maxsplit=1)[0],  # cut before the footer
        f"key:\\n{KEY.replace(chr(10), chr(92) + 'n')}",  # JSON-escaped
    ],
)
def test_a_private_keys_body_is_masked_with_its_header(text: str) -> None:
    shown = shorten(text, 4000)
    assert BODY[:8] not in shown
    assert BODY[::-1][:8] not in shown
    assert "PRIVATE KEY" not in shown


def test_text_around_a_key_stays_readable() -> None:
    shown = mask_secrets(f"before {KEY} after")
    assert shown.startswith("before ---…[")
    assert shown.endswith(" chars] after")


def test_a_public_key_is_not_masked() -> None:
    text = f"-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----"
    assert mask_secrets(text) == text
