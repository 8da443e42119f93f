"""The visible stamp of an electronic copy (Nghị định 30/2020, Phụ lục I): top right of page 1, the copy
type (``SAO Y``), the copying agency and the signing time in ISO 8601 with the Vietnam offset.

Archived copies carry an invisible signature; the stamp is chosen with ``SOHOA_STAMP=none|copy``
(default ``none``). It is the appearance of the signature's own widget, drawn in the revision the
signature covers: black text, 10 pt, a serif font with full Vietnamese coverage embedded (pyHanko's
default font is Courier without those glyphs), no image, no border.

The time shown is the signature's own signing time (the one in its /M entry and CMS attributes),
converted to UTC+07:00: pyHanko formats that time into the stamp, we only change its time zone.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.stamp import TextStampStyle

from core.errors import ConfigurationError

__all__ = [
    "COPY_TYPE",
    "FONT_CANDIDATES",
    "STAMP_ENV",
    "STAMP_FONT_ENV",
    "VIETNAM",
    "CopyStamp",
    "copy_stamp_from_env",
    "find_font",
    "stamp_field",
    "stamp_lines",
    "vietnam_time",
]

STAMP_ENV = "SOHOA_STAMP"
STAMP_FONT_ENV = "SOHOA_STAMP_FONT"
COPY_TYPE = "SAO Y"
VIETNAM = dt.timezone(dt.timedelta(hours=7))  # no daylight saving time in Vietnam
# Times-like fonts first (Liberation Serif has Times New Roman's metrics), DejaVu Serif last.
FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/freefont/FreeSerif.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
)
# Every letter Vietnamese writes, so a font chosen once serves any agency name.
_VIETNAMESE = unicodedata.normalize(
    "NFC",
    "ĂÂĐÊÔƠƯăâđêôơư"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "0123456789:+-T",
)
_MARGIN = 28.0  # points from the top and right edges of the page (about 1 cm)
_PADDING = 2  # an int: pyHanko computes box ratios as fractions
_LEADING = 12
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # parsed back by _CopyStampStyle

# The subsetter warns on stderr, once per signature, that it drops a table PDF never reads (FFTM).
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


@dataclass(frozen=True)
class CopyStamp:
    """What the stamp says besides the time; the font is found when not given."""

    agency_name: str
    copy_type: str = COPY_TYPE
    font_path: Path | None = None
    font_size: int = 10


def vietnam_time(moment: dt.datetime) -> str:
    """``2025-01-15T09:30:00+07:00``: ISO 8601 to the second, Vietnam offset."""
    return moment.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def stamp_lines(stamp: CopyStamp, signed_at: dt.datetime) -> tuple[str, str, str]:
    return (
        unicodedata.normalize("NFC", stamp.copy_type),
        unicodedata.normalize("NFC", stamp.agency_name),
        vietnam_time(signed_at),
    )


def copy_stamp_from_env(agency_name: str, environ: Mapping[str, str] | None = None) -> CopyStamp | None:
    """``SOHOA_STAMP`` (``none`` or ``copy``) and ``SOHOA_STAMP_FONT`` (a .ttf/.otf path)."""
    env = os.environ if environ is None else environ
    mode = (env.get(STAMP_ENV) or "none").strip().lower()
    if mode not in ("none", "copy"):
        raise ConfigurationError(f"{STAMP_ENV} must be 'none' or 'copy', not {mode!r}", code="invalid_stamp")
    if mode == "none":
        return None
    font = env.get(STAMP_FONT_ENV) or None
    stamp = CopyStamp(agency_name=agency_name, font_path=Path(font) if font else None)
    find_font(stamp.font_path, stamp_lines(stamp, dt.datetime.now(dt.UTC)))  # fail on start, not per document
    return stamp


def find_font(wanted: Path | None, lines: Iterable[str]) -> Path:
    """``wanted``, or the first candidate font that draws every Vietnamese letter and ``lines``."""
    text = "".join(lines)
    for candidate in (wanted,) if wanted is not None else FONT_CANDIDATES:
        if candidate.exists() and not _missing_glyphs(str(candidate), text + _VIETNAMESE):
            return candidate
    if wanted is not None:
        missing = _missing_glyphs(str(wanted), text + _VIETNAMESE) if wanted.exists() else "the file"
        raise ConfigurationError(f"stamp font {wanted} cannot be used: missing {missing}", code="stamp_font_unusable")
    raise ConfigurationError(
        "no font with Vietnamese letters for the stamp: install fonts-liberation2 (or fonts-dejavu-core) "
        f"or set {STAMP_FONT_ENV}",
        code="stamp_font_missing",
    )


def _missing_glyphs(path: str, text: str) -> str:
    cmap, _, _ = _font_tables(path)
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in cmap}))


@cache
def _font_tables(path: str) -> tuple[dict[int, str], dict[str, int], int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        cmap = dict(font.getBestCmap())
        advances = {name: width for name, (width, _) in font["hmtx"].metrics.items()}
        units = int(font["head"].unitsPerEm)
    return cmap, advances, units


@cache
def _font_bytes(path: str, text: str) -> bytes:
    """The font cut down to ASCII, the Vietnamese letters and ``text``, at 1000 units per em.

    Cut once per process: pyHanko subsets the font it embeds for every signature, and subsetting a
    whole text font costs about as much as the signature itself.
    Rescaled: pyHanko writes glyph advances in font units into the PDF's /W array, which PDF reads
    as thousandths of an em; a 2048-unit TrueType font (Liberation, DejaVu) would be drawn with
    its letters twice as far apart."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    keep = {ord(c) for c in text + _VIETNAMESE} | set(range(0x20, 0x7F))
    options = subset.Options()
    options.layout_features = ["*"]  # kerning and mark positioning stay
    options.name_IDs = ["*"]  # pyHanko reads the PostScript name
    options.notdef_outline = True
    with TTFont(path) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep)
        subsetter.subset(font)
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


class _EmbeddedFont(FontEngineFactory):
    """Like pyHanko's ``GlyphAccumulatorFactory``, over the rescaled font (see ``_font_bytes``)."""

    def __init__(self, path: Path, font_size: int, text: str) -> None:
        self.path = path
        self.font_size = font_size
        self.text = text

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(str(self.path), self.text)),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _text_width(path: str, text: str, size: float) -> float:
    cmap, advances, units = _font_tables(path)
    return sum(advances.get(cmap.get(ord(c), ".notdef"), units // 2) for c in text) * size / units


@dataclass(frozen=True)
class _CopyStampStyle(TextStampStyle):
    """pyHanko formats the signing time in the machine's zone; the stamp shows it in Vietnam's.

    ``drawn`` collects the times drawn, so the caller can report the stamp's exact text."""

    drawn: list[str] = field(default_factory=list)

    def create_stamp(self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]) -> Any:
        shown = vietnam_time(dt.datetime.strptime(text_params["ts"], _TS_FORMAT))
        self.drawn.append(shown)
        return super().create_stamp(writer, box, {**text_params, "vn_time": shown})


def stamp_field(
    stamp: CopyStamp, writer: IncrementalPdfFileWriter, field_name: str
) -> tuple[SigFieldSpec, _CopyStampStyle]:
    """The visible field at the top right of page 1 and its appearance style (whose ``drawn`` lists
    the time it showed, once signed)."""
    sample = stamp_lines(stamp, dt.datetime(2000, 1, 1, tzinfo=VIETNAM))
    font = find_font(stamp.font_path, sample)
    width = max(_text_width(str(font), line, stamp.font_size) for line in sample) + 2 * _PADDING + 4
    height = len(sample) * _LEADING + 2 * _PADDING + 2
    left, _, right, top = _visible_box(writer)
    x2, y2 = right - _MARGIN, top - _MARGIN
    # a name too long for the page starts at the left margin rather than off the page
    box = (int(max(left + _MARGIN, x2 - width)), int(y2 - height), int(x2 + 1), int(y2))
    copy_type, agency, _ = (line.replace("%", "%%") for line in sample)
    style = _CopyStampStyle(
        stamp_text=f"{copy_type}\n{agency}\n%(vn_time)s",
        timestamp_format=_TS_FORMAT,
        border_width=0,
        background=None,
        text_box_style=TextBoxStyle(
            font=_EmbeddedFont(font, stamp.font_size, "".join(sorted(set("".join(sample))))),
            font_size=stamp.font_size,
            leading=_LEADING,
            border_width=0,
            text_color=(0, 0, 0),
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins.uniform(_PADDING),
                inner_content_scaling=layout.InnerScaling.NO_SCALING,
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
    )
    return SigFieldSpec(sig_field_name=field_name, on_page=0, box=box), style


def _visible_box(writer: IncrementalPdfFileWriter) -> tuple[float, float, float, float]:
    """Page 1's crop box (else media box), normalised to (left, bottom, right, top).

    Placed in the page's own coordinates: a page with /Rotate shows the stamp at another corner."""
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    box: Literal["/CropBox", "/MediaBox"] = "/CropBox" if "/CropBox" in page else "/MediaBox"
    node: Any = page
    while box not in node and "/Parent" in node:  # the media box may be inherited
        node = node["/Parent"]
    x1, y1, x2, y2 = (float(v) for v in node[box]) if box in node else (0.0, 0.0, 595.0, 842.0)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
