"""Metadata values survive the trip through ASCII-only S3 headers."""

from __future__ import annotations

import unicodedata

import pytest

from sohoa.storage.metacodec import decode_metadata, decode_value, encode_metadata, encode_value

VALUES = [
    "Sở Văn hóa, Thể thao và Du lịch",
    "Đắk Lắk",
    "plain ascii",
    "",
    "  leading and trailing  ",
    "line\nbreak",
    "=?UTF-8?B?Zm9v?=",
    "=?not encoded",
    "😀 emoji",
]


@pytest.mark.parametrize("value", VALUES)
def test_value_round_trip_through_ascii(value: str) -> None:
    encoded = encode_value(value)
    assert encoded.isascii() and encoded.isprintable() and encoded == encoded.strip() and encoded
    assert decode_value(encoded) == value


def test_plain_ascii_is_left_readable() -> None:
    assert encode_value("1.001234") == "1.001234"


@pytest.mark.parametrize("foreign", ["=?UTF-8?Q?S=E1=BB=9F?=", "=?UTF-8?B?!!!?=", "=?UTF-8?B?/w==?="])
def test_values_not_in_our_form_are_returned_as_they_came(foreign: str) -> None:
    assert decode_value(foreign) == foreign


def test_metadata_from_headers() -> None:
    headers = encode_metadata({"agency": "Sở Văn hóa", "year": "2025"})
    received = [("X-Amz-Meta-" + name.title(), value) for name, value in headers.items()]
    received += [("Content-Type", "application/pdf"), ("ETag", '"abc"')]
    assert decode_metadata(received) == {"agency": "Sở Văn hóa", "year": "2025"}


def test_decoded_values_are_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Sở Văn hóa")
    assert nfd != unicodedata.normalize("NFC", nfd)
    assert decode_metadata([("x-amz-meta-t", encode_value(nfd))]) == {"t": unicodedata.normalize("NFC", nfd)}
