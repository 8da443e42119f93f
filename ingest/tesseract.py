"""The one place that runs the ``tesseract`` program.

Every call goes through :func:`run_tesseract`: ``OMP_THREAD_LIMIT=1`` (tesseract's own
threads are 3-4x slower than one process per page on small machines), a timeout, and
errors translated into :class:`core.errors.OcrError` with stable codes. Which program runs
and its memory cap are arguments (``binary``, ``memory_mb``): the caller has them from
``core.settings`` (``SOHOA_TESSERACT``, ``SOHOA_OCR_MEMORY_MB``), usually via the OCR engine.

- ``tesseract_missing``: the program is not on PATH, or a requested language is absent
- ``ocr_timeout``: one call ran past its timeout
- ``tesseract_failed``: the program exited non-zero or wrote nothing
"""

from __future__ import annotations

import csv
import functools
import os
import re
import resource
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sohoa.core.domain import OcrWord
from sohoa.core.errors import OcrError
from sohoa.core.text import nfc

__all__ = [
    "DEFAULT_MEMORY_MB",
    "NEAR_TIE",
    "OsdResult",
    "TesseractInfo",
    "check_tesseract",
    "detect_orientation_osd",
    "read_tsv_words",
    "run_tesseract",
    "word_doubts",
    "words_to_text",
]

DEFAULT_MEMORY_MB = 2048  # the address-space cap of one call, as core.settings defaults it
# a character's lead over the same letter with another mark below which the two readings tie: a
# word read right under a seal still leads by 28 (``Đặng``/``Đăng``), ``Vịnh`` for ``Vinh`` by 3
NEAR_TIE = 10.0

_VERSION_RE = re.compile(r"tesseract\s+v?(\d+)\.(\d+)(?:\.(\d+))?", re.IGNORECASE)
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_ORIENT_CONF_RE = re.compile(r"^Orientation confidence:\s*([-\d.]+)", re.MULTILINE)


@dataclass(frozen=True)
class TesseractInfo:
    binary: str
    version: tuple[int, int, int]
    languages: frozenset[str]


@dataclass(frozen=True)
class OsdResult:
    rotate: int  # clockwise degrees to turn the image to make it upright: 0, 90, 180, 270
    confidence: float


def _resolve(binary: str | None) -> str:
    name = binary or "tesseract"
    found = shutil.which(name)
    if found is None:
        raise OcrError(
            f"the tesseract program was not found ({name!r} on PATH); install tesseract-ocr and tesseract-ocr-vie",
            code="tesseract_missing",
            details={"binary": name},
        )
    return found


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


@functools.lru_cache(maxsize=8)
def _probe(binary: str) -> TesseractInfo:
    # Uncapped: these calls load no model, and one cached probe serves calls under any cap.
    version_out = run_tesseract(["--version"], timeout=30, binary=binary, memory_mb=0)
    match = _VERSION_RE.search(version_out)
    if match is None:
        raise OcrError(f"cannot read the tesseract version from {binary!r}", code="tesseract_missing")
    version = (int(match[1]), int(match[2]), int(match[3] or 0))
    langs_out = run_tesseract(["--list-langs"], timeout=30, binary=binary, memory_mb=0)
    # The first line is a header ("List of available languages in ...").
    languages = frozenset(line.strip() for line in langs_out.splitlines()[1:] if line.strip())
    return TesseractInfo(binary=binary, version=version, languages=languages)


def check_tesseract(languages: str = "vie", *, binary: str | None = None) -> TesseractInfo:
    """Check that tesseract >= 4 runs and knows every language of ``languages`` ("vie+eng").

    ``binary``: a name on PATH or a path; ``None`` is ``tesseract`` (so for every function here).
    """
    info = _probe(_resolve(binary))
    if info.version < (4, 0, 0):
        raise OcrError(
            f"tesseract {'.'.join(map(str, info.version))} is too old (need 4 or later)",
            code="tesseract_missing",
        )
    missing = [lang for lang in languages.split("+") if lang and lang not in info.languages]
    if missing:
        raise OcrError(
            f"tesseract language data not installed: {', '.join(missing)} "
            f"(e.g. apt-get install tesseract-ocr-{missing[0]})",
            code="tesseract_missing",
            details={"missing_languages": missing},
        )
    return info


def _limit_memory(memory_mb: int) -> Callable[[], None] | None:
    if memory_mb <= 0:
        return None
    limit = memory_mb * 1024 * 1024

    def apply() -> None:  # runs in the child between fork and exec: setrlimit only
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_tesseract(
    args: Sequence[str], *, timeout: float, binary: str | None = None, memory_mb: int = DEFAULT_MEMORY_MB
) -> str:
    """Run tesseract with ``args``; return its stdout (stderr joined on failure).

    One pathological page fails alone: the call is bounded in time and in memory (``memory_mb``
    MiB of address space; 0: unbounded), so it cannot hang a worker or get the whole worker
    killed for memory.
    """
    exe = _resolve(binary)
    try:
        proc = subprocess.run(
            [exe, *args],
            env=_env(),
            preexec_fn=_limit_memory(memory_mb),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrError(
            f"tesseract took longer than {timeout:.0f} s", code="ocr_timeout", details={"args": list(args)}
        ) from exc
    except OSError as exc:
        raise OcrError(f"cannot run tesseract: {exc}", code="tesseract_missing") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise OcrError(
            f"tesseract exited with status {proc.returncode}: {tail}",
            code="tesseract_failed",
            details={"args": list(args), "returncode": proc.returncode},
        )
    return proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")


def detect_orientation_osd(
    image: Path, *, timeout: float = 60.0, binary: str | None = None, memory_mb: int = DEFAULT_MEMORY_MB
) -> OsdResult:
    """Tesseract's orientation detection (``--psm 0``); rotate 0 with confidence 0 when unsure.

    Callers pass a reduced image: OSD needs only a few hundred characters, not 300 dpi.
    """
    info = _probe(_resolve(binary))
    if "osd" not in info.languages:
        raise OcrError("tesseract osd data not installed", code="tesseract_missing")
    try:
        out = run_tesseract([str(image), "-", "--psm", "0"], timeout=timeout, binary=binary, memory_mb=memory_mb)
    except OcrError as exc:
        # Pages with too few characters make OSD fail: that is "unknown", not an error.
        if exc.code == "tesseract_failed":
            return OsdResult(rotate=0, confidence=0.0)
        raise
    rotate, conf = _ROTATE_RE.search(out), _ORIENT_CONF_RE.search(out)
    if rotate is None:
        return OsdResult(rotate=0, confidence=0.0)
    return OsdResult(rotate=int(rotate[1]) % 360, confidence=float(conf[1]) if conf else 0.0)


def read_tsv_words(tsv: Path) -> tuple[OcrWord, ...]:
    """Words (level 5 rows) of a tesseract TSV file, NFC, with page-wide line numbers."""
    words: list[OcrWord] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    with tsv.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            return ()
        col = {name: i for i, name in enumerate(header)}
        for row in reader:
            if len(row) < len(header) or row[col["level"]] != "5":
                continue
            text = nfc(row[col["text"]]).strip()
            if not text:
                continue
            block = int(row[col["block_num"]])
            key = (block, int(row[col["par_num"]]), int(row[col["line_num"]]))
            line = line_ids.setdefault(key, len(line_ids) + 1)
            words.append(
                OcrWord(
                    text=text,
                    left=int(row[col["left"]]),
                    top=int(row[col["top"]]),
                    width=int(row[col["width"]]),
                    height=int(row[col["height"]]),
                    confidence=max(0.0, float(row[col["conf"]])),
                    block=block,
                    line=line,
                )
            )
    return tuple(words)


def words_to_text(words: Sequence[OcrWord]) -> str:
    """Lines of words in tesseract's reading order; a blank line between blocks."""
    lines: list[str] = []
    current: list[str] = []
    last_line, last_block = None, None
    for word in words:
        if word.line != last_line and current:
            lines.append(" ".join(current))
            current = []
            if word.block != last_block:
                lines.append("")
        current.append(word.text)
        last_line, last_block = word.line, word.block
    if current:
        lines.append(" ".join(current))
    return nfc("\n".join(lines))


_HOCR_WORD = re.compile(r"<span class='ocrx_word'[^>]*title='bbox (\d+) (\d+) \d+ \d+;[^']*'>")
_HOCR_CHOICE = re.compile(r"title='x_confs ([\d.]+)'>([^<]*)</span>")


def word_doubts(hocr: Path) -> dict[tuple[int, int], float]:
    """How sure the LSTM was of each word's marks, by the word's top-left corner: the smallest lead
    its chosen character had over the same letter with another mark (``Vịnh``: ``ị`` 85.6, ``i``
    82.4: a lead of 3.2). Words with no such rival are left out.

    A mark a seal's speck or a 150-dpi blur put on a letter shows as a near tie here while the word's
    own confidence can stay at 75 like a word read right."""
    from sohoa.core.text import fold

    text = hocr.read_text(encoding="utf-8")
    out: dict[tuple[int, int], float] = {}
    starts = list(_HOCR_WORD.finditer(text))
    for k, start in enumerate(starts):
        body = text[start.end() : starts[k + 1].start() if k + 1 < len(starts) else len(text)]
        lead: float | None = None
        for group in body.split("lstm_choices_")[1:]:
            ranked = sorted(
                ((float(conf), nfc(char)) for conf, char in _HOCR_CHOICE.findall(group) if char.strip()),
                reverse=True,
            )
            if not ranked:
                continue
            best, chosen = ranked[0]
            rivals = [
                conf
                for conf, char in ranked[1:]
                if char != chosen and fold(char) == fold(chosen) and char.isupper() == chosen.isupper()
            ]
            if rivals:
                lead = min(best - max(rivals), lead if lead is not None else 100.0)
        if lead is not None:
            out[(int(start[1]), int(start[2]))] = lead
    return out
