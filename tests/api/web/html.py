"""Reading pages in tests: form controls without a label, raw catalogue keys, text of elements."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["PageReader", "read_page"]

_CONTROLS = {"input", "select", "textarea"}
_UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageReader(HTMLParser):
    """Collects what the accessibility and language checks look at."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.text: list[str] = []
        self._in_label = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "label":
            self._in_label += 1
            if found.get("for"):
                self.label_for.add(str(found["for"]))
        elif tag in ("script", "style"):
            self._skip += 1
        if tag in _CONTROLS and found.get("type") not in _UNLABELLED_TYPES:
            self.controls.append({**found, "_wrapped": "yes" if self._in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._in_label:
            self._in_label -= 1
        elif tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())

    def unlabelled(self) -> list[str]:
        """Controls with neither a ``<label for>``, an enclosing label, nor an aria-label."""
        return [
            str(c.get("name") or c.get("id"))
            for c in self.controls
            if not (c.get("id") in self.label_for or c.get("_wrapped") or c.get("aria-label"))
        ]

    def raw_keys(self) -> list[str]:
        """Visible text that looks like a catalogue key: a sentence that was never translated."""
        pattern = re.compile(r"^[a-z]+js?\.[a-z0-9_]+$|^[a-z]+\.[a-z_]+_[a-z0-9_]+$")
        return [t for t in self.text if pattern.match(t)]


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader
