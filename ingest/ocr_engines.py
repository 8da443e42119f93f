"""OCR engines: one method, ``ocr_page``, that turns a page image into text and a text-only PDF page.

``TesseractEngine`` is the real one. ``FakeOcrEngine`` returns fixed (or page-numbered)
NFC Vietnamese text and writes a valid invisible text page itself, so tests that are not
about OCR run the whole pipeline without tesseract. Both are frozen dataclasses: they
cross to worker processes by pickling.
"""

from __future__ import annotations

import functools
import importlib
import io
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from sohoa.core.domain import OcrWord, PageImage, PageText
from sohoa.core.errors import ConfigurationError, OcrError
from sohoa.core.settings import Settings
from sohoa.core.text import nfc
from sohoa.ingest.tesseract import (
    DEFAULT_MEMORY_MB,
    NEAR_TIE,
    check_tesseract,
    read_tsv_words,
    run_tesseract,
    word_doubts,
    words_to_text,
)

__all__ = [
    "DEFAULT_FAKE_TEXT",
    "FakeOcrEngine",
    "OcrEngine",
    "TesseractEngine",
    "load_engine",
    "write_invisible_text_page",
]

DEFAULT_FAKE_TEXT = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\n"
    "QUYẾT ĐỊNH\n"
    "Về việc cấp giấy phép hoạt động - trang {page}"
)


@runtime_checkable
class OcrEngine(Protocol):
    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText: ...


def _mean_confidence(words: tuple[OcrWord, ...]) -> float | None:
    if not words:
        return None
    return sum(w.confidence for w in words) / len(words)


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract: one pass per page gives the text-only PDF page and the TSV word boxes.

    ``binary`` (None: ``tesseract`` on PATH) and ``memory_mb`` (address-space cap of one
    call, 0: none) are also what orientation detection runs with, for the same pages.
    """

    timeout: float = 180.0
    binary: str | None = None
    psm: int | None = None
    memory_mb: int = DEFAULT_MEMORY_MB
    # a word whose marks the LSTM nearly read otherwise gets that lead as its confidence (for a
    # second look at a signer's name, where a mark in doubt must go to a person)
    choices: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> TesseractEngine:
        return cls(timeout=settings.ocr_timeout_per_page, binary=settings.tesseract, memory_mb=settings.ocr_memory_mb)

    def check(self, languages: str = "vie") -> None:
        check_tesseract(languages, binary=self.binary)

    def pdf_and_tsv(self, image: Path, out_base: Path, *, languages: str, dpi: float) -> tuple[Path, Path]:
        """One tesseract pass: a text-only PDF page (``out_base.pdf``) and word boxes (``.tsv``).

        With ``choices``, also ``out_base.hocr`` with the LSTM's alternatives for each character
        (``word_doubts`` reads them)."""
        self.check(languages)
        args = [str(image), str(out_base), "-l", languages, "--dpi", str(round(dpi))]
        if self.psm is not None:
            args += ["--psm", str(self.psm)]
        if self.choices:
            args += ["-c", "lstm_choice_mode=2", "hocr"]
        args += ["-c", "textonly_pdf=1", "pdf", "tsv"]
        run_tesseract(args, timeout=self.timeout, binary=self.binary, memory_mb=self.memory_mb)
        pdf, tsv = out_base.with_suffix(".pdf"), out_base.with_suffix(".tsv")
        if not pdf.exists() or not tsv.exists():
            raise OcrError("tesseract wrote no output", code="tesseract_failed", details={"image": str(image)})
        return pdf, tsv

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        pdf, tsv = self.pdf_and_tsv(image.path, work_dir / f"ocr-{image.index:05d}", languages=languages, dpi=image.dpi)
        words = read_tsv_words(tsv)
        tsv.unlink(missing_ok=True)
        hocr = tsv.with_suffix(".hocr")
        if self.choices and hocr.exists():
            doubts = {corner: lead for corner, lead in word_doubts(hocr).items() if lead < NEAR_TIE}
            words = tuple(replace(w, confidence=min(w.confidence, doubts.get((w.left, w.top), 100.0))) for w in words)
            hocr.unlink()
        return PageText(
            index=image.index,
            text=words_to_text(words),
            source="ocr",
            words=words,
            confidence=_mean_confidence(words),
            text_pdf=pdf,
        )


# --- the fake engine's invisible text page -------------------------------------------------


@functools.cache
def _glyphless_font_program() -> bytes:
    """A TrueType font whose glyphs draw nothing: text in it is searchable, never visible."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space"])
    builder.setupCharacterMap({0x20: "space"})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf({".notdef": empty, "space": empty})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "space": (500, 0)})
    builder.setupHorizontalHeader(ascent=1000, descent=0)
    builder.setupNameTable({"familyName": "GlyphLessFont", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _to_unicode_cmap() -> bytes:
    # CIDs are UTF-16 code units; ranges may not cross a first-byte boundary.
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF]
    blocks = []
    for start in range(0, len(ranges), 100):
        chunk = ranges[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    program = _glyphless_font_program()
    font_file = Stream(pdf, program)
    font_file.Length1 = len(program)
    cid_to_gid = Stream(pdf, zlib.compress(b"\x00\x01" * 65536))
    cid_to_gid.Filter = Name.FlateDecode
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name.GlyphLessFont,
        Flags=5,
        FontBBox=Array([0, 0, 500, 1000]),
        ItalicAngle=0,
        Ascent=1000,
        Descent=-1,
        CapHeight=1000,
        StemV=80,
        FontFile2=font_file,
    )
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name.GlyphLessFont,
        CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=descriptor,
        CIDToGIDMap=cid_to_gid,
        DW=500,
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=Name.GlyphLessFont,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid_font)]),
            ToUnicode=Stream(pdf, _to_unicode_cmap()),
        )
    )


def _utf16_hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text if ord(ch) <= 0xFFFF and not 0xD800 <= ord(ch) <= 0xDFFF)


def write_invisible_text_page(
    lines: list[str], *, width_pt: float, height_pt: float, output_path: Path, font_size: float = 12.0
) -> list[tuple[str, float, float, float]]:
    """A text-only PDF page (render mode 3) with ``lines`` from the top; returns word boxes in points."""
    leading = font_size * 1.5
    advance = font_size * 0.5  # DW 500 per character
    margin = min(72.0, width_pt / 10)
    boxes: list[tuple[str, float, float, float]] = []
    ops = ["BT", "3 Tr", f"/F0 {font_size:.2f} Tf"]
    for number, line in enumerate(lines):
        top = margin + number * leading
        baseline = height_pt - top - font_size
        if baseline < 0:
            break
        ops.append(f"1 0 0 1 {margin:.2f} {baseline:.2f} Tm <{_utf16_hex(line)}> Tj")
        x = margin
        for word in line.split(" "):
            if word:
                boxes.append((word, x, top, len(word) * advance))
            x += (len(word) + 1) * advance
    ops.append("ET")
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(width_pt, height_pt))
        page.Resources = Dictionary(Font=Dictionary(F0=_glyphless_font(pdf)))
        page.Contents = Stream(pdf, "\n".join(ops).encode("ascii"))
        pdf.save(output_path)
    return boxes


@dataclass(frozen=True)
class FakeOcrEngine:
    """Fixed text for every page (``{page}`` becomes the 1-based page number); no OCR at all."""

    text_by_page: str = DEFAULT_FAKE_TEXT
    confidence: float = 96.0

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        text = nfc(self.text_by_page.replace("{page}", str(image.index + 1)))
        lines = text.split("\n")
        scale = image.dpi / 72.0
        out = work_dir / f"ocr-{image.index:05d}.pdf"
        boxes = write_invisible_text_page(
            lines, width_pt=image.width_px / scale, height_pt=image.height_px / scale, output_path=out
        )
        line_of: dict[float, int] = {}
        words = tuple(
            OcrWord(
                text=word,
                left=round(x * scale),
                top=round(top * scale),
                width=round(width * scale),
                height=round(12 * scale),
                confidence=self.confidence,
                block=1,
                line=line_of.setdefault(top, len(line_of) + 1),
            )
            for word, x, top, width in boxes
        )
        return PageText(
            index=image.index,
            text=text,
            source="ocr",
            words=words,
            confidence=self.confidence if words else None,
            text_pdf=out,
        )


def load_engine(config: Settings | str) -> OcrEngine:
    """The engine ``settings.ocr_engine`` names, or the one named.

    Names: ``tesseract``, ``fake``, or ``package.module:attr`` (an engine, or a factory of
    one). Tesseract from settings runs their program, memory cap and page timeout; from a
    bare name, the defaults.
    """
    name = config.ocr_engine if isinstance(config, Settings) else config
    if name == "tesseract":
        return TesseractEngine.from_settings(config) if isinstance(config, Settings) else TesseractEngine()
    if name == "fake":
        return FakeOcrEngine()
    module_name, sep, attr = name.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigurationError(
            f"unknown OCR engine {name!r} (tesseract, fake or module:attr)", code="unknown_ocr_engine"
        )
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load OCR engine {name!r}: {exc}", code="unknown_ocr_engine") from exc
    engine = target if isinstance(target, OcrEngine) and not isinstance(target, type) else target()
    if not isinstance(engine, OcrEngine):
        raise ConfigurationError(f"{name!r} is not an OCR engine", code="unknown_ocr_engine")
    return engine
