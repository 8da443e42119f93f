"""Score the metadata sohoa files, through the pipeline, on the shared corpus and on held-back generated scans.

    python bench/metadata.py                          # the pipeline (ingest under auto), corpus + held-back scans
    python bench/metadata.py --path stage --cache DIR # the extract stage's function on the OCR stage's pages, cached
    python bench/metadata.py --gold-text              # the corpus's gold text, no OCR (a check of the rules only)
    python bench/metadata.py --scans 0 --errors       # corpus only; print every wrong field

``--path pipeline`` ingests each file into a throwaway embedded sohoa (SQLite, local store, in-process
workers, tesseract, review policy ``auto``, a procedure code given at upload as users give it: the
one the document prints, if it prints one) and
reads the filed metadata and the state the document reached. ``--path stage`` runs the same page
reading (``sohoa extract``'s, which is the OCR stage's) and the extract stage's own function
(``file_document``) without the catalogue, so page texts can be cached between runs.

The generated part is drawn by ``tests/ingest/labelled/scans.py`` from ``HELD_BACK_SEED`` (never used
while developing); ``--seed`` picks another set. Per part the bench prints per-field accuracy,
how many documents ``auto`` would archive with a wrong required field, and how many it sends to review.

Values compare case-insensitively after NFC, single spacing, and with the tone mark's place
ignored (``hoà`` equals ``hòa``). Lists compare item by item. A field both sides leave empty
counts as right. A leading ``V/v`` or ``Về việc`` of the subject is ignored on both sides.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sohoa.core.domain import Metadata, PageText  # noqa: E402
from sohoa.core.text import normalize_space  # noqa: E402
from sohoa.ingest.metadata.signature import Signature  # noqa: E402

FIELDS = (
    "document_type", "type_code", "number", "number_year", "symbol", "number_symbol", "issued_place",
    "issued_date", "issued_date_text", "issuer", "parent_issuer", "subject", "signer_authority",
    "signer_title", "signer_name", "recipients", "procedure_code", "dossier_code",
)  # fmt: skip
TARGETS = {
    "document_type": 0.95, "number_symbol": 0.95, "issued_date": 0.95, "issuer": 0.90,
    "signer_name": 0.90, "subject": 0.90,
}  # fmt: skip
# the fields a wrong value of which makes an archived record wrong (the upload gives the procedure code)
REQUIRED = ("document_type", "number_symbol", "issued_date", "issuer", "signer_name", "subject")
UPLOAD_PROCEDURE = "1.001234"  # for documents that print no procedure code


def upload_procedure(case: Case) -> str:
    """The code a user uploads with: the dossier's own, which a receipt or licence prints; a made-up
    one for documents that print none (a mismatch would send a document to review for the bench's sake)."""
    return case.gold.get("procedure_code") or UPLOAD_PROCEDURE


_TONES = "\u0300\u0301\u0303\u0309\u0323"
_SUBJECT_PREFIX = re.compile(r"^(?:v\s?/\s?v|về\s+việc)\b\s*[:.]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path  # the one file a user would upload
    gold: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    case: Case
    metadata: Metadata
    reasons: tuple[str, ...]  # empty: archived without review under auto


def comparable(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list | tuple):
        return tuple(comparable(v) for v in value)
    if not isinstance(value, str):
        return str(value)
    words = []
    for word in normalize_space(unicodedata.normalize("NFC", value)).lower().split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(ch for ch in decomposed if ch in _TONES)
        words.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES)) + tones)
    return " ".join(words).replace("\u2013", "-")


def field_value(field: str, value: Any) -> Any:
    """What ``score`` compares for ``field``: ``comparable``, and the subject without its ``V/v`` prefix."""
    if field == "subject" and isinstance(value, str):
        value = _SUBJECT_PREFIX.sub("", unicodedata.normalize("NFC", value).strip())
    return comparable(value)


def right(field: str, gold: dict[str, Any], got: Metadata) -> bool:
    return bool(field_value(field, gold.get(field)) == field_value(field, getattr(got, field)))


def score(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Accuracy per field the gold labels (a field no gold has is left out)."""
    accuracy: dict[str, float] = {}
    for field in FIELDS:
        if field == "procedure_code" or not any(field in o.case.gold for o in outcomes):
            continue
        accuracy[field] = sum(right(field, o.case.gold, o.metadata) for o in outcomes) / max(1, len(outcomes))
    return accuracy


def automation(outcomes: Sequence[Outcome]) -> dict[str, int]:
    archived = [o for o in outcomes if not o.reasons]
    wrong = [o for o in archived if any(not right(f, o.case.gold, o.metadata) for f in REQUIRED if f in o.case.gold)]
    return {
        "documents": len(outcomes),
        "archived_right": len(archived) - len(wrong),
        "archived_wrong": len(wrong),
        "review": len(outcomes) - len(archived),
    }


# ---------------------------------------------------------------------------- inputs


def corpus_cases(folder: Path, work: Path) -> list[Case]:
    """One upload file per gold document: page images of one document become one multi-page TIFF."""
    from PIL import Image

    cases = []
    for gold_path in sorted(folder.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        names = gold["file"] if isinstance(gold["file"], list) else [gold["file"]]
        if len(names) == 1:
            path = folder / names[0]
        else:
            path = work / f"{gold_path.stem}.tif"
            images = [Image.open(folder / n) for n in names]
            dpi = images[0].info.get("dpi", (300, 300))
            images[0].save(path, "TIFF", save_all=True, append_images=images[1:], dpi=dpi, compression="tiff_deflate")
        cases.append(Case(gold_path.stem, path, gold))
    return cases


def scan_cases(count: int, seed: int, work: Path) -> list[Case]:
    from tests.ingest.labelled.scans import generate_scans

    return [Case(d.name, d.path, d.labels) for d in generate_scans(count, seed=seed, out_dir=work / f"scans-{seed}")]


# ---------------------------------------------------------------------------- paths


def run_stage(cases: Sequence[Case], cache: Path | None) -> list[Outcome]:
    """``sohoa extract``'s reading (the OCR stage's) and the extract stage's function; with ``cache``,
    page texts and second looks are kept by file content and reused."""
    from sohoa.core.settings import Settings
    from sohoa.ingest.metadata.filing import file_document
    from sohoa.pipeline.actions.extract import reading

    settings = Settings(review_policy="auto")
    out = []
    for case in cases:
        # ".look2": second looks are kept as signature blocks now (pages before), so an older cache is not read
        stored = cache / f"{hashlib.sha256(case.path.read_bytes()).hexdigest()[:24]}.look2.pickle" if cache else None
        if stored is not None and stored.exists():
            pages, ocr_reasons, looks = pickle.loads(stored.read_bytes())
            filing = file_document(
                pages, policy="auto", upload_procedure_code=upload_procedure(case), intake_reasons=ocr_reasons,
                look_again=looks.get,
            )  # fmt: skip
        else:
            with reading(case.path, settings) as read:
                looks: dict[int, Signature | None] = {}

                def look(index: int, read: Any = read, looks: dict[int, Any] = looks) -> Signature | None:
                    looks[index] = read.look_again(index) if read.look_again else None
                    return looks[index]

                filing = file_document(
                    read.pages, policy="auto", upload_procedure_code=upload_procedure(case),
                    intake_reasons=read.ocr_reasons, look_again=look,
                )  # fmt: skip
                if stored is not None:
                    stored.parent.mkdir(parents=True, exist_ok=True)
                    stored.write_bytes(pickle.dumps((read.pages, read.ocr_reasons, looks)))
        out.append(Outcome(case, filing.printed, filing.reasons))
    return out


def run_pipeline(cases: Sequence[Case], work: Path) -> list[Outcome]:
    from sohoa.core.settings import Settings
    from sohoa.pipeline.intake import accept_paths
    from sohoa.pipeline.wiring import open_runtime
    from sohoa.storage.catalogue import get_document

    settings = Settings(data_dir=work / "var", review_policy="auto", ocr_engine="tesseract")
    rt = open_runtime(settings)
    out = []
    try:
        for case in cases:
            result = accept_paths(rt, [case.path], procedure_code=upload_procedure(case), actor="bench")
            rt.queue.join()  # type: ignore[union-attr]
            doc_id = result.documents[0].id
            with rt.db.session() as session:
                doc = get_document(session, doc_id)
                metadata = Metadata.from_dict(doc.metadata_json or {})
                reasons = tuple(doc.review_reasons or ())
                if not reasons and doc.state != "archived":
                    reasons = (f"state:{doc.state}",)
            out.append(Outcome(case, metadata, reasons))
    finally:
        rt.close()
    return out


def run_gold_text(cases: Sequence[Case]) -> list[Outcome]:
    from sohoa.ingest.metadata.filing import file_document

    out = []
    for case in cases:
        pages = [PageText(index=0, text=unicodedata.normalize("NFC", case.gold["text"]), source="text_layer")]
        filing = file_document(pages, policy="auto", upload_procedure_code=upload_procedure(case))
        out.append(Outcome(case, filing.printed, filing.reasons))
    return out


# ---------------------------------------------------------------------------- report


def report(title: str, outcomes: Sequence[Outcome], errors: bool) -> dict[str, Any]:
    accuracy = score(outcomes)
    counts = automation(outcomes)
    print(f"\n{title}: {len(outcomes)} documents")
    print(f"{'field':<18} {'accuracy':>8}  {'target':>6}")
    for field, value in accuracy.items():
        target = TARGETS.get(field)
        flag = "" if target is None else ("  ok" if value >= target else "  BELOW")
        print(f"{field:<18} {value:>8.3f}  {(f'{target:.2f}' if target else ''):>6}{flag}")
    print(
        f"auto: archived right {counts['archived_right']}, archived WRONG {counts['archived_wrong']}, "
        f"review {counts['review']} of {counts['documents']}"
    )
    if errors:
        for o in outcomes:
            for field in accuracy:
                if not right(field, o.case.gold, o.metadata):
                    want, got = o.case.gold.get(field), getattr(o.metadata, field)
                    print(f"  {o.case.name} {field}: want {want!r} got {got!r}")
            if o.reasons:
                print(f"  {o.case.name} review: {', '.join(o.reasons)}")
    return {"accuracy": accuracy, "auto": counts}


def main(argv: Sequence[str] | None = None) -> int:
    from tests.ingest.labelled.scans import HELD_BACK_SEED

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "vn-docs")
    parser.add_argument("--path", choices=("pipeline", "stage"), default="pipeline")
    parser.add_argument("--gold-text", action="store_true", help="the corpus's gold text instead of OCR")
    parser.add_argument("--scans", type=int, default=30, help="generated held-back documents (0: none)")
    parser.add_argument("--seed", type=int, default=HELD_BACK_SEED, help="seed of the generated documents")
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--errors", action="store_true", help="print every wrong field and review reason")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    parser.add_argument("--cache", type=Path, help="--path stage: keep page texts here and reuse them")
    args = parser.parse_args(argv)

    started = time.monotonic()
    results: dict[str, Any] = {"path": "gold-text" if args.gold_text else args.path}
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
        work = Path(tmp)
        parts: list[tuple[str, list[Case]]] = []
        if not args.no_corpus:
            parts.append(("corpus", corpus_cases(args.corpus, work)))
        if args.scans and not args.gold_text:
            parts.append((f"generated (seed {args.seed})", scan_cases(args.scans, args.seed, work)))
        all_ok = True
        for title, cases in parts:
            if args.gold_text:
                outcomes = run_gold_text(cases)
            elif args.path == "stage":
                outcomes = run_stage(cases, args.cache)
            else:
                outcomes = run_pipeline(cases, work / title.split()[0])
            results[title] = report(f"{title}, path={results['path']}", outcomes, args.errors)
            all_ok = all_ok and all(results[title]["accuracy"].get(f, 0.0) >= t for f, t in TARGETS.items())
    print(f"\n{time.monotonic() - started:.1f}s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
