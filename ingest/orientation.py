"""Page geometry: quarter-turn orientation and skew, found on a small binarized copy.

Text lines make the row profile of ink peaky; the angle that maximizes the sum of
squared differences of adjacent row sums is the skew (projection profiles), and whether
rows or columns give the stronger profile tells portrait text from sideways text. Up
from down: in Latin scripts, and more so in Vietnamese with its marks above the letters,
a line carries much more ink above its x-height band (ascenders, capitals, diacritics)
than below it (descenders, the dot below). Only when that evidence is weak does the
page go to tesseract's OSD, which costs a third of an OCR pass.

All of it runs on a copy of about 60-100 dpi in a few tens of milliseconds.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sohoa.core.errors import OcrError
from sohoa.ingest.tesseract import DEFAULT_MEMORY_MB, detect_orientation_osd

__all__ = [
    "PageGeometry",
    "apply_geometry",
    "detect_geometry",
    "estimate_skew",
    "otsu_threshold",
    "up_down_ratio",
]

MAX_SKEW = 8.0  # degrees searched either way
_SKEW_DPI = 50.0
_UPDOWN_DPI = 100.0
# Above/below ink ratio beyond which up/down is taken as certain (else ask OSD).
_UPDOWN_SURE = 1.4
# Ratio of row-profile to column-profile strength beyond which the text direction is certain.
_QUARTER_SURE = 3.0
# A profile peak this many times its value 2 degrees off is the mark of long text lines.
_SHARP = 2.5
# Below this, a strong profile has no angular peak at all: no evidence of text lines.
_BLUNT = 1.5
_OSD_MIN_CONFIDENCE = 2.0
# Skews smaller than this are not worth resampling the page for.
MIN_DESKEW = 0.15


@dataclass(frozen=True)
class PageGeometry:
    rotation: int  # clockwise quarter turn that makes the page upright: 0, 90, 180, 270
    skew: float  # degrees, counter-clockwise, of the text lines once upright
    updown_ratio: float = 1.0  # evidence for the up/down decision (>1: as rotated is upright)
    source: str = "profile"  # "profile", "osd", "unsure" (weak evidence), "none" (blank page)
    line_height: float | None = None  # median height of a text line, inches (None: too few lines)


def otsu_threshold(hist: list[int]) -> int:
    """Otsu's threshold of a 256-bin histogram (pixels <= threshold are ink)."""
    total = sum(hist)
    if total == 0:
        return 127
    sum_all = sum(i * h for i, h in enumerate(hist))
    weight_bg, sum_bg, best, best_t = 0, 0.0, -1.0, 127
    for t in range(256):
        weight_bg += hist[t]
        if weight_bg == 0:
            continue
        weight_fg = total - weight_bg
        if weight_fg == 0:
            break
        sum_bg += t * hist[t]
        mean_bg, mean_fg = sum_bg / weight_bg, (sum_all - sum_bg) / weight_fg
        between = weight_bg * weight_fg * (mean_bg - mean_fg) ** 2
        if between > best:
            best, best_t = between, t
    return best_t


def _reduction(dpi: float, target_dpi: float) -> int:
    return max(1, int(dpi / target_dpi))


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2])


def _ink_image(img: Image.Image, dpi: float, target_dpi: float) -> Image.Image:
    """A small "L" image with ink 255 and paper 0."""
    return _ink_images(img, dpi, target_dpi, target_dpi)[0]


def _ink_images(
    img: Image.Image, dpi: float, coarse_dpi: float, fine_dpi: float
) -> tuple[Image.Image, Image.Image, float]:
    """Ink images at about ``coarse_dpi`` and ``fine_dpi`` (and the latter's exact dpi).

    One grey conversion and one reduction of the full page serve both.
    """
    grey = img if img.mode == "L" else img.convert("L")
    factor = _reduction(dpi, fine_dpi)
    if factor > 1:
        grey = grey.reduce(factor)
    threshold = otsu_threshold(grey.histogram())
    fine_exact = dpi / factor
    coarse_factor = _reduction(fine_exact, coarse_dpi)
    coarse = grey.reduce(coarse_factor) if coarse_factor > 1 else grey

    # 8-bit row means are precise enough (a row is a few hundred pixels) and twice as fast.
    def ink(image: Image.Image) -> Image.Image:
        return image.point(lambda v: 255 if v <= threshold else 0)

    return ink(coarse), ink(grey), fine_exact


def _row_profile(ink: Image.Image) -> list[float]:
    column = ink.resize((1, ink.height), Image.Resampling.BOX)
    return [float(v) for v in column.get_flattened_data()]  # type: ignore[arg-type]


def _profile_score(ink: Image.Image, angle: float) -> float:
    rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST) if angle else ink
    profile = _row_profile(rotated)
    return sum((b - a) ** 2 for a, b in itertools.pairwise(profile))


@dataclass(frozen=True)
class _Fit:
    angle: float  # rotation (counter-clockwise) that levels the lines best
    score: float
    sharpness: float  # best score over the score 2 degrees off: long text lines give a sharp peak


def _best_angle(ink: Image.Image, coarse: list[float]) -> _Fit:
    scores = {angle: _profile_score(ink, angle) for angle in coarse}
    best = max(scores, key=lambda a: scores[a])
    step = coarse[1] - coarse[0] if len(coarse) > 1 else 1.0
    while step > 0.125:
        step /= 2
        for angle in (best - step, best + step):
            if angle not in scores:
                scores[angle] = _profile_score(ink, angle)
        best = max(scores, key=lambda a: scores[a])
    off = max(scores.get(a, 0.0) or _profile_score(ink, a) for a in (best - 2, best + 2))
    return _Fit(best, scores[best], scores[best] / off if off > 0 else _SHARP)


def estimate_skew(img: Image.Image, dpi: float) -> float:
    """Skew of the text lines in degrees (counter-clockwise), within ±MAX_SKEW."""
    ink = _ink_image(img, dpi, _SKEW_DPI)
    # The best angle is the rotation that levels the lines: the skew is its opposite.
    return -_best_angle(ink, _coarse_angles()).angle


def _coarse_angles() -> list[float]:
    limit = 2 * math.ceil(MAX_SKEW / 2)
    return [float(a) for a in range(-limit, limit + 1, 2)]


def _bands(profile: list[float]) -> list[tuple[float, float, int]]:
    """(ink above, ink below) the x-height band, and the height in rows, of each text line of one
    row profile."""
    peak = max(profile, default=0.0)
    bands: list[tuple[float, float, int]] = []
    if peak <= 0:
        return bands
    floor = peak * 0.04
    row = 0
    while row < len(profile):
        if profile[row] <= floor:
            row += 1
            continue
        start = row
        while row < len(profile) and profile[row] > floor:
            row += 1
        band = profile[start:row]
        if len(band) < 3:
            continue
        core_level = max(band) * 0.5
        core = [i for i, v in enumerate(band) if v >= core_level]
        bands.append((sum(band[: core[0]]), sum(band[core[-1] + 1 :]), len(band)))
    return bands


# A band this many times the usual line's height is no line of text: a seal, a signature, a
# picture. Its ink above and below says nothing of up and down, and on a sparse page (a signature
# block alone on the last page) it would outweigh the few printed lines.
_TALL_BAND = 2.0


def _line_evidence(ink: Image.Image, strips: int = 4) -> tuple[float, list[int]]:
    bands: list[tuple[float, float, int]] = []
    width = ink.width // strips
    for strip in range(strips):
        part = ink.crop((strip * width, 0, (strip + 1) * width, ink.height))
        bands += _bands(_row_profile(part))
    heights = [h for _, _, h in bands]
    usual = _median(heights) if heights else 0.0
    lines = [(a, b) for a, b, h in bands if h <= _TALL_BAND * usual]
    above, below = sum(a for a, _ in lines), sum(b for _, b in lines)
    if below <= 0:
        return (10.0 if above > 0 else 1.0), heights
    return above / below, heights


def up_down_ratio(ink: Image.Image, strips: int = 4) -> float:
    """Ink above the x-height band over ink below it, summed over text lines.

    ``ink`` is levelled and either upright or upside down; > 1 means upright. The page
    is cut into vertical strips first: side-by-side blocks (the two-column header of an
    administrative letter) have lines at different heights that would merge.
    """
    return _line_evidence(ink, strips)[0]


def _osd_rotation(
    img: Image.Image, dpi: float, work_dir: Path, stem: str, *, binary: str | None, memory_mb: int
) -> int | None:
    # OSD is reliable from about 100 dpi; a smaller copy keeps it cheap.
    factor = max(1, int(dpi / 150))
    # Pillow cannot reduce bilevel images: OSD reads grey anyway.
    grey = img if img.mode == "L" else img.convert("L")
    small = grey.reduce(factor) if factor > 1 else grey
    path = work_dir / f"{stem}-osd.pgm"
    small.save(path, dpi=(dpi / factor, dpi / factor))
    try:
        result = detect_orientation_osd(path, binary=binary, memory_mb=memory_mb)
    except OcrError:
        return None
    finally:
        path.unlink(missing_ok=True)
    if result.confidence < _OSD_MIN_CONFIDENCE:
        return None
    return result.rotate


def _text_direction(upright: _Fit, side: _Fit) -> tuple[int, bool]:
    """(0 for lines across the page or 90 for lines along it, whether that is certain).

    Two kinds of evidence must not disagree: which way the profile is stronger, and which
    way it has the sharp angular peak that only long text lines give (the columns of a
    single word, or of a magazine layout, can make a strong but blunt profile).
    """
    lines_ratio = upright.score / side.score if side.score > 0 else _QUARTER_SURE
    if upright.sharpness >= _SHARP and upright.sharpness >= 2 * side.sharpness and lines_ratio >= 2 / 3:
        return 0, True
    if side.sharpness >= _SHARP and side.sharpness >= 2 * upright.sharpness and lines_ratio <= 3 / 2:
        return 90, True
    if lines_ratio >= _QUARTER_SURE and upright.sharpness >= max(side.sharpness, _BLUNT):
        return 0, True
    if lines_ratio <= 1 / _QUARTER_SURE and side.sharpness >= max(upright.sharpness, _BLUNT):
        return 90, True
    return (0 if lines_ratio >= 1 else 90), False


def detect_geometry(
    img: Image.Image,
    dpi: float,
    *,
    work_dir: Path | None = None,
    stem: str = "page",
    use_osd: bool = True,
    binary: str | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> PageGeometry:
    """Find the quarter turn and the skew that make ``img`` upright and level.

    Full pages give overwhelming evidence; sparse ones (a few words) may not, and then
    tesseract's OSD decides, or, when it cannot either, the page is not turned. OSD runs
    the tesseract ``binary`` under ``memory_mb`` (see :mod:`ingest.tesseract`): pass those
    OCR runs with.
    """
    ink, fine, fine_dpi = _ink_images(img, dpi, _SKEW_DPI, _UPDOWN_DPI)
    if max(_row_profile(ink), default=0.0) <= 0:
        return PageGeometry(rotation=0, skew=0.0, source="none")
    coarse = _coarse_angles()
    upright = _best_angle(ink, coarse)
    side = _best_angle(ink.transpose(Image.Transpose.ROTATE_90), coarse)
    quarter, quarter_sure = _text_direction(upright, side)
    skew = -(side.angle if quarter else upright.angle)

    if quarter:
        fine = fine.transpose(Image.Transpose.ROTATE_90)
    level = fine.rotate(-skew, resample=Image.Resampling.BILINEAR) if skew else fine
    ratio, heights = _line_evidence(level)
    line_height = _median(heights) / fine_dpi if len(heights) >= 5 else None
    updown_sure = ratio >= _UPDOWN_SURE or ratio <= 1 / _UPDOWN_SURE
    # ROTATE_90 turns counter-clockwise: the clockwise turn that undoes a sideways page is 270.
    base = 270 if quarter else 0
    flipped = (base + 180) % 360
    if quarter_sure and updown_sure:
        return PageGeometry(
            rotation=base if ratio > 1 else flipped, skew=skew, updown_ratio=ratio, line_height=line_height
        )
    osd = (
        _osd_rotation(img, dpi, work_dir, stem, binary=binary, memory_mb=memory_mb)
        if use_osd and work_dir is not None
        else None
    )
    if osd is not None:
        same_axis = osd % 180 == base % 180
        skew = skew if same_axis else -upright.angle if osd % 180 == 0 else -side.angle
        return PageGeometry(rotation=osd, skew=skew, updown_ratio=ratio, source="osd", line_height=line_height)
    if not quarter_sure:
        # Weak evidence either way: leave the page as it came, only levelled.
        return PageGeometry(
            rotation=0, skew=-upright.angle, updown_ratio=ratio, source="unsure", line_height=line_height
        )
    return PageGeometry(rotation=base, skew=skew, updown_ratio=ratio, source="unsure", line_height=line_height)


_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # PIL turns counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def _paper_colour(img: Image.Image) -> int | tuple[int, int, int]:
    """The commonest light tone: corners uncovered by deskewing are painted with it."""
    if img.mode == "1":
        return 255
    small = img.reduce(8) if min(img.size) >= 160 else img
    grey = small if small.mode == "L" else small.convert("L")
    hist = grey.histogram()
    paper = max(range(128, 256), key=lambda v: hist[v])
    if img.mode == "RGB":
        return (paper, paper, paper)
    return paper


def apply_geometry(img: Image.Image, geometry: PageGeometry) -> Image.Image:
    """Turn and level ``img`` (bilinear resampling; a levelled bilevel page comes back grey)."""
    out = img
    if geometry.rotation in _TRANSPOSE:
        out = out.transpose(_TRANSPOSE[geometry.rotation])
    if abs(geometry.skew) >= MIN_DESKEW:
        # Bilevel pages turn as grey: nearest-neighbour rotation leaves jagged strokes
        # that cost OCR accuracy; the smooth grey page thresholds back cleanly for G4.
        if out.mode == "1":
            out = out.convert("L")
        out = out.rotate(-geometry.skew, resample=Image.Resampling.BILINEAR, fillcolor=_paper_colour(out))
    return out
