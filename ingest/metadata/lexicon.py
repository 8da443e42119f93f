"""Spellings of agency, place and title words, and the correction of OCR-damaged words."""

from __future__ import annotations

import re

from sohoa.core.text import fold

# fmt: off
_PROPER = (
    "Chính phủ", "Quốc hội", "Nhà nước", "Việt Nam", "Công Thương", "Tổ quốc", "Cộng sản", "An Giang",
    "Bà Rịa", "Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre", "Bình Dương",
    "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
    "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum",
    "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế",
    "Tiền Giang", "Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Biên Hòa",
    "Hạ Long", "Nha Trang", "Đà Lạt", "Quy Nhơn", "Buôn Ma Thuột", "Phan Thiết", "Long Xuyên", "Mỹ Tho",
    "Rạch Giá", "Thủ Dầu Một", "Việt Trì", "Long Khánh", "Pleiku", "Thủ Đức",
)
_COMMON = (
    "ủy ban nhân dân", "hội đồng nhân dân", "văn hóa", "thể thao", "du lịch", "nông nghiệp",
    "phát triển nông thôn", "môi trường", "tài nguyên", "tài chính", "xây dựng", "lao động", "thương binh",
    "xã hội", "giáo dục", "đào tạo", "y tế", "tư pháp", "nội vụ", "giao thông", "vận tải", "kế hoạch",
    "đầu tư", "khoa học", "công nghệ", "thông tin", "truyền thông", "ngoại vụ", "dân tộc", "tôn giáo",
    "thanh tra", "trung tâm", "phục vụ", "hành chính công", "văn phòng", "tổng cục", "chi cục", "hải quan",
    "kho bạc", "bảo hiểm", "ban chỉ đạo", "quản lý", "thường vụ", "thủ tướng", "giám đốc", "chủ tịch",
    "bộ trưởng", "thứ trưởng", "tỉnh", "thành phố", "huyện", "phường", "thị xã", "thị trấn", "công an",
    "quốc gia", "cục thuế", "tổng cục thuế", "bộ tài chính", "sở công thương", "bộ xây dựng", "trưởng ban",
    "chánh văn phòng", "phó chủ tịch", "chủ nhiệm", "phó chủ nhiệm", "phó giám đốc", "tổng cục trưởng",
    "cục trưởng", "ký thay", "thay mặt", "vụ trưởng", "phó vụ trưởng", "phó cục trưởng", "phó tổng cục trưởng",
    "phó trưởng ban", "trưởng phòng", "phó trưởng phòng", "viện trưởng", "phó viện trưởng", "hiệu trưởng",
    "phó hiệu trưởng", "chi cục trưởng", "phó chi cục trưởng", "chánh thanh tra", "phó chánh văn phòng",
    "phó chánh thanh tra", "tổng giám đốc", "phó tổng giám đốc",
)
# fmt: on


def _build_lexicon() -> dict[str, tuple[tuple[str, ...], bool]]:
    entries: dict[str, tuple[tuple[str, ...], bool]] = {}
    clashes: set[str] = set()
    for phrases, proper in ((_PROPER, True), (_COMMON, False)):
        for phrase in phrases:
            key = fold(phrase)
            if key in entries and entries[key][0] != tuple(phrase.split()):
                clashes.add(key)
            entries.setdefault(key, (tuple(phrase.split()), proper))
    return {k: v for k, v in entries.items() if k not in clashes}


_LEXICON = _build_lexicon()


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _syllable_key(word: str) -> str:
    """Lower case, tone mark moved to the end: ``hoà`` and ``hòa`` give the same key."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = "".join(ch for ch in decomposed if ch in _TONES)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES)) + tones


def _match_case(printed: str, word: str) -> str:
    if printed.isupper():
        return word.upper()
    if printed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


_PUNCT = ",.;:()\"'"


def _correct_words(text: str) -> str:
    """Put right the diacritics of known agency, place and title words, keeping the case."""
    tokens = text.split()
    cores = [t.strip(_PUNCT) for t in tokens]
    keys = [fold(c) for c in cores]
    i = 0
    while i < len(tokens):
        for size in (4, 3, 2, 1):
            span = keys[i : i + size]
            if len(span) < size or not all(span):
                continue
            entry = _LEXICON.get(" ".join(span))
            if entry is None or (size == 1 and len(span[0]) < 4):
                continue
            words = entry[0]
            for j, word in enumerate(words):
                core = cores[i + j]
                if _syllable_key(core) != _syllable_key(word):
                    tokens[i + j] = tokens[i + j].replace(core, _match_case(core, word), 1)
            i += size - 1
            break
        i += 1
    return " ".join(tokens)


_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$")


def _is_acronym(core: str) -> bool:
    letters = core.replace(".", "")
    return bool(letters) and (not _SYLLABLE.match(fold(letters)) or (letters.isupper() and len(letters) == 1))
