"""Vietnamese text rules: NFC for storage, one folding function for search."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "nfc", "normalize_space"]

_SPACE = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Stored text is always NFC: scanners, OCR and keyboards disagree on composition."""
    return unicodedata.normalize("NFC", text)


def normalize_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Accent-insensitive search key: NFD, combining marks removed, đ->d, lower case.

    One function in Python (not SQLite's remove_diacritics nor PostgreSQL's unaccent)
    so every engine compares the same strings.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").lower()
