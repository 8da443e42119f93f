"""Put right the words OCR damaged in free text: the subject and the signer's name.

Tesseract's ``vie`` model reads the letters of a Vietnamese word far better than its marks
(``KẾ HOẠCH`` comes out ``KÊ HOẠCH``, ``ĐỐI VỚI`` as ``ĐỒI VỚI``, ``Nguyễn`` as ``Nguyên``). Three general
means give the marks back, each only where the evidence is clear:

- a word that is no Vietnamese syllable but carries marks (``Phạậm``: two tones) becomes the nearest
  syllable (``syllables.repairs``);
- a run of two to four words whose letters spell a phrase of the vocabulary (agency words, places,
  general administrative wording) takes the phrase's marks; when several phrases share the letters,
  the one needing the fewest mark edits wins, and none on a tie. A word that is no syllable at all
  (``CHÔNGG``) may differ from the phrase by one letter;
- in a person's name, a family or middle name that is a common one with marks missing, and not
  itself common, takes the common spelling.

Only OCR text goes through here (``extract_metadata`` decides): a text layer is what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from itertools import pairwise

from sohoa.core.text import fold
from sohoa.ingest.metadata.lexicon import _COMMON, _PROPER, _match_case, _syllable_key
from sohoa.ingest.metadata.lines import _distance
from sohoa.ingest.metadata.syllables import LONGEST, damaged, is_syllable, lost_marks, mark_distance, repairs
from sohoa.ingest.metadata.vocabulary import COMMON_WORDS, MIDDLE_NAMES, PHRASES, SURNAMES

__all__ = [
    "correct_name",
    "correct_subject",
    "correct_text",
    "marks_from_document",
    "read_name",
    "repair_damaged",
    "vouched_words",
]

_PUNCT = ",.;:()\"'“”‘’"
_QUOTES = "'\"‘’“”"
_SIZES = (4, 3, 2)


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(w.strip(_PUNCT) for w in phrase.split() if w.strip(_PUNCT) and w.strip(_PUNCT) != "-")


def _build() -> tuple[dict[tuple[str, ...], list[tuple[str, ...]]], dict[tuple[str, ...], list[tuple[str, ...]]]]:
    by_key: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for phrase in (*_PROPER, *_COMMON, *PHRASES):
        spelled = _words(phrase)
        if not 2 <= len(spelled) <= max(_SIZES):
            continue
        key = tuple(fold(w) for w in spelled)
        if all(_syllable_key(" ".join(s)) != _syllable_key(" ".join(spelled)) for s in by_key[key]):
            by_key[key].append(spelled)
    # one word left open: finds the phrase when OCR garbled a letter of one of its words
    one_off: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for key in by_key:
        for j in range(len(key)):
            one_off[(*key[:j], "*", *key[j + 1 :])].append(key)
    return dict(by_key), dict(one_off)


_BY_KEY, _ONE_OFF = _build()
# phrases written with a comma inside (``phòng, chống``): a match may run over that comma
_COMMA_KEYS = frozenset(tuple(fold(w) for w in _words(phrase)) for phrase in PHRASES if "," in phrase.strip(","))
_KNOWN = {_syllable_key(w) for spellings in _BY_KEY.values() for s in spellings for w in s}
_PREFER = frozenset(
    unicodedata.normalize("NFC", w.lower())
    for w in (*COMMON_WORDS, *SURNAMES, *MIDDLE_NAMES, *(w for ss in _BY_KEY.values() for s in ss for w in s))
)


def _has_marks(word: str) -> bool:
    return any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", word))


def _same(printed: str, spelled: str) -> bool:
    """The same syllable, whichever vowel carries the tone (``Khoá``, ``khóa``)."""
    return _syllable_key(printed) == _syllable_key(spelled)


def _cost(printed: tuple[str, ...], spelled: tuple[str, ...]) -> int:
    total = 0
    for p, s in zip(printed, spelled, strict=True):
        if _same(p, s):
            continue
        marks = mark_distance(p, s)
        total += marks if marks is not None else 2 + _distance(fold(p), fold(s))
    return total


def _phrase_for(printed: tuple[str, ...], broken: tuple[bool, ...]) -> tuple[str, ...] | None:
    """The vocabulary phrase ``printed`` (OCR words) most likely is, or None."""
    keys = tuple(fold(w) for w in printed)
    candidates = list(_BY_KEY.get(keys, ()))
    if not candidates:
        for j, is_broken in enumerate(broken):
            if not is_broken:
                continue
            for key in _ONE_OFF.get((*keys[:j], "*", *keys[j + 1 :]), ()):
                if _distance(keys[j], key[j]) <= 1:
                    candidates.extend(_BY_KEY[key])
    if not candidates:
        return None
    ranked = sorted((_cost(printed, c), i, c) for i, c in enumerate(candidates))
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None  # two phrases fit as well: OCR did not say which
    return ranked[0][2]


def _spans(cores: list[str]) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """(start, size, folded letters) of every run of 2-4 alphabetic words."""
    for size in _SIZES:
        for i in range(len(cores) - size + 1):
            span = cores[i : i + size]
            if all(w.isalpha() for w in span):
                yield i, size, tuple(fold(w) for w in span)


def _vouched(cores: list[str]) -> set[int]:
    """Words that a vocabulary phrase spells exactly as printed: right, whatever else they neighbour."""
    vouched: set[int] = set()
    for i, size, key in _spans(cores):
        for spelled in _BY_KEY.get(key, ()):
            if all(_same(c, w) for c, w in zip(cores[i : i + size], spelled, strict=True)):
                vouched.update(range(i, i + size))
    return vouched


def vouched_words(text: str) -> set[str]:
    """The words of ``text`` (lower case) that a vocabulary phrase spells exactly as printed there."""
    _, cores = _tokens(text)
    return {cores[k].lower() for k in _vouched(cores)}


def _extra_letter(word: str) -> str | None:
    """``ĐƯUỢC`` -> ``được``: a word that is no syllable, but one letter fewer makes exactly one
    common word (marks as printed, or some lost). OCR reads a stroke of a mark as a letter."""
    lower = unicodedata.normalize("NFC", word.lower())
    if len(lower) < 3:
        return None
    found = set()
    vowels = "aeiouy"
    for k in range(len(lower)):
        # only a vowel beside another vowel: a mark's stroke read as a letter (``ưu`` for ``ư``);
        # a consonant more or less is a name in another language of Vietnam (``Krông``), left alone
        beside = lower[max(0, k - 1) : k] + lower[k + 1 : k + 2]
        if fold(lower[k]) not in vowels or not any(fold(ch) in vowels for ch in beside):
            continue
        shorter = lower[:k] + lower[k + 1 :]
        if shorter in _PREFER:
            found.add(shorter)
        elif is_syllable(shorter):
            found.update(p for p in _BY_FOLD.get(fold(shorter), ()) if lost_marks(shorter, p))
    return found.pop() if len(found) == 1 else None


_BY_FOLD: dict[str, list[str]] = defaultdict(list)
for _word in _PREFER:
    _BY_FOLD[fold(_word)].append(_word)


def _broken(cores: Sequence[str]) -> list[bool]:
    return [
        bool(c) and c.isalpha() and len(c) <= LONGEST and not is_syllable(c) and _syllable_key(c) not in _KNOWN
        for c in cores
    ]


def _repaired(cores: Sequence[str], broken: Sequence[bool]) -> list[str]:
    """Each word that is no syllable and no known spelling as the nearest syllable, when one is clear."""
    words = list(cores)
    for i, core in enumerate(cores):
        if broken[i] and damaged(core) and (fixed := repairs(core, _PREFER)):
            words[i] = _match_case(core, fixed[0])
        elif broken[i] and (extra := _extra_letter(core)):
            words[i] = _match_case(core, extra)
    return words


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """The words of ``text`` as printed, and their cores: the same without punctuation around them."""
    tokens = text.split()
    return tokens, [t.strip(_PUNCT) for t in tokens]


def _rejoin(tokens: Sequence[str], cores: Sequence[str], words: Sequence[str]) -> str:
    """``tokens`` again with each core replaced by its word, the punctuation around it kept."""
    return " ".join(t.replace(c, w, 1) if c else t for t, c, w in zip(tokens, cores, words, strict=True))


def repair_damaged(text: str) -> str:
    """``TỔỐNG CỤC THUẾ`` -> ``TỔNG CỤC THUẾ``: only the words OCR made into no syllable at all (two
    tone marks, a letter too many) put right; every word that is a syllable stays as read."""
    tokens, cores = _tokens(text)
    words = _repaired(cores, _broken(cores))
    return _rejoin(tokens, cores, words)


def correct_text(text: str) -> str:
    """``KÊ HOẠCH VỐN`` -> ``KẾ HOẠCH VỐN``: OCR-damaged words of ``text`` put right, case kept.

    A phrase only changes words that no other phrase spells exactly as printed and, in running
    text, that are not capitalised (names: ``ông Lê Văn Thu`` stays although ``văn thư`` is a
    phrase); and not when the rest of it is a phrase printed right (``về việc mới`` stays although
    ``về việc mời`` is a phrase)."""
    tokens, cores = _tokens(text)
    broken = _broken(cores)
    words = _repaired(cores, broken)
    for i in _years_named(cores):
        words[i] = _match_case(cores[i], "năm")
    letters = [ch for ch in text if ch.isalpha()]
    running = sum(ch.islower() for ch in letters) > len(letters) / 2  # not an upper-case title
    vouched = _vouched(cores)

    def may_change(k: int) -> bool:
        if k in vouched:
            return False
        return not (running and k > 0 and cores[k][:1].isupper())

    i = 0
    while i < len(words):
        step = 1
        for size in _SIZES:
            span = words[i : i + size]
            if len(span) < size or not all(w.isalpha() for w in span):
                continue
            # a phrase does not run over a comma or a full stop inside it, unless it is written so
            inner = [tokens[k][-1:] for k in range(i, i + size - 1) if tokens[k].endswith((",", ".", ";", ":"))]
            if inner and (inner != [","] or tuple(fold(w) for w in cores[i : i + size]) not in _COMMA_KEYS):
                continue
            spelled = _phrase_for(tuple(cores[i : i + size]), tuple(broken[i : i + size]))
            if spelled is None:
                continue
            changes = {i + j: w for j, w in enumerate(spelled) if may_change(i + j) and not _same(cores[i + j], w)}
            kept = [k for k in range(i, i + size) if k not in changes]
            if changes and all(k in vouched for k in kept):
                # a phrase printed right plus one neighbour (``về việc`` + ``mới``): no evidence
                continue
            for k, word in changes.items():
                words[k] = _match_case(cores[k], word)
            step = size
            break
        i += step
    return _rejoin(tokens, cores, words)


_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _years_named(cores: Sequence[str]) -> list[int]:
    """Words ``nam`` with another mark (``nắm``, ``nằm``) right before a year: before ``2030`` only
    ``năm`` (year) reads; ``Việt Nam 2030`` and a capitalised ``Nam`` in running text stay."""
    out = []
    for i, (core, after) in enumerate(pairwise(cores)):
        if fold(core) != "nam" or core.lower() == "năm" or not _YEAR.match(after):
            continue
        if (i > 0 and fold(cores[i - 1]) == "viet") or (core[:1].isupper() and not core.isupper()):
            continue
        out.append(i)
    return out


def drop_specks(text: str) -> str:
    """``CHẾ ĐỘ. LÀM VIỆC``, ``CỦA 'CƠ QUAN``: OCR specks read as punctuation in a title.

    An upper-case subject is one noun phrase: a full stop after a word with more words following,
    or a quote mark that never closes, was not printed. Abbreviations (``TP.``) keep their stop."""
    tokens = text.split()
    for i, token in enumerate(tokens):
        core = token.strip(_QUOTES + ".")
        inner = i + 1 < len(tokens) and token.endswith(".") and not token.endswith("..")
        if inner and core.isalpha() and core.isupper() and len(core) > 1 and is_syllable(core):
            token = token[:-1]
        if token[:1] in _QUOTES and sum(text.count(q) for q in _QUOTES) == 1:
            token = token[1:]
        tokens[i] = token
    return " ".join(t for t in tokens if t)


def _common_name(word: str, common: tuple[str, ...]) -> str:
    if _syllable_key(word) in {_syllable_key(c) for c in common}:
        return word
    # OCR drops stacked marks far more often than it invents one: a name is only given marks back,
    # so a rarer name read right (``Tà``) is never turned into a common one (``Tạ``)
    reach = 1 if _has_marks(word) else 2
    near = [c for c in common if lost_marks(word, c) and (mark_distance(word, c) or 0) <= reach]
    return _match_case(word, near[0].lower()) if len(near) == 1 else word


_SURE_WORD = 90.0  # OCR confidence at which a word's marks are taken as read right
_SEEN_TWICE = 2


def marks_from_document(text: str, read: Sequence[Sequence[tuple[str, float]]]) -> str:
    """``NĂNG LỤC HOẠT ĐỘNG`` -> ``NĂNG LỰC HOẠT ĐỘNG`` where the same document prints the pair surely.

    ``read``: the document's lines as (word, OCR confidence) pairs. A pair of words of ``text`` takes
    the marks of another spelling of the same letters only where OCR read that spelling with
    confidence at least twice in the document and never read the pair as it stands here with
    confidence: the same document printed the same words, and OCR was sure of them elsewhere. A
    pair read surely somewhere (``CHI TIẾT`` in a title, whatever the body's OCR made of it) stays.
    """
    seen: dict[tuple[str, str], list[tuple[tuple[str, str], float]]] = defaultdict(list)
    for line in read:
        cores = [(w.strip(_PUNCT).lower(), c) for w, c in line]
        for (a, ca), (b, cb) in pairwise(cores):
            if a.isalpha() and b.isalpha():
                seen[(fold(a), fold(b))].append(((a, b), min(ca, cb)))
    tokens, cores = _tokens(text)
    words = list(cores)
    for i in range(len(cores) - 1):
        a, b = cores[i].lower(), cores[i + 1].lower()
        if not (a.isalpha() and b.isalpha()):
            continue
        found = seen.get((fold(a), fold(b)), [])
        if any(spelled == (a, b) and conf >= _SURE_WORD for spelled, conf in found):
            continue
        others = Counter(spelled for spelled, conf in found if conf >= _SURE_WORD and spelled != (a, b))
        if len(others) != 1:
            continue
        ((spelled, times),) = others.items()
        if times < _SEEN_TWICE:
            continue
        for k, word in ((i, spelled[0]), (i + 1, spelled[1])):
            if word != cores[k].lower():
                words[k] = _match_case(cores[k], word)
    return _rejoin(tokens, cores, words)


_SURNAME_SPELLINGS = frozenset(unicodedata.normalize("NFC", s).lower() for s in SURNAMES)


def _known_surname(name: str) -> bool:
    """``name`` starts with a family name as Vietnamese spell it. The list covers nearly everyone, so
    a first word outside it is more likely a surname OCR misread into another syllable (``Đừng`` for
    ``Đặng``) than a rare family name: a person should look either way."""
    words = unicodedata.normalize("NFC", name).split()
    return bool(words) and words[0].lower() in _SURNAME_SPELLINGS


_UNKNOWN_SURNAME = 0.6  # what a name OCR read with no known family name first keeps of its confidence


def read_name(printed: str, *, ocr: bool) -> tuple[str, float]:
    """A signer's name as read, put right when OCR read it, and the share of its confidence it keeps:
    ``_UNKNOWN_SURNAME`` when OCR read it and its first word is no known family name, so that a person
    looks; a text layer's name is what was typed and stays as it is."""
    if not ocr:
        return printed, 1.0
    name = correct_name(printed)
    return name, 1.0 if _known_surname(name) else _UNKNOWN_SURNAME


def correct_name(name: str) -> str:
    """``Nguyên Văn An`` -> ``Nguyễn Văn An``: a person's name with OCR-damaged marks put right."""
    words = name.split()
    fixed = [_match_case(w, r[0]) if damaged(w) and (r := repairs(w, _PREFER)) else w for w in words]
    if len(fixed) >= 2:
        fixed[0] = _common_name(fixed[0], SURNAMES) if fixed[0] == words[0] else fixed[0]
        for k in range(1, len(fixed) - 1):
            fixed[k] = _common_name(fixed[k], MIDDLE_NAMES) if fixed[k] == words[k] else fixed[k]
    return " ".join(fixed)


def correct_subject(subject: str) -> str:
    """An OCR-read subject with its specks dropped (in a title) and its damaged words put right."""
    letters = [ch for ch in subject if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.8 * len(letters):
        subject = drop_specks(subject)
    return correct_text(subject)
