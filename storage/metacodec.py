"""User metadata as S3 header values: any Unicode text in, US-ASCII on the wire.

HTTP header values (and therefore the ``minio`` client) only carry US-ASCII, yet our
metadata holds Vietnamese text. Values that would not survive a header unchanged are
sent as RFC 2047 encoded words (``=?UTF-8?B?<base64>?=``), the form S3 itself uses for
non-ASCII metadata, so other S3 tools can still read them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping

from sohoa.core.text import nfc

__all__ = ["HEADER_PREFIX", "decode_metadata", "decode_value", "encode_metadata", "encode_value"]

HEADER_PREFIX = "x-amz-meta-"

_ENCODED_WORD = re.compile(r"=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=")
_MARKER = "=?"


def _is_plain(value: str) -> bool:
    # Servers and proxies trim surrounding blanks and may drop empty headers; a value
    # that looks encoded must be encoded too, or decoding would alter it.
    return (
        value != ""
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
        and not value.startswith(_MARKER)
    )


def encode_value(value: str) -> str:
    """The header form of one metadata value (unchanged when plain ASCII)."""
    if _is_plain(value):
        return value
    return f"=?UTF-8?B?{base64.b64encode(value.encode('utf-8')).decode('ascii')}?="


def decode_value(value: str) -> str:
    """Inverse of :func:`encode_value`; a value in any other form is returned as it came."""
    match = _ENCODED_WORD.fullmatch(value)
    if match is None:
        return value
    try:
        return base64.b64decode(match.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def encode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Header-safe values, keys unchanged (the client adds the ``x-amz-meta-`` prefix)."""
    return {key: encode_value(value) for key, value in metadata.items()}


def decode_metadata(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """User metadata from response header items, keys lower-cased, values NFC."""
    decoded: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered.startswith(HEADER_PREFIX):
            decoded[lowered[len(HEADER_PREFIX) :]] = nfc(decode_value(value))
    return decoded
