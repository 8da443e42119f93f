"""Generated documents drawn as pages, and the ways a desk turns them into poor images.

``draw_document(doc, rng)`` draws a labelled document (from :mod:`generator`) as an A4 page
at 300 dpi in a Times-like face, with a red seal over the signer and a handwritten signature,
and returns it with the gold text (every word drawn, the seal's own words excepted: they are
not the document's text). The degradations take any rendered page image, so other
generators can call them:

- ``photograph(page, rng)``: a phone photo (2448x3264) of the page on a desk: random corners
  (perspective and tilt), light fall-off, a shadow band, colour cast, blur, noise, JPEG; with
  the page's true corners in the photo (top-left, top-right, bottom-right, bottom-left).
- ``greyscale_150dpi(page, rng)``: a district office's 150-dpi grey scan, slightly skewed.
- ``colour_scan(page, rng)``, ``bilevel_scan(page, rng)``: 300-dpi colour, 200-dpi bilevel.

Every random choice comes from ``rng``: a seed gives the same images again.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from tests.ingest.labelled.generator import MOTTO, LabelledDoc
from tests.ingest.labelled.scans import wrap

__all__ = [
    "PAGE_DPI",
    "DrawnPage",
    "bilevel_scan",
    "colour_scan",
    "draw_document",
    "greyscale_150dpi",
    "photograph",
]

PAGE_DPI = 300
_A4 = (2480, 3508)
_FONTS = Path("/usr/share/fonts/truetype/liberation2")
# Administrative prose to fill the body: the generator's documents are a few lines long,
# real ones fill the page (and a photo's keystone shows most on long lines).
_PROSE = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Xét đề nghị của Chánh Văn phòng và Trưởng phòng Hành chính tổng hợp,",
    "Giao các phòng, ban chuyên môn phối hợp triển khai thực hiện nghiêm túc các nội dung nêu trên.",
    "Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời để xem xét.",
    "Tổ chức tiếp nhận hồ sơ, giải quyết thủ tục hành chính đúng thời hạn theo quy định hiện hành.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước năm 2025 theo phân cấp hiện hành.",
    "Quyết định này có hiệu lực kể từ ngày ký và thay thế các văn bản trước đây trái với nội dung này.",
    "Báo cáo kết quả thực hiện về Ủy ban nhân dân tỉnh trước ngày 15 tháng 12 hằng năm để tổng hợp.",
    "Công khai kết quả giải quyết hồ sơ trên Cổng dịch vụ công quốc gia và trang thông tin điện tử.",
    "Người đứng đầu cơ quan chịu trách nhiệm về chất lượng, tiến độ số hóa hồ sơ, kết quả giải quyết.",
)


@dataclass(frozen=True)
class DrawnPage:
    image: Image.Image  # RGB, PAGE_DPI
    gold: str  # the words drawn, line by line


def _font(size_pt: float, style: str = "Regular") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONTS / f"LiberationSerif-{style}.ttf"), round(size_pt * PAGE_DPI / 72))


class _Sheet:
    def __init__(self) -> None:
        self.image = Image.new("RGB", _A4, (255, 255, 255))
        self.draw = ImageDraw.Draw(self.image)
        self.gold: list[str] = []

    def text(self, xy: tuple[float, float], line: str, font: ImageFont.FreeTypeFont, *, anchor: str = "la") -> None:
        self.draw.text(xy, line, font=font, fill=(20, 20, 20), anchor=anchor)
        self.gold.append(line)

    def column(self, lines: list[str], centre: float, top: float, font: ImageFont.FreeTypeFont, gap: float) -> float:
        for line in lines:
            self.text((centre, top), line, font, anchor="ma")
            top += gap
        return top


def _seal(sheet: _Sheet, centre: tuple[float, float], rng: random.Random) -> None:
    """A red round seal: two rings, a star and a line of words.

    Stamp ink is a filter over the paper, not paint: it multiplies, so black text under it
    stays black (as on a real page), and the seal's own red is light in the red channel.
    """
    layer = Image.new("RGB", _A4, (255, 255, 255))
    draw = ImageDraw.Draw(layer)
    red = (rng.randint(200, 235), rng.randint(30, 70), rng.randint(40, 80))
    x, y = centre
    for radius, width in ((230, 14), (180, 6)):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=red, width=width)
    star = [
        (
            x + (60 if i % 2 == 0 else 24) * math.sin(i * math.pi / 5),
            y - (60 if i % 2 == 0 else 24) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    draw.text((x, y + 80), "ỦY BAN NHÂN DÂN", font=_font(9, "Bold"), fill=red, anchor="ma")
    sheet.image.paste(ImageChops.multiply(sheet.image, layer))


def _signature(sheet: _Sheet, origin: tuple[float, float], rng: random.Random) -> None:
    """A handwritten scrawl in blue ink: a few smooth loops."""
    x, y = origin
    points = []
    for step in range(120):
        t = step / 119
        points.append(
            (
                x + 420 * t + 40 * math.sin(t * rng.uniform(12, 20)),
                y + 50 * math.sin(t * rng.uniform(6, 11) + rng.random()) - 60 * t,
            )
        )
    sheet.draw.line(points, fill=(30, 40, rng.randint(120, 170)), width=6, joint="curve")


def draw_document(doc: LabelledDoc, rng: random.Random) -> DrawnPage:
    """One A4 page of ``doc`` in the Nghị định 30 layout, with a seal and a signature."""
    labels = doc.labels
    sheet = _Sheet()
    size = rng.choice([12.5, 13.0, 13.5])
    regular, bold, italic = _font(size), _font(size, "Bold"), _font(size, "Italic")
    gap = size * PAGE_DPI / 72 * 1.3
    left_c, right_c, margin, width = 700, 1760, 350, 2480 - 350 - 230
    agency_lines = wrap(labels["issuer"].upper(), bold, 680)
    parent = wrap(labels["parent_issuer"].upper(), regular, 680) if labels["parent_issuer"] else []
    top = 230.0
    left_bottom = sheet.column(parent, left_c, top, regular, gap)
    left_bottom = sheet.column(agency_lines, left_c, left_bottom, bold, gap)
    right_bottom = sheet.column(list(MOTTO), right_c, top, bold, gap)
    row = max(left_bottom, right_bottom) + gap * 0.5
    sheet.text((left_c, row), f"Số: {labels['number_symbol']}", regular, anchor="ma")
    sheet.text((right_c, row), labels["issued_date_text"], italic, anchor="ma")
    row += gap * 2
    if labels["document_type"] == "Công văn":
        row = sheet.column(wrap(f"V/v {labels['subject']}", regular, 680), left_c, row - gap, regular, gap) + gap
    else:
        row = sheet.column([labels["document_type"].upper()], 1240, row, _font(size + 1, "Bold"), gap * 1.2)
        row = sheet.column(wrap(labels["subject"], bold, 1500), 1240, row, bold, gap) + gap * 0.6
    for _ in range(rng.randint(3, 7)):
        paragraph = " ".join(rng.sample(_PROSE, rng.randint(1, 3)))
        for line in wrap(paragraph, regular, width - 120):
            sheet.text((margin + 120, row), line, regular)
            row += gap
        row += gap * 0.3
    row += gap * 0.5
    signer_top = row
    received = ["Nơi nhận:", *(f"- {r};" for r in labels["recipients"][:-1]), f"- {labels['recipients'][-1]}."]
    small = _font(size - 2)
    sheet.text((margin, row), received[0], _font(size - 1, "BoldItalic"))
    for line in received[1:]:
        row += gap * 0.85
        sheet.text((margin, row), line, small)
    authority_bottom = sheet.column(list(labels["signer_authority"]), right_c, signer_top, bold, gap)
    _signature(sheet, (right_c - 220, authority_bottom + 180), rng)
    # The seal sits over the left of the signer's title and name, as it is stamped.
    _seal(sheet, (right_c - rng.randint(160, 260), authority_bottom + rng.randint(60, 200)), rng)
    sheet.text((right_c, authority_bottom + 330), labels["signer_name"], bold, anchor="ma")
    return DrawnPage(sheet.image, "\n".join(sheet.gold))


# ------------------------------------------------------------------------- degradations


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert(img.mode)


def _desk(size: tuple[int, int], rng: random.Random, kind: str) -> np.ndarray:
    """A desk: a dark or coloured surface with low-frequency grain (float RGB 0..255)."""
    w, h = size
    if kind == "white":  # a white table or sheet under the page: no edge to find
        base = np.array([rng.uniform(235, 250)] * 3)
    else:
        base = np.array(
            rng.choice([(120, 80, 50), (90, 90, 95), (60, 50, 45), (150, 110, 70), (40, 60, 90), (170, 160, 150)])
        ) * rng.uniform(0.8, 1.15)
    grain = cv2.resize(
        np.asarray(np.random.default_rng(rng.getrandbits(32)).normal(0, 14, (24, 18)), np.float32), (w, h)
    )
    return np.clip(base[None, None, :] + grain[:, :, None], 0, 255)


def _light(size: tuple[int, int], rng: random.Random) -> np.ndarray:
    """Light over the frame: fall-off from a bright spot, a gradient, and a soft shadow band."""
    w, h = size
    ys, xs = (grid.astype(np.float32) for grid in np.mgrid[0:h, 0:w])
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    r2 = ((xs - cx) ** 2 + (ys - cy) ** 2) / float(w * w + h * h)
    light = 1.0 - rng.uniform(0.3, 0.7) * r2
    light *= 1.0 - rng.uniform(0.0, 0.2) * (ys / h if rng.random() < 0.5 else xs / w)
    if rng.random() < 0.8:
        angle = rng.uniform(0, math.pi)
        distance = (xs - w / 2) * math.cos(angle) + (ys - h / 2) * math.sin(angle) - rng.uniform(-0.3, 0.3) * h
        band = rng.uniform(0.08, 0.25) * h
        softness = rng.uniform(20, 80)
        inside = 1 / (1 + np.exp(np.clip((np.abs(distance) - band / 2) / softness, -50, 50)))
        light *= 1.0 - rng.uniform(0.25, 0.45) * inside
    return light


def photograph(
    page: Image.Image, rng: random.Random, *, frame: tuple[int, int] = (2448, 3264), background: str = "desk"
) -> tuple[Image.Image, np.ndarray]:
    """A phone photo of ``page`` and the page's four corners in it (TL, TR, BR, BL; float x, y)."""
    page_rgb = np.asarray(page.convert("RGB"), np.float32)
    ph, pw = page_rgb.shape[:2]
    fw, fh = frame if (pw < ph) == (frame[0] < frame[1]) else frame[::-1]
    scale = rng.uniform(0.68, 0.84) * min(fw / pw, fh / ph)
    cx, cy = fw / 2 + rng.uniform(-0.04, 0.04) * fw, fh / 2 + rng.uniform(-0.04, 0.04) * fh
    tilt = math.radians(rng.uniform(-6, 6))
    corners = []
    for x, y in ((-pw / 2, -ph / 2), (pw / 2, -ph / 2), (pw / 2, ph / 2), (-pw / 2, ph / 2)):
        x, y = x * scale, y * scale
        corners.append((cx + x * math.cos(tilt) - y * math.sin(tilt), cy + x * math.sin(tilt) + y * math.cos(tilt)))
    # Perspective: the camera leans over one edge, so that edge comes out longer.
    lean, side = rng.uniform(0.03, 0.09), rng.randrange(4)
    a, b = side, (side + 1) % 4
    for index in (a, b):
        other = (index + 2) % 4
        dx, dy = corners[index][0] - corners[other][0], corners[index][1] - corners[other][1]
        corners[index] = (corners[index][0] + dx * lean * 0.5, corners[index][1] + dy * lean * 0.5)
    true = np.array([(x + rng.uniform(-15, 15), y + rng.uniform(-15, 15)) for x, y in corners], np.float32)
    # The whole page in the frame, with some desk round it (a page cut by the frame is another case).
    margin = 0.02 * max(fw, fh)
    centre = np.array([fw / 2, fh / 2], np.float32)
    reach = np.abs(true - centre).max(axis=0)
    shrink = min(1.0, *((np.array([fw, fh]) / 2 - margin) / reach))
    true = (centre + (true - centre) * shrink).astype(np.float32)
    source = np.array([(0, 0), (pw, 0), (pw, ph), (0, ph)], np.float32)
    matrix = cv2.getPerspectiveTransform(source, true)
    blurred = cv2.GaussianBlur(page_rgb, (0, 0), 0.5 / scale)  # against aliasing when shrinking
    warped = cv2.warpPerspective(blurred, matrix, (fw, fh), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (fw, fh), flags=cv2.INTER_LINEAR)
    paper = rng.uniform(0.9, 1.0)
    scene = warped * paper * mask[:, :, None] + _desk((fw, fh), rng, background) * (1 - mask[:, :, None])
    cast = np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.75, 0.95)])
    if rng.random() < 0.3:
        cast = cast[::-1]
    scene = scene * _light((fw, fh), rng)[:, :, None] * cast[None, None, :]
    scene = cv2.GaussianBlur(scene, (0, 0), rng.uniform(0.6, 1.3))
    scene += np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(2, 5), scene.shape)
    photo = Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8), "RGB")
    return _jpeg(photo, rng.randint(75, 92)), true


def _skewed(img: Image.Image, degrees: float, fill: int | tuple[int, ...]) -> Image.Image:
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=fill) if degrees else img


def greyscale_150dpi(page: Image.Image, rng: random.Random, *, dpi: float = PAGE_DPI) -> Image.Image:
    """A 150-dpi grey scan of ``page`` (drawn at ``dpi``): grey paper, blur, noise, skew up to 3 degrees."""
    grey = page.convert("L")
    paper = rng.randint(215, 240)
    grey = grey.point(lambda v: round(v * paper / 255))
    grey = _skewed(grey, rng.uniform(-3, 3), paper)
    small = grey.resize((round(grey.width * 150 / dpi), round(grey.height * 150 / dpi)), Image.Resampling.LANCZOS)
    small = small.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    noisy = np.asarray(small, np.float32) + np.random.default_rng(rng.getrandbits(32)).normal(0, 3, small.size[::-1])
    out = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L")
    return _jpeg(out, rng.randint(80, 92)) if rng.random() < 0.5 else out


def colour_scan(page: Image.Image, rng: random.Random) -> Image.Image:
    """A 300-dpi colour flatbed scan: cream paper, skew up to 3 degrees, JPEG."""
    tone = (rng.randint(240, 252), rng.randint(236, 250), rng.randint(222, 242))
    rgb = np.asarray(page.convert("RGB"), np.float32) * np.array(tone, np.float32) / 255
    img = _skewed(Image.fromarray(rgb.astype(np.uint8), "RGB"), rng.uniform(-3, 3), tone)
    return _jpeg(img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9))), rng.randint(80, 92))


def bilevel_scan(page: Image.Image, rng: random.Random, *, dpi: float = PAGE_DPI) -> Image.Image:
    """A 200-dpi bilevel (G4-like) scan: skewed, thresholded so the red seal turns black."""
    grey = _skewed(page.convert("L"), rng.uniform(-3, 3), 255)
    small = grey.resize((round(grey.width * 200 / dpi), round(grey.height * 200 / dpi)), Image.Resampling.LANCZOS)
    threshold = rng.randint(140, 175)
    return small.point(lambda v: 255 if v > threshold else 0).convert("1")
