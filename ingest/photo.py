"""Photos of pages: find the paper in the frame, and warp it to a flat page.

A scan is the page; a phone photo is a page on a desk, shot at an angle. The page is the
large bright four-sided region whose edges the whole way round are strong steps of
brightness (paper against desk). It is looked for on a small copy (OpenCV contours of an
Otsu mask and of Canny edges, each reduced to a quadrilateral), then each side is refined
on the full image: the strongest step along short normals to the side, a robust line
through those points, and the corners where the lines meet. The page is then warped to a
rectangle of its own aspect (snapped to a paper size when close) at 300 dpi.

A page already flat is left alone: a scan with no background round it, paper to the
frame's edges, or a scanner's file (it states its resolution, no camera tags) showing the lid
round a page laid square (opposite sides parallel). An image that looks like a photo (a
camera's EXIF tags, or a camera-shaped frame without a resolution) but whose page cannot be
found goes on as a scan, flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from PIL import Image

__all__ = [
    "PHOTO_DPI",
    "PageQuad",
    "PhotoCorrection",
    "correct_photo",
    "find_page",
    "flatten_page",
    "photo_status",
    "quad_error",
]

PHOTO_DPI = 300.0
_WORK_SIDE = 700  # long side of the copy the page is looked for on
# Paper sizes (long, short) in inches a found page is snapped to: A4, Letter, Legal. A5 and A3
# have A4's shape, and a photo does not tell their sizes apart: A4 is by far the commonest.
_PAPERS = ((11.69, 8.27), (11.0, 8.5), (14.0, 8.5))
_SNAP = 0.06  # relative aspect difference within which a page is taken to be of a paper size
_MIN_AREA = 0.15  # of the frame: smaller regions are not the page
_MAX_AREA = 0.97  # larger: the paper fills the frame, there is no page to find
_MIN_SUPPORT = 0.6  # share of a side's samples that must sit on a clear step (a sheet may lie over some)
_MIN_CONTRAST = 12.0  # grey levels between the paper and what lies round it
# Opposite sides further from parallel than this: the page was shot at an angle.
_PARALLEL_DEGREES = 0.4
# Frames of camera sensors (long/short): 4:3, 3:2, 16:9.
_CAMERA_SHAPES = (4 / 3, 3 / 2, 16 / 9)

Point = tuple[float, float]


@dataclass(frozen=True)
class PageQuad:
    """The page's corners in the image, clockwise from top-left, and how clear its edges are."""

    corners: tuple[Point, Point, Point, Point]
    support: float  # share of edge samples on a clear step, 0..1


@dataclass(frozen=True)
class PhotoCorrection:
    """What photo detection decided for one page (carried to the pipeline's events)."""

    status: Literal["scan", "photo", "photo_page_not_found"]
    corners: tuple[Point, Point, Point, Point] | None = None
    size: tuple[int, int] | None = None  # of the flattened page, pixels


def _order(points: np.ndarray) -> np.ndarray:
    """Four points clockwise from the top-left one (image coordinates, y down)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise on screen, starting anywhere
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0)


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for share in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, share * perimeter, True)
        if len(approx) == 4:
            return _order(approx.reshape(4, 2).astype(np.float64))
        if len(approx) < 4:
            return None
    return None


def _candidates(grey: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals round the largest bright region and the largest closed edge outline."""
    blurred = cv2.GaussianBlur(grey, (7, 7), 0)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    # Edges at falling thresholds: a page in shadow on a light desk is a faint step.
    edge_maps = [
        cv2.dilate(cv2.Canny(blurred, low, 3 * low), cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        for low in (40, 20, 10)
    ]
    out = []
    for mask in (bright, *edge_maps):
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:2]:
            for quad in (_quad_of(contour), _quad_of_long_sides(contour, grey.shape)):
                if quad is not None:
                    out.append(quad)
    return out


def _quad_of_long_sides(contour: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The quadrilateral of an outline's four longest straight runs off the frame's edge.

    Something touching the page (another sheet, a hand) merges with it into one outline
    whose hull is no quadrilateral; the page's own sides are still its longest straight runs.
    """
    approx = cv2.approxPolyDP(contour, 0.01 * cv2.arcLength(contour, True), True).reshape(-1, 2).astype(np.float64)
    if len(approx) < 5:
        return None
    height, width = shape[:2]
    sides = []
    for a, b in zip(approx, np.roll(approx, -1, axis=0), strict=True):
        on_frame = all(x <= 1 or y <= 1 or x >= width - 2 or y >= height - 2 for x, y in (a, b))
        if not on_frame:
            sides.append((float(np.linalg.norm(b - a)), a, b))
    if len(sides) < 4:
        return None
    longest = sorted(sides, key=lambda side: side[0], reverse=True)[:4]
    centre = approx.mean(axis=0)
    # Clockwise by the direction from the outline's centre to each side's middle.
    longest.sort(
        key=lambda side: math.atan2((side[1] + side[2])[1] / 2 - centre[1], (side[1] + side[2])[0] / 2 - centre[0])
    )
    lines = [np.array([*a, *(b - a)]) for _, a, b in longest]
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(corner is None for corner in corners):
        return None
    return _order(np.array(corners))


def _side_profiles(grey: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float, samples: int) -> tuple:
    """Brightness along ``samples`` normals to the side a->b, ``reach`` pixels either way."""
    direction = (b - a) / max(1e-9, float(np.linalg.norm(b - a)))
    normal = np.array([-direction[1], direction[0]])
    ts = np.linspace(0.08, 0.92, samples)
    offsets = np.arange(-reach, reach + 1, 1.0)
    centres = a[None, :] + ts[:, None] * (b - a)[None, :]
    xs = centres[:, 0:1] + offsets[None, :] * normal[0]
    ys = centres[:, 1:2] + offsets[None, :] * normal[1]
    profiles = cv2.remap(grey, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR)
    return centres, normal, offsets, profiles.astype(np.float64)


def _refine_side(grey: np.ndarray, a: np.ndarray, b: np.ndarray, reach: float) -> tuple[np.ndarray, float] | None:
    """A line (point, direction) through the strongest steps near the side a->b, and their share."""
    centres, normal, offsets, profiles = _side_profiles(grey, a, b, reach, 64)
    steps = np.abs(np.diff(profiles, axis=1))
    best = np.argmax(steps, axis=1)
    strength = steps[np.arange(len(best)), best]
    clear = strength >= _MIN_CONTRAST / 2
    if clear.sum() < 8:
        return None
    # Sub-pixel: the vertex of the parabola through the peak and its neighbours.
    inner = np.clip(best, 1, steps.shape[1] - 2)
    left, mid, right = (steps[np.arange(len(inner)), inner + k] for k in (-1, 0, 1))
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    position = offsets[inner] + 0.5 + np.clip(shift, -0.5, 0.5)
    points = centres[clear] + position[clear, None] * normal[None, :]
    vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    return np.array([x0, y0, vx, vy], np.float64), float(clear.mean())


def _intersect(p: np.ndarray, q: np.ndarray) -> np.ndarray | None:
    (x1, y1, dx1, dy1), (x2, y2, dx2, dy2) = p, q
    det = dx1 * dy2 - dy1 * dx2
    if abs(det) < 1e-6:
        return None
    t = ((x2 - x1) * dy2 - (y2 - y1) * dx2) / det
    return np.array([x1 + t * dx1, y1 + t * dy1])


def _contrast(grey: np.ndarray, quad: np.ndarray) -> float:
    """Median grey just inside the quad minus just outside it: paper is lighter than a desk.

    Signed: a dark picture or box on a page is not a page on a desk.
    """
    inside = np.zeros(grey.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    width = max(3, round(0.02 * max(grey.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (width, width))
    ring_in = cv2.subtract(inside, cv2.erode(inside, kernel))
    ring_out = cv2.subtract(cv2.dilate(inside, kernel), inside)
    if not ring_in.any() or not ring_out.any():
        return 0.0
    return float(np.median(grey[ring_in > 0])) - float(np.median(grey[ring_out > 0]))


def _grey_pixels(img: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(img, np.ndarray):
        return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return np.asarray(img if img.mode == "L" else img.convert("L"))


def find_page(img: Image.Image | np.ndarray) -> PageQuad | None:
    """The page's four corners when ``img`` shows a page with background round it, else None.

    ``img``: a PIL image, or its pixels (grey, or RGB channels last).
    """
    pixels = _grey_pixels(img)
    height, width = pixels.shape[:2]
    scale = _WORK_SIDE / max(width, height)
    small = cv2.resize(
        pixels, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    frame_area = float(small.shape[0] * small.shape[1])
    best: PageQuad | None = None
    tried: list[np.ndarray] = []
    for quad in _candidates(small):
        # Several masks often outline the same page: refine it once.
        if any(np.abs(quad - other).max() < 2 for other in tried):
            continue
        tried.append(quad)
        area = cv2.contourArea(quad.astype(np.float32)) / frame_area
        if not _MIN_AREA <= area <= _MAX_AREA or not cv2.isContourConvex(quad.astype(np.float32)):
            continue
        if _contrast(small, quad) < _MIN_CONTRAST:
            continue
        full = quad / scale
        reach = max(8.0, 3.0 / scale)
        sides = [_refine_side(pixels, full[i], full[(i + 1) % 4], reach) for i in range(4)]
        if any(side is None for side in sides):
            continue
        lines = [side[0] for side in sides if side is not None]
        support = min(side[1] for side in sides if side is not None)
        corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
        if support < _MIN_SUPPORT or any(c is None for c in corners):
            continue
        refined = np.array(corners)
        if np.abs(refined - full).max() > 2 * reach:  # the lines wandered off to something else
            continue
        if best is None or support > best.support:
            ordered = _order(refined)
            best = PageQuad(corners=tuple((float(x), float(y)) for x, y in ordered), support=support)  # type: ignore[arg-type]
    return best


def _touches_frame(quad: PageQuad, size: tuple[int, int]) -> bool:
    margin = 0.005 * max(size)
    return any(x < margin or y < margin or x > size[0] - margin or y > size[1] - margin for x, y in quad.corners)


def _page_size(corners: np.ndarray) -> tuple[int, int]:
    """Pixel size of the flattened page: its measured aspect, snapped to a paper size, at 300 dpi."""
    tl, tr, br, bl = corners
    width = float(np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = float(np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    long_px, short_px = max(width, height), min(width, height)
    ratio = long_px / max(1.0, short_px)
    paper = min(_PAPERS, key=lambda p: abs(p[0] / p[1] - ratio))
    if abs(paper[0] / paper[1] - ratio) <= _SNAP * ratio:
        long_in, short_in = paper
    else:  # an odd size: keep its shape, as if its long side were A4's
        long_in, short_in = _PAPERS[0][0], _PAPERS[0][0] / ratio
    long_out, short_out = round(long_in * PHOTO_DPI), round(short_in * PHOTO_DPI)
    return (short_out, long_out) if height >= width else (long_out, short_out)


def flatten_page(img: Image.Image | np.ndarray, quad: PageQuad) -> np.ndarray:
    """The pixels of the page inside ``quad`` warped to a flat rectangle at ``PHOTO_DPI``."""
    corners = np.array(quad.corners, np.float64)
    width, height = _page_size(corners)
    target = np.array([(0, 0), (width, 0), (width, height), (0, height)], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    if isinstance(img, Image.Image):
        img = np.asarray(img if img.mode in ("L", "RGB") else img.convert("RGB"))
    return cv2.warpPerspective(img, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _camera_shaped(size: tuple[int, int]) -> bool:
    ratio = max(size) / max(1, min(size))
    return any(abs(ratio - shape) <= 0.01 * shape for shape in _CAMERA_SHAPES)


def _has_perspective(quad: PageQuad) -> bool:
    """Whether opposite sides converge: a camera at an angle, not a scanner's flat rectangle."""
    c = np.array(quad.corners)

    def angle(a: np.ndarray, b: np.ndarray) -> float:
        cos = abs(float(np.dot(a, b))) / max(1e-9, float(np.linalg.norm(a) * np.linalg.norm(b)))
        return math.degrees(math.acos(min(1.0, cos)))

    top, bottom = c[1] - c[0], c[2] - c[3]
    left, right = c[3] - c[0], c[2] - c[1]
    return max(angle(top, bottom), angle(left, right)) > _PARALLEL_DEGREES


def photo_status(
    quad: PageQuad | None, size: tuple[int, int], *, resolution_tagged: bool, camera: bool
) -> Literal["scan", "photo", "photo_page_not_found"]:
    """What an image is, given the page found in it (or none) and what its file says.

    ``resolution_tagged``: the file states its resolution (scanners do, cameras rarely);
    ``camera``: the file carries a camera's EXIF tags. A scanner's file showing its lid round
    a square-on page is a scan: warping it would change the page's size for nothing.
    """
    if quad is not None and not _touches_frame(quad, size):
        if camera or not resolution_tagged or _has_perspective(quad):
            return "photo"
        return "scan"
    if camera or (not resolution_tagged and _camera_shaped(size)):
        return "photo_page_not_found"
    return "scan"


def correct_photo(img: Image.Image, *, resolution_tagged: bool, camera: bool) -> tuple[Image.Image, PhotoCorrection]:
    """``img`` flattened when it is a photo of a page, else as it is, with what was decided."""
    quad = find_page(img)
    status = photo_status(quad, img.size, resolution_tagged=resolution_tagged, camera=camera)
    if status == "photo" and quad is not None:
        flat = flatten_page(img, quad)
        size = (flat.shape[1], flat.shape[0])
        return Image.fromarray(flat), PhotoCorrection(status="photo", corners=quad.corners, size=size)
    return img, PhotoCorrection(status=status)


def quad_error(found: tuple[Point, ...], true: np.ndarray) -> float:
    """Largest distance in pixels between found and true corners (for tests and benchmarks)."""
    return float(max(math.dist(f, (float(t[0]), float(t[1]))) for f, t in zip(found, true, strict=True)))
