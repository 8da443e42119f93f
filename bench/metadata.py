"""Score ``extract_metadata`` against the gold JSON of ``../shared/corpus/vn-docs``.

    python bench/metadata.py --gold-text      # the gold ``text`` field as page text
    python bench/metadata.py                  # OCR of the page images / PDFs (tesseract vie)
    python bench/metadata.py --gold-text --errors   # also print every wrong field

Values compare case-insensitively after NFC, single spacing, and with the tone mark's place
ignored (``hoà`` equals ``hòa``). Lists compare item by item. A field both sides leave empty
counts as right. A leading ``V/v`` or ``Về việc`` of the subject is ignored on both sides: issue 5
stores the subject without it, while the gold keeps the ``VỀ VIỆC`` some titles print.
Text-layer PDFs are read with pdfplumber, the rest go through OCR.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

from sohoa.core.domain import Metadata, PageText  # noqa: E402
from sohoa.core.text import normalize_space  # noqa: E402
from sohoa.ingest.metadata import extract_metadata  # noqa: E402

FIELDS = (
    "document_type", "type_code", "number", "number_year", "symbol", "number_symbol", "issued_place",
    "issued_date", "issued_date_text", "issuer", "parent_issuer", "subject", "signer_authority",
    "signer_title", "signer_name", "recipients", "procedure_code", "dossier_code",
)  # fmt: skip
TARGETS = {
    "document_type": 0.95, "number_symbol": 0.95, "issued_date": 0.95, "issuer": 0.90,
    "signer_name": 0.90, "subject": 0.90, "procedure_code": 0.90, "dossier_code": 0.90,
}  # fmt: skip
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_SUBJECT_PREFIX = re.compile(r"^(?:v\s?/\s?v|về\s+việc)\b\s*[:.]?\s*", re.IGNORECASE)


def comparable(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list | tuple):
        return tuple(comparable(v) for v in value)
    if not isinstance(value, str):
        return str(value)
    words = []
    for word in normalize_space(unicodedata.normalize("NFC", value)).lower().split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(ch for ch in decomposed if ch in _TONES)
        words.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)) + tones)
    return " ".join(words).replace("\u2013", "-")


def field_value(field: str, value: Any) -> Any:
    """What ``score`` compares for ``field``: ``comparable``, and the subject without its ``V/v`` prefix."""
    if field == "subject" and isinstance(value, str):
        value = _SUBJECT_PREFIX.sub("", unicodedata.normalize("NFC", value).strip())
    return comparable(value)


def gold_pages(gold: dict[str, Any]) -> list[PageText]:
    return [PageText(index=0, text=unicodedata.normalize("NFC", gold["text"]), source="text_layer")]


def ocr_pages(folder: Path, gold: dict[str, Any], work: Path) -> list[PageText]:
    from sohoa.core.domain import FileKind
    from sohoa.ingest.ocr_engines import load_engine
    from sohoa.ingest.orientation import straighten_page
    from sohoa.ingest.pages import render_pages

    names = gold["file"] if isinstance(gold["file"], list) else [gold["file"]]
    kinds = {".pdf": FileKind.PDF, ".png": FileKind.PNG, ".jpg": FileKind.JPEG, ".tif": FileKind.TIFF}
    from sohoa.core.settings import get_settings

    settings = get_settings()
    engine = load_engine(settings)
    pages: list[PageText] = []
    for name in names:
        path = folder / name
        if path.suffix == ".pdf":
            text_pages = _text_layer(path, len(pages))
            if text_pages:
                pages.extend(text_pages)
                continue
        for image in render_pages(path, kinds[path.suffix.lower()], work / path.stem):
            upright, _ = straighten_page(
                image, work / path.stem, binary=settings.tesseract, memory_mb=settings.ocr_memory_mb
            )
            page = engine.ocr_page(upright, work / path.stem, languages="vie")
            pages.append(PageText(len(pages), page.text, "ocr", page.words, page.confidence))
    return pages


def cached_ocr_pages(folder: Path, gold: dict[str, Any], work: Path, cache: Path | None, stem: str) -> list[PageText]:
    if cache is None:
        return ocr_pages(folder, gold, work)
    stored = cache / f"{stem}.pickle"
    if stored.exists():
        return pickle.loads(stored.read_bytes())
    pages = ocr_pages(folder, gold, work)
    cache.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(pickle.dumps(pages))
    return pages


def _text_layer(path: Path, start: int) -> list[PageText]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    if sum(len(t.strip()) for t in texts) < 50:
        return []
    return [PageText(start + i, unicodedata.normalize("NFC", t), "text_layer") for i, t in enumerate(texts)]


def score(results: Sequence[tuple[str, dict[str, Any], Metadata]]) -> dict[str, float]:
    """Accuracy per field the gold files label (a field no gold file has is left out)."""
    accuracy: dict[str, float] = {}
    for field in FIELDS:
        if not any(field in gold for _, gold, _ in results):
            continue
        right = sum(
            field_value(field, gold.get(field)) == field_value(field, getattr(got, field)) for _, gold, got in results
        )
        accuracy[field] = right / len(results) if results else 0.0
    return accuracy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "vn-docs")
    parser.add_argument("--gold-text", action="store_true", help="use the gold text instead of OCR")
    parser.add_argument("--errors", action="store_true", help="print every wrong field")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    parser.add_argument("--cache", type=Path, help="keep OCR page texts here and reuse them on later runs")
    args = parser.parse_args(argv)

    golds = sorted(args.corpus.glob("*.json"))
    if not golds:
        print(f"no gold JSON under {args.corpus}", file=sys.stderr)
        return 2
    results: list[tuple[str, dict[str, Any], Metadata]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
        for path in golds:
            gold = json.loads(path.read_text(encoding="utf-8"))
            if args.gold_text:
                pages = gold_pages(gold)
            else:
                pages = cached_ocr_pages(args.corpus, gold, Path(tmp), args.cache, path.stem)
            results.append((path.stem, gold, extract_metadata(pages)))
    elapsed = time.monotonic() - started

    accuracy = score(results)
    mode = "gold-text" if args.gold_text else "ocr"
    print(f"metadata bench: {len(results)} documents, mode={mode}, {elapsed:.1f}s")
    print(f"{'field':<18} {'accuracy':>8}  {'target':>6}")
    for field in accuracy:
        target = TARGETS.get(field)
        flag = "" if target is None else ("  ok" if accuracy[field] >= target else "  BELOW")
        shown = f"{target:.2f}" if target else ""
        print(f"{field:<18} {accuracy[field]:>8.3f}  {shown:>6}{flag}")
    if args.errors:
        for name, gold, got in results:
            for field in accuracy:
                want, have = gold.get(field), getattr(got, field)
                if field_value(field, want) != field_value(field, have):
                    print(f"{name} {field}: want {want!r} got {have!r}")
    if args.json:
        args.json.write_text(json.dumps({"mode": mode, "accuracy": accuracy}, indent=2), encoding="utf-8")
    return 0 if all(accuracy.get(f, 0.0) >= t for f, t in TARGETS.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
