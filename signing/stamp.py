"""The visible stamp of an electronic copy (Nghị định 30/2020, Phụ lục I): top right of page 1, the copy
type (``SAO Y``), the copying agency and the signing time in ISO 8601 with the Vietnam offset.

Archived copies carry an invisible signature; the stamp is chosen with ``Settings.stamp``
(``SOHOA_STAMP=none|copy``, default ``none``). It is the appearance of the signature's own widget,
drawn in the revision the signature covers: black text, 10 pt, a serif font with full Vietnamese
coverage embedded (pyHanko's default font is Courier without those glyphs), no image, no border.

The time shown is the signature's own signing time (the one in its /M entry and CMS attributes),
converted to UTC+07:00: pyHanko formats that time into the stamp, we only change its time zone.

"Top right" is as the reader sees the page: on a page with /Rotate the widget goes to the page
corner that is displayed top right, and its appearance is turned so the text reads upright. It covers
no printed content: when the page has ink at the usual place (``_MARGIN`` from the top and right), the
stamp moves to the nearest empty space, up into the margin first, and shrinks (down to
``_SMALLEST`` pt) when the full size fits nowhere (``signing.stamp_space``).

The colour is the rule's: Phụ lục I, Phần II, Mục I, khoản 3 of Nghị định 30/2020 (the agency's
digital signature on an electronic copy) asks for the copy type, the copying agency and the signing
time in Times New Roman, upright, 10 pt, "màu đen" (black), and for no image of the seal; the red of
Phần I, khoản 8 is the seal image of a document's own issuer, not a copy's mark.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.stamp import TextStamp, TextStampStyle

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import Settings
from sohoa.signing.stamp_space import BAND, InkMap, Placement, ink_map, place

__all__ = [
    "COPY_TYPE",
    "FONT_CANDIDATES",
    "VIETNAM",
    "CopyStamp",
    "find_font",
    "stamp_field",
    "stamp_from_settings",
    "stamp_lines",
    "vietnam_time",
]

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
_MARGIN = 28.0  # points from the top and right edges of the page as displayed (about 1 cm)
_PADDING = 2  # an int: pyHanko computes box ratios as fractions
_SMALLEST = 6  # points: the stamp shrinks to this at most to stay off printed content
_TOP_MARGIN = 72.0  # points (25 mm): the largest top margin Nghị định 30 (Phụ lục I) allows
# Nghị định 30/2020, Phụ lục I, Phần II, Mục I, khoản 3c: the copy's information in Times New Roman,
# lower case, upright, 10 pt, black ("màu đen"); red is for the image of a seal, which a copy's
# signature does not show (khoản 3b: "không hiển thị").
BLACK = (0, 0, 0)
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # parsed back by _CopyStampStyle

# The subsetter warns on stderr, once per signature, that it drops a table PDF never reads (FFTM).
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
log = logging.getLogger(__name__)


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


def stamp_from_settings(settings: Settings) -> CopyStamp | None:
    """The stamp ``settings.stamp`` asks for (None: invisible signatures), in ``settings.stamp_font``
    when set; the font is checked now, so a bad one fails on start rather than per document."""
    if settings.stamp == "none":
        return None
    stamp = CopyStamp(agency_name=settings.agency_name, font_path=settings.stamp_font)
    find_font(stamp.font_path, stamp_lines(stamp, dt.datetime.now(dt.UTC)))
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
        "or set SOHOA_STAMP_FONT",
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


# The appearance's /Matrix per page rotation: turns the stamp drawn upright in its own (w, h) box by
# the opposite of the page's clockwise /Rotate, so the viewer's rotation makes it upright again; the
# translation keeps the turned box at the origin (a viewer fits it into the widget's /Rect either way).
def _turn(rotation: int, width: float, height: float) -> tuple[float, ...]:
    return {
        0: (1, 0, 0, 1, 0, 0),
        90: (0, 1, -1, 0, height, 0),
        180: (-1, 0, 0, -1, width, height),
        270: (0, -1, 1, 0, 0, width),
    }[rotation]


class _TurnedTextStamp(TextStamp):
    """A text stamp whose form XObject carries the /Matrix that turns it for a rotated page."""

    def __init__(self, *args: Any, rotation: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rotation = rotation

    def as_form_xobject(self) -> generic.StreamObject:
        xobject = super().as_form_xobject()
        if self.rotation:
            matrix = _turn(self.rotation, self.box.width, self.box.height)
            xobject["/Matrix"] = generic.ArrayObject(generic.FloatObject(v) for v in matrix)
        return xobject


@dataclass(frozen=True)
class _CopyStampStyle(TextStampStyle):
    """pyHanko formats the signing time in the machine's zone; the stamp shows it in Vietnam's.

    ``drawn`` collects the times drawn, so the caller can report the stamp's exact text.
    ``rotation`` is the page's /Rotate: the widget's box, given in page space, is the stamp's box
    turned by it."""

    drawn: list[str] = field(default_factory=list)
    rotation: int = 0

    def create_stamp(self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]) -> Any:
        shown = vietnam_time(dt.datetime.strptime(text_params["ts"], _TS_FORMAT))
        self.drawn.append(shown)
        if self.rotation in (90, 270):
            box = layout.BoxConstraints(width=box.height, height=box.width)
        params = {**text_params, "vn_time": shown}
        return _TurnedTextStamp(writer=writer, style=self, box=box, text_params=params, rotation=self.rotation)


def _stamp_size(font: Path, lines: tuple[str, ...], font_size: int) -> tuple[float, float]:
    """The widget's width and height at ``font_size``, in points."""
    width = max(_text_width(str(font), line, font_size) for line in lines) + 2 * _PADDING + 4
    height = len(lines) * _leading(font_size) + 2 * _PADDING + 2
    return width + 2, height + 1  # the box is widened to whole points on each side


def _leading(font_size: int) -> int:
    return font_size + 2  # 12 pt lines for the 10 pt text Nghị định 30 asks for


def _page_ink(writer: IncrementalPdfFileWriter) -> InkMap | None:
    """The ink of the input's page 1, read from the writer's own input (pdfium reads what it needs,
    not the whole file); its position is given back for pyHanko."""
    stream = getattr(writer, "input_stream", None)
    if stream is None:
        return None
    at = stream.tell()
    try:
        stream.seek(0)
        return ink_map(stream)
    finally:
        stream.seek(at)


def _where(
    writer: IncrementalPdfFileWriter, view: _PageView, font: Path, lines: tuple[str, ...], font_size: int
) -> tuple[int, float, float, float, float]:
    """Font size and box (displayed: left, top from the top, width, height) of the stamp: the usual place
    (``_MARGIN`` from the top and right) when it covers no ink, else the nearest empty place, at a
    smaller size when the full one fits nowhere (see ``stamp_space``)."""
    width, height = _stamp_size(font, lines, font_size)
    # A name too long for the page starts at the left margin rather than off the page.
    usual = (max(_MARGIN, view.width - _MARGIN - width), float(_MARGIN))
    ink = _page_ink(writer)
    if ink is None:
        return font_size, usual[0], usual[1], width, height
    sizes = [(size, *_stamp_size(font, lines, size)) for size in range(font_size, _SMALLEST - 1, -1)]
    right = view.width - _MARGIN
    # In the top margin first, smaller if need be; then lower in the top of the page; else least ink.
    covering: list[tuple[int, Placement, float, float]] = []
    for lowest in (_TOP_MARGIN, ink.height * BAND):
        for size, w, h in sizes:
            spot = place(ink, w, h, right=right, top=_MARGIN, lowest=lowest)
            if spot is None:
                continue
            if spot.ink == 0:
                return size, spot.left, spot.top, w, h
            covering.append((size, spot, w, h))
    if not covering:
        return font_size, usual[0], usual[1], width, height
    size, spot, w, h = min(covering, key=lambda c: (c[1].ink, -c[0]))
    log.warning("no empty space for the copy stamp on page 1: placed where it covers the least ink")
    return size, spot.left, spot.top, w, h


def stamp_field(
    stamp: CopyStamp, writer: IncrementalPdfFileWriter, field_name: str
) -> tuple[SigFieldSpec, _CopyStampStyle]:
    """The visible field at the top right of page 1 as displayed, in empty space, and its appearance
    style (whose ``drawn`` lists the time it showed, once signed)."""
    sample = stamp_lines(stamp, dt.datetime(2000, 1, 1, tzinfo=VIETNAM))
    font = find_font(stamp.font_path, sample)
    view = _PageView.of_first_page(writer)
    font_size, left, top, width, height = _where(writer, view, font, sample, stamp.font_size)
    # Placed as the reader sees the page (origin at its displayed bottom left), then mapped back to
    # page space.
    bottom = view.height - top - height
    box = view.to_page(left, bottom, left + width, view.height - top)
    copy_type, agency, _ = (line.replace("%", "%%") for line in sample)
    style = _CopyStampStyle(
        rotation=view.rotation,
        stamp_text=f"{copy_type}\n{agency}\n%(vn_time)s",
        timestamp_format=_TS_FORMAT,
        border_width=0,
        background=None,
        text_box_style=TextBoxStyle(
            font=_EmbeddedFont(font, font_size, "".join(sorted(set("".join(sample))))),
            font_size=font_size,
            leading=_leading(font_size),
            border_width=0,
            text_color=BLACK,
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


@dataclass(frozen=True)
class _PageView:
    """A page as displayed: its visible area (crop box within the media box, in page space) and the
    clockwise quarter turns of its /Rotate."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int  # 0, 90, 180 or 270

    @classmethod
    def of_first_page(cls, writer: IncrementalPdfFileWriter) -> _PageView:
        page_ref, _ = writer.find_page_for_modification(0)
        page = page_ref.get_object()
        media = _rectangle(_inherited(page, "/MediaBox")) or (0.0, 0.0, 595.0, 842.0)
        crop = _rectangle(_inherited(page, "/CropBox")) or media
        # what lies outside the media box is never shown, whatever the crop box says
        left, bottom = max(crop[0], media[0]), max(crop[1], media[1])
        right, top = min(crop[2], media[2]), min(crop[3], media[3])
        if right <= left or top <= bottom:
            left, bottom, right, top = media
        raw = _inherited(page, "/Rotate")
        try:
            turns = int(float(raw)) if raw is not None else 0  # pyHanko reads 90.0 as a Decimal
        except (TypeError, ValueError):
            turns = 0
        if turns % 90:
            # The file breaks the PDF rule (a multiple of 90); viewers then differ (poppler shows it
            # unturned): place the stamp on the unturned page rather than refuse to sign.
            log.warning("page 1 has /Rotate %s, not a multiple of 90: stamped as if unturned", raw)
            turns = 0
        return cls(left, bottom, right, top, turns % 360)

    @property
    def width(self) -> float:
        return self.top - self.bottom if self.rotation in (90, 270) else self.right - self.left

    @property
    def height(self) -> float:
        return self.right - self.left if self.rotation in (90, 270) else self.top - self.bottom

    def point(self, u: float, v: float) -> tuple[float, float]:
        """Page space of the displayed point ``u`` from the left and ``v`` up from the bottom."""
        if self.rotation == 90:  # the page's right edge is shown at the bottom
            return self.right - v, self.bottom + u
        if self.rotation == 180:
            return self.right - u, self.top - v
        if self.rotation == 270:  # the page's left edge is shown at the bottom
            return self.left + v, self.top - u
        return self.left + u, self.bottom + v

    def to_page(self, u1: float, v1: float, u2: float, v2: float) -> tuple[int, int, int, int]:
        """The displayed rectangle in page space, widened to whole points."""
        (x1, y1), (x2, y2) = self.point(u1, v1), self.point(u2, v2)
        return (
            math.floor(min(x1, x2)),
            math.floor(min(y1, y2)),
            math.ceil(max(x1, x2)),
            math.ceil(max(y1, y2)),
        )


def _inherited(page: Any, key: str) -> Any:
    """``key`` of the page or, for the inheritable ones, of its nearest ancestor that has it."""
    node = page
    while key not in node:
        if "/Parent" not in node:
            return None
        node = node["/Parent"]
    return node[key]  # indexing, unlike get(), resolves an indirect reference


def _rectangle(value: Any) -> tuple[float, float, float, float] | None:
    """A PDF rectangle normalised to (left, bottom, right, top); None when absent or malformed."""
    try:
        x1, y1, x2, y2 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
