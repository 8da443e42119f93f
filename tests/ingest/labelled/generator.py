"""Compose labelled documents in the Nghị định 30/2020 layout, clean or damaged like OCR output.

``generate(count, seed=..., damaged=...)`` gives ``LabelledDoc`` values: page texts and the
``Metadata`` fields they must yield. Layout varies the way real readers vary it: the two header
columns in either order, interleaved or glued on one line (text layers), the number and date on
one line or two, the signature before or after ``Nơi nhận`` or glued to its items; bodies cite other
documents' numbers and dates. Drawn and scanned pages of the same documents: ``scans.py``. Damage, from
a seeded RNG, drops or swaps diacritics, breaks spacing (``S ố:``), splits long lines and
confuses ``Đ`` with ``Ð``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from tests.ingest.labelled.vocabulary import (
    AGENCIES,
    GIVEN_NAMES,
    LETTER_SUBJECTS,
    MIDDLE_NAMES,
    PLACES,
    RECIPIENTS,
    SIGNERS,
    SUBJECTS,
    SURNAMES,
    TITLED_TYPES,
    Agency,
)

__all__ = ["FREE_TEXT_FIELDS", "LabelledDoc", "damage_text", "generate", "render"]

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
# fields a damaged page cannot give back letter for letter (no lexicon knows them)
FREE_TEXT_FIELDS = ("subject", "signer_name", "signer_authority", "signer_title", "recipients", "issued_place")


@dataclass(frozen=True)
class LabelledDoc:
    name: str
    pages: tuple[str, ...]
    labels: dict[str, Any]
    layout: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Spec:
    agency: Agency
    kind: str  # "titled" | "letter"
    type_name: str
    type_code: str | None
    title: str | None
    number: str | None
    year_in_number: int | None
    date: tuple[int, int, int]
    day_blank: bool
    place: str
    subject: str
    authority: tuple[str, ...]
    signer_name: str
    recipients: tuple[str, ...]
    header_order: str  # "left-right" | "right-left" | "interleaved" | "glued"
    number_date_glued: bool
    signature_first: bool
    signature_glued: bool


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def _spec(rng: random.Random) -> _Spec:
    agency = rng.choice(AGENCIES)
    letter = rng.random() < 0.25
    type_name, type_code, title = ("Công văn", None, None) if letter else rng.choice(TITLED_TYPES)
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
    signer = rng.choice(SIGNERS)
    return _Spec(
        agency=agency,
        kind="letter" if letter else "titled",
        type_name=type_name,
        type_code=type_code,
        title=title,
        number=str(rng.choice([rng.randint(1, 99), rng.randint(100, 9999)])),
        year_in_number=None,
        date=(rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)),
        day_blank=False,
        place=rng.choice(PLACES),
        subject=rng.choice(LETTER_SUBJECTS if letter else SUBJECTS),
        authority=tuple(line.format(head=agency.head) for line in signer.authority),
        signer_name=name,
        recipients=(*rng.sample(RECIPIENTS, rng.randint(1, 3)), "Lưu: VT, VP"),
        header_order=rng.choice(["left-right", "right-left", "interleaved", "glued"]),
        number_date_glued=rng.random() < 0.3,
        signature_first=rng.random() < 0.3,
        signature_glued=rng.random() < 0.25,
    )


def _symbol(spec: _Spec) -> str:
    if spec.kind == "letter":
        return f"{spec.agency.abbreviation}-VP"
    return f"{spec.type_code}-{spec.agency.abbreviation}"


def _number_symbol(spec: _Spec) -> str:
    year = f"{spec.year_in_number}/" if spec.year_in_number else ""
    return f"{spec.number or ''}/{year}{_symbol(spec)}"


def _date_text(spec: _Spec) -> str:
    year, month, day = spec.date
    day_text = "" if spec.day_blank else f"{day:02d}"
    return f"{spec.place}, ngày {day_text} tháng {month:02d} năm {year}".replace("  ", " ")


def _header(spec: _Spec) -> list[str]:
    left = [*spec.agency.parent_printed, *spec.agency.printed]
    number_line = f"Số: {spec.number or '     '}/{_number_symbol(spec).split('/', 1)[1]}"
    date_line = _date_text(spec) if not spec.day_blank else _date_text(spec).replace("ngày", "ngày     ")
    right = list(MOTTO)
    order = spec.header_order
    if order == "left-right":
        lines = left + right
    elif order == "right-left":
        lines = right + left
    elif order == "interleaved":
        lines = [x for pair in zip(left, right, strict=False) for x in pair]
        lines += left[len(right) :] + right[len(left) :]
    else:  # a text layer glues the columns of one height into one line
        lines = [f"{a} {b}" for a, b in zip(left, right, strict=False)]
        lines += left[len(right) :] + right[len(left) :]
    if spec.number_date_glued:
        lines.append(f"{number_line} {date_line}")
    else:
        lines += [number_line, date_line]
    if spec.kind == "letter":
        lines += _wrap(f"V/v {spec.subject}", 34)
    return lines


def _body(spec: _Spec) -> list[str]:
    if spec.kind == "letter":
        return [
            f"Kính gửi: {spec.recipients[0]}",
            # another document's number and date, cited in the body: never the letter's own
            "Trả lời Công văn số 4643/VPCP-CN ngày 05 tháng 6 năm 2024 của Văn phòng Chính phủ,",
            "Thực hiện chỉ đạo của cấp trên, cơ quan đề nghị các đơn vị phối hợp thực hiện",
            "các nội dung nêu trên và báo cáo kết quả trước ngày 30 tháng 6 năm 2025.",
        ]
    lines = [spec.title or "", *_wrap(spec.subject, 60)]
    if spec.type_name == "Quyết định":
        lines += [f"{spec.agency.head} {spec.agency.printed[0]}", "Căn cứ Luật Tổ chức chính quyền địa phương;"]
        lines += ["Căn cứ Quyết định số 22/2013/QĐ-TTg ngày 26 tháng 4 năm 2013 của Thủ tướng Chính phủ;"]
        lines += ["QUYẾT ĐỊNH:", "Điều 1. Ban hành kèm theo Quyết định này nội dung nêu trên."]
    else:
        lines += ["I. MỤC ĐÍCH, YÊU CẦU", "1. Tổ chức thực hiện nghiêm túc, hiệu quả, đúng quy định."]
    return lines


def _signature(spec: _Spec) -> list[str]:
    received = ["Nơi nhận:", *(f"- {r};" for r in spec.recipients[:-1]), f"- {spec.recipients[-1]}."]
    signature = [*spec.authority, "(Đã ký)", spec.signer_name]
    if spec.signature_glued:
        # a text layer reads the two columns row by row
        rows = max(len(received), len(signature))
        received += [""] * (rows - len(received))
        signature += [""] * (rows - len(signature))
        return [f"{a} {b}".strip() for a, b in zip(received, signature, strict=True) if f"{a}{b}".strip()]
    return signature + received if spec.signature_first else received + signature


def render(spec: _Spec) -> str:
    return "\n".join([*_header(spec), *_body(spec), *_signature(spec)])


def _subject_label(subject: str) -> str:
    """Issue 5 stores the subject without the ``Về việc`` a title may print before it."""
    return re.sub(r"^Về việc\s+", "", subject)


def _labels(spec: _Spec) -> dict[str, Any]:
    year, month, day = spec.date
    return {
        "document_type": spec.type_name,
        "type_code": spec.type_code,
        "number": spec.number,
        "number_year": spec.year_in_number,
        "symbol": _symbol(spec),
        "number_symbol": _number_symbol(spec),
        "issued_place": spec.place,
        "issued_date": None if spec.day_blank else f"{year:04d}-{month:02d}-{day:02d}",
        "issued_date_text": _date_text(spec),
        "issuer": spec.agency.name,
        "parent_issuer": spec.agency.parent,
        "subject": _subject_label(spec.subject),
        "signer_authority": list(spec.authority),
        "signer_title": spec.authority[-1],
        "signer_name": spec.signer_name,
        "recipients": list(spec.recipients),
    }


# ---------------------------------------------------------------------------- damage

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _damage_char(ch: str, rng: random.Random, rate: float) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) == 1 or rng.random() >= rate:
        return ch
    roll = rng.random()
    base, marks = decomposed[0], decomposed[1:]
    if roll < 0.4:  # every mark lost
        return base
    if roll < 0.7 and any(m in _TONES for m in marks):  # the tone read as another
        tone = rng.choice([t for t in _TONES if t not in marks])
        return unicodedata.normalize("NFC", base + "".join(m if m not in _TONES else tone for m in marks))
    return unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in _TONES))


def damage_text(text: str, rng: random.Random, *, rate: float = 0.15) -> str:
    """OCR-like damage: diacritics, spacing, split lines, Ð for Đ."""
    out: list[str] = []
    for line in text.split("\n"):
        line = "".join(_damage_char(ch, rng, rate) for ch in line)
        if line.startswith("Số:") and rng.random() < 0.5:
            line = "S ố:" + line[3:] if rng.random() < 0.5 else "Sô:" + line[3:]
        if rng.random() < rate / 2:
            line = line.replace("Đ", "Ð")
        words = line.split(" ")
        if len(words) > 3 and rng.random() < rate:
            i = rng.randrange(1, len(words) - 1)
            if len(words[i]) > 3:
                cut = rng.randrange(1, len(words[i]) - 1)
                words[i] = f"{words[i][:cut]} {words[i][cut:]}"
        line = " ".join(words)
        if len(line) > 45 and rng.random() < rate and not line.startswith(("Số", "S ố", "Sô")):
            cut = line.rfind(" ", 20, len(line) - 10)
            if cut > 0:
                out += [line[:cut], line[cut + 1 :]]
                continue
        out.append(line)
    return "\n".join(out)


def generate(count: int, *, seed: int, damaged: bool = False) -> list[LabelledDoc]:
    rng = random.Random(seed)
    docs: list[LabelledDoc] = []
    for i in range(count):
        spec = _spec(rng)
        text = render(spec)
        if damaged:
            text = damage_text(text, rng)
        layout = {"header": spec.header_order, "glued": spec.number_date_glued, "kind": spec.kind}
        docs.append(LabelledDoc(f"gen{seed}-{i:03d}", (text,), _labels(spec), layout))
    return docs


def compose(**overrides: Any) -> LabelledDoc:
    """One document with chosen parts (``number=None``, ``day_blank=True``...), the rest from seed 0."""
    spec = _spec(random.Random(overrides.pop("seed", 0)))
    for key, value in overrides.items():
        setattr(spec, key, value)
    return LabelledDoc("composed", (render(spec),), _labels(spec))
