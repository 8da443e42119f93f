"""Paths into the shared test corpus (../shared/corpus beside the repository)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO.parent / "shared" / "corpus").resolve()

__all__ = ["CORPUS", "REPO", "corpus_file"]


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        raise FileNotFoundError(f"corpus file missing: {path} (is ../shared/corpus beside the repo?)")
    return path
