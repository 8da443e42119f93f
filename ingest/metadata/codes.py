"""Procedure codes (``1.001029``) and dossier codes (``000.00.32.H19-250312-0017``)."""

from __future__ import annotations

import re

from sohoa.core.codes import DOSSIER_CODE_RE, PROCEDURE_CODE_RE
from sohoa.ingest.metadata.lines import _key, _Line
from sohoa.ingest.metadata.numbers import _DIGITISH, _iso

_CODE_CHARS = "[0-9OolI]"


_PROCEDURE = re.compile(
    rf"(?<![\w.]){_CODE_CHARS}{{1,2}}\.{_CODE_CHARS}{{6}}"
    rf"(?:\.{_CODE_CHARS}{{3}}\.{_CODE_CHARS}{{2}}\.{_CODE_CHARS}{{2}}\.[A-Z]{_CODE_CHARS}{{2}})?"
    rf"(?:\.{_CODE_CHARS}{{2}}(?![\d.]))?(?![\w])"
)


_DOSSIER = re.compile(r"(?<![\w.])[0-9A-Z]{2,3}(?:\s?\.\s?[0-9A-Z]{2,3}){2,4}\s?-\s?\d{6}\s?-\s?\d{4,5}(?!\d)")


def _code_text(text: str) -> str:
    return re.sub(r"(?<=[\d.])\s+(?=[\d.])|(?<=\.)\s+(?=[A-Z]\d)", "", text)


def _find_procedure(lines: list[_Line]) -> tuple[str | None, float]:
    fallback: tuple[str | None, float] = (None, 0.0)
    for line in lines:
        for m in _PROCEDURE.finditer(_code_text(line.text)):
            head, _, tail = m[0].partition(".")
            code = f"{head.translate(_DIGITISH)}.{tail[:6].translate(_DIGITISH)}{tail[6:]}"
            code = re.sub(r"(?<=\.)[0-9OolI]+", lambda d: d[0].translate(_DIGITISH), code)
            if not PROCEDURE_CODE_RE.match(code):
                continue
            before = _key(_code_text(line.text)[: m.start()])
            labelled = re.search(r"(?:ma|so)\s*(?:so\s*)?(?:thu\s*tuc|tthc)|thu\s*tuc", before)
            if labelled:
                return code, 0.95 * line.conf
            if fallback[0] is None:
                fallback = (code, 0.75 * line.conf)
    return fallback


def _find_dossier(lines: list[_Line]) -> tuple[str | None, float]:
    fallback: tuple[str | None, float] = (None, 0.0)
    for line in lines:
        for m in _DOSSIER.finditer(line.text):
            code = re.sub(r"\s", "", m[0])
            stamp = code.split("-")[-2]
            if not DOSSIER_CODE_RE.match(code) or _iso(stamp[4:], stamp[2:4], "20" + stamp[:2]) is None:
                continue
            if re.search(r"(?:ma|so)\s*(?:so\s*)?ho\s*so", line.key[: m.start()]):
                return code, 0.95 * line.conf
            if fallback[0] is None:
                fallback = (code, 0.8 * line.conf)
    return fallback
