"""Page texts with their word boxes as JSON: how the OCR stage hands its reading to the extract stage.

The catalogue keeps each page's text only; the layout reading needs the words too (positions,
line numbers, confidences), so the OCR stage writes them beside its PDF and the extract stage
reads them back. A document OCRed before this file existed has none: the stage falls back to the
page texts, and the reading to its line-order rules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sohoa.core.domain import OcrWord, PageText
from sohoa.core.text import nfc

__all__ = ["PAGES_NAME", "dump_pages", "load_pages"]

PAGES_NAME = "pages.json"
_VERSION = 1


def _word(w: OcrWord) -> list[Any]:
    # confidences kept whole: the stage must read exactly what the OCR gave (sohoa extract does)
    return [w.text, w.left, w.top, w.width, w.height, w.confidence, w.block, w.line]


def dump_pages(pages: Sequence[PageText]) -> bytes:
    """``pages`` as compact JSON (the text-only PDF path is left out: it never outlives its stage)."""
    out = {
        "version": _VERSION,
        "pages": [
            {
                "index": p.index,
                "text": p.text,
                "source": p.source,
                "confidence": p.confidence,
                "words": [_word(w) for w in p.words],
            }
            for p in pages
        ],
    }
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_pages(data: bytes) -> tuple[PageText, ...]:
    """The pages ``dump_pages`` wrote; a ValueError for anything else."""
    try:
        doc = json.loads(data.decode("utf-8"))
        if doc.get("version") != _VERSION:
            raise ValueError(f"unknown pages.json version {doc.get('version')!r}")
        return tuple(
            PageText(
                index=int(p["index"]),
                text=nfc(p["text"]),
                source="ocr" if p["source"] == "ocr" else "text_layer",
                words=tuple(
                    OcrWord(nfc(t), int(x), int(y), int(w), int(h), float(c), int(b), int(ln))
                    for t, x, y, w, h, c, b, ln in p["words"]
                ),
                confidence=None if p["confidence"] is None else float(p["confidence"]),
            )
            for p in doc["pages"]
        )
    except (KeyError, TypeError, AttributeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a pages file: {exc}") from exc
