"""DejaVu subsets embedded as Type0/CIDFontType2 with Identity-H and a ToUnicode map, so the
sheet's text prints in Vietnamese and can be extracted from the PDF."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Stream

from sohoa.core.errors import ConfigurationError
from sohoa.core.text import nfc

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class _FontFile:
    path: Path
    cmap: dict[int, str]
    advances: dict[str, int]
    units_per_em: int


@lru_cache(maxsize=8)
def _font_file(path: Path) -> _FontFile:
    if not path.is_file():
        raise ConfigurationError(
            f"font {path} not found (install fonts-dejavu-core)", code="font_missing", details={"path": str(path)}
        )
    with TTFont(path, lazy=True) as tt:
        return _FontFile(
            path=path,
            cmap=dict(tt.getBestCmap()),
            advances={name: metric[0] for name, metric in tt["hmtx"].metrics.items()},
            units_per_em=int(tt["head"].unitsPerEm),
        )


class Font:
    """One font of a document: measures text while laying out, then embeds the subset it used."""

    def __init__(self, key: str, path: Path) -> None:
        self.key = key
        self.file = _font_file(path)
        self.chars: set[str] = set()

    def width(self, text: str, size: float) -> float:
        units = sum(
            self.file.advances.get(self.file.cmap.get(ord(ch), ".notdef"), 0)
            for ch in _glyph_chars(text, self.file.cmap)
        )
        return units * size / self.file.units_per_em

    def use(self, text: str) -> list[str]:
        chars = [ch for ch in _glyph_chars(text, self.file.cmap) if ord(ch) in self.file.cmap]
        self.chars.update(chars)
        return chars

    def embed(self, pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, dict[str, int]]:
        """The font dictionary and the glyph id of each used character."""
        options = ft_subset.Options()
        options.layout_features = []
        options.hinting = False
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep copyright and licence-relevant names
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM"]
        with TTFont(self.file.path) as tt:
            subsetter = ft_subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(ord(ch) for ch in self.chars))
            subsetter.subset(tt)
            cmap = tt.getBestCmap()
            gids = {ch: tt.getGlyphID(cmap[ord(ch)]) for ch in self.chars}
            widths = {gid: tt["hmtx"][tt.getGlyphName(gid)][0] for gid in gids.values()}
            scale = 1000.0 / tt["head"].unitsPerEm
            head, hhea, os2 = tt["head"], tt["hhea"], tt["OS/2"]
            fixed = bool(tt["post"].isFixedPitch)
            buf = io.BytesIO()
            tt.save(buf)
        data = buf.getvalue()
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256("".join(sorted(self.chars)).encode()).digest()[:6])
        base = Name(f"/{tag}+{self.file.path.stem.replace(' ', '')}")
        font_file = Stream(pdf, data)
        font_file.Length1 = len(data)
        descriptor = Dictionary(
            Type=Name.FontDescriptor,
            FontName=base,
            Flags=32 | (1 if fixed else 0),
            FontBBox=Array([round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]),
            ItalicAngle=0,
            Ascent=round(hhea.ascent * scale),
            Descent=round(hhea.descent * scale),
            CapHeight=round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
            StemV=80,
            FontFile2=font_file,
        )
        w_array = Array()
        for gid in sorted(widths):
            w_array.append(gid)
            w_array.append(Array([round(widths[gid] * scale)]))
        cid_font = Dictionary(
            Type=Name.Font,
            Subtype=Name.CIDFontType2,
            BaseFont=base,
            CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=pdf.make_indirect(descriptor),
            W=w_array,
            CIDToGIDMap=Name.Identity,
        )
        font = Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=base,
            Encoding=Name("/Identity-H"),
            DescendantFonts=Array([pdf.make_indirect(cid_font)]),
            ToUnicode=Stream(pdf, _to_unicode_cmap(gids)),
        )
        return pdf.make_indirect(font), gids


def _glyph_chars(text: str, cmap: dict[int, str]) -> Iterator[str]:
    """Characters to draw: NFC letters, their decomposition when the font lacks the composed glyph."""
    for ch in nfc(text):
        if ord(ch) in cmap:
            yield ch
            continue
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) > 1 and all(ord(p) in cmap for p in parts):
            yield from parts
        else:
            yield "?"


def _to_unicode_cmap(gids: dict[str, int]) -> bytes:
    entries = sorted((gid, ch) for ch, gid in gids.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for gid, ch in chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


class Fonts:
    """The two fonts of a sheet document: regular for labels and notes, bold for what is filled in."""

    def __init__(self, font_dir: Path) -> None:
        self.regular = Font("F1", font_dir / "DejaVuSans.ttf")
        # Codes in plain bold, not DejaVu Mono: its dotted zero reads as 6, 8 or 9 to tesseract.
        self.bold = Font("F2", font_dir / "DejaVuSans-Bold.ttf")

    def all(self) -> tuple[Font, ...]:
        return (self.regular, self.bold)
