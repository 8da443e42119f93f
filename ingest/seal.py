"""Seal rings in pages without colour: found as circles, wiped from tesseract's copy.

On a grey or bilevel page a red seal is as dark as text, and its rings cut through the
signer's title and name printed under it. A round seal of an agency is 35-42 mm across with
one or two rings; nothing else on an administrative page is a dark circle of that size. The
rings are found with OpenCV's Hough transform on a 50-dpi copy, confirmed by how much of the
circle is ink, and every ring round the same centre (its radial ink profile) is painted with
the paper's tone in the copy tesseract reads. The archived page keeps the seal.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["erase_seal_rings"]

_WORK_DPI = 50.0
_RADIUS_IN = (0.5, 0.95)  # outer ring radius of a 25-48 mm seal
_RING_COVER = 0.6  # share of a circle's length that must be ink to be a ring
_EDGE_COVER = 0.15  # a ring's ragged edge: circles this much on ink still belong to it
_ANGLES = 360


def _ink_threshold(grey: np.ndarray) -> float:
    otsu, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(otsu)


def _coverage(ink: np.ndarray, cx: float, cy: float, radii: np.ndarray) -> np.ndarray:
    """Share of each circle round (cx, cy) that lies on ink."""
    angles = np.linspace(0, 2 * math.pi, _ANGLES, endpoint=False)
    xs = np.rint(cx + radii[:, None] * np.cos(angles)[None, :]).astype(int)
    ys = np.rint(cy + radii[:, None] * np.sin(angles)[None, :]).astype(int)
    inside = (xs >= 0) & (ys >= 0) & (xs < ink.shape[1]) & (ys < ink.shape[0])
    hits = np.zeros(xs.shape, bool)
    hits[inside] = ink[ys[inside], xs[inside]]
    return hits.mean(axis=1)


def erase_seal_rings(grey: np.ndarray, dpi: float) -> np.ndarray:
    """``grey`` (uint8) with the rings of round seals painted with the paper's tone."""
    factor = max(1.0, dpi / _WORK_DPI)
    small = cv2.resize(
        grey,
        (max(1, round(grey.shape[1] / factor)), max(1, round(grey.shape[0] / factor))),
        interpolation=cv2.INTER_AREA,
    )
    small_dpi = dpi / factor
    low, high = (round(r * small_dpi) for r in _RADIUS_IN)
    circles = cv2.HoughCircles(
        cv2.GaussianBlur(small, (3, 3), 0),
        cv2.HOUGH_GRADIENT,
        dp=1,
        minDist=2 * low,
        param1=100,
        param2=25,
        minRadius=low,
        maxRadius=high,
    )
    if circles is None:
        return grey
    threshold = _ink_threshold(grey)
    ink = grey <= threshold
    paper = int(np.median(grey[::8, ::8][grey[::8, ::8] > threshold])) if (grey > threshold).any() else 255
    out: np.ndarray | None = None
    for cx, cy, r in circles[0][:4]:
        cx, cy = cx * factor, cy * factor
        # Rings round this centre: radii (full resolution) whose circle is mostly ink.
        radii = np.arange(max(1.0, r * factor * 0.5), r * factor * 1.15, 1.0)
        cover = _coverage(ink, cx, cy, radii)
        if cover.max() < _RING_COVER:
            continue
        if out is None:
            out = grey.copy()
        for band in _bands(radii, cover):
            _erase_band(out, ink, cx, cy, band, paper)
    return grey if out is None else out


def _bands(radii: np.ndarray, cover: np.ndarray) -> list[tuple[float, float]]:
    """(inner, outer) radius of each ring: a run of circles mostly on ink, widened to its
    ragged edges (circles still partly on ink)."""
    bands: list[tuple[float, float]] = []
    i = 0
    while i < len(radii):
        if cover[i] < _RING_COVER:
            i += 1
            continue
        start = i
        while i < len(radii) and cover[i] >= _RING_COVER:
            i += 1
        end = i - 1
        while start > 0 and cover[start - 1] >= _EDGE_COVER:
            start -= 1
        while end + 1 < len(radii) and cover[end + 1] >= _EDGE_COVER:
            end += 1
        bands.append((float(radii[start]), float(radii[end])))
        i = end + 1
    return bands


def _erase_band(out: np.ndarray, ink: np.ndarray, cx: float, cy: float, band: tuple[float, float], paper: int) -> None:
    """Paint the ring's ink in ``band`` with paper, except where a stroke crosses it.

    A stroke of text crossing the ring has ink just inside and just outside the band; the
    ring alone has paper on both sides. Angles where either side is ink keep their pixels.
    """
    inner, outer = band[0] - 1, band[1] + 1
    angles = np.linspace(0, 2 * math.pi, _ANGLES * 2, endpoint=False)
    alone = np.ones(angles.size, bool)
    for radius in (inner - 2, inner - 4, outer + 2, outer + 4):
        xs = np.rint(cx + radius * np.cos(angles)).astype(int)
        ys = np.rint(cy + radius * np.sin(angles)).astype(int)
        inside = (xs >= 0) & (ys >= 0) & (xs < ink.shape[1]) & (ys < ink.shape[0])
        crossed = np.zeros(angles.size, bool)
        crossed[inside] = ink[ys[inside], xs[inside]]
        alone &= ~crossed
    x0, x1 = max(0, int(cx - outer - 1)), min(ink.shape[1], int(cx + outer + 2))
    y0, y1 = max(0, int(cy - outer - 1)), min(ink.shape[0], int(cy + outer + 2))
    ys, xs = np.mgrid[y0:y1, x0:x1]
    distance = np.hypot(xs - cx, ys - cy)
    index = (np.arctan2(ys - cy, xs - cx) % (2 * math.pi) / (2 * math.pi) * angles.size).astype(int) % angles.size
    erase = (distance >= inner) & (distance <= outer) & ink[y0:y1, x0:x1] & alone[index]
    out[y0:y1, x0:x1][erase] = paper
