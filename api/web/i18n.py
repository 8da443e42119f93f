"""The web interface's words: one JSON catalogue per language, Vietnamese first and by default.

Every sentence a page shows comes from ``locales/{lang}.json`` (flat ``"area.name"`` keys,
``{name}`` placeholders). Codes the pipeline stores (states, refusal reasons, review reasons,
metadata fields) are turned into sentences here, so pages never show a raw code when a
sentence exists; an unknown code falls back to a generic sentence that names it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LOCALE_DIR",
    "Translator",
    "load_catalogue",
    "request_language",
]

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "sohoa_lang"


@cache
def load_catalogue(lang: str) -> Mapping[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    data = json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{lang}.json must be one object of strings")
    return data


def request_language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a sentence missing a value still reads, and shows what is missing


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str, **params: Any) -> str:
        text = load_catalogue(self.lang).get(key)
        if text is None:
            log.warning("no %s text for %r", self.lang, key)
            text = load_catalogue(DEFAULT_LANGUAGE).get(key, key)
        return text.format_map(_Params(params)) if params else text

    def has(self, key: str) -> bool:
        return key in load_catalogue(self.lang)

    def state(self, state: str | None) -> str:
        if not state:
            return self("state.none")
        key = f"state.{state}"
        return self(key) if self.has(key) else state

    def role(self, role: str) -> str:
        key = f"role.{role}"
        return self(key) if self.has(key) else role

    def right(self, right: str) -> str:
        key = f"right.{right}"
        return self(key) if self.has(key) else right

    def action(self, action: str) -> str:
        """An audit event's action (``download.signed``) as words; unknown actions as they are."""
        key = "action." + action.replace(".", "_")
        return self(key) if self.has(key) else action

    def field(self, name: str) -> str:
        key = f"field.{name}"
        return self(key) if self.has(key) else name

    def reason(self, code: str | None, message: str | None = None) -> str:
        """A refusal or failure code as a sentence; the server's own message only for unknown codes."""
        if not code:
            return ""
        key = f"reason.{code}"
        if self.has(key):
            return self(key)
        return self("reason.unknown", code=code, message=message or "")

    def review_reason(self, reason: str) -> str:
        """``missing:issuer`` -> a sentence naming the field; plain codes look up ``review.<code>``."""
        kind, _, field = reason.partition(":")
        if field and self.has(f"review.{kind}"):
            return self(f"review.{kind}", field=self.field(field))
        key = f"review.{reason.replace(':', '_')}"
        return self(key) if self.has(key) else self("review.unknown", reason=reason)

    def client_texts(self, *prefixes: str) -> dict[str, str]:
        """The texts under ``prefixes`` that a page's script needs, sent with the page."""
        catalogue = load_catalogue(self.lang)
        return {key: text for key, text in catalogue.items() if key.startswith(prefixes)}
