"""Speed, memory, size and accuracy of sohoa's page pipeline against raw tesseract and OCRmyPDF.

    python bench/ocr.py                     # speed on the scanned vn-docs pages, 2 processes
    python bench/ocr.py --processes 1 --limit 10
    python bench/ocr.py --accuracy          # word F1 and character ratio against the gold JSON

Speed: every scanned page of ``../shared/corpus/vn-docs`` (PNG, JPEG, TIFF frames, image
PDF pages) is gathered once into one image PDF (images embedded as they are) and into
page image files. Then, with the same number of processes, (a) and (b) alternating on
chunks of ``--chunk`` pages (the machine may be shared: both see the same load):
(a) raw ``tesseract IMG out -l vie pdf`` per page image (OMP_THREAD_LIMIT=1, its best setting here),
(b) sohoa's ``make_searchable_pdf`` on the gathered PDF (rendering, orientation, deskew, OCR,
    recompression, PDF/A),
(c) ``ocrmypdf --rotate-pages --deskew --jobs N`` on the gathered PDF, if ocrmypdf is found
    (on PATH or as ``--ocrmypdf``).
Printed: pages/s, ratios b/a and b/c, peak RSS summed over the process tree (sampled from
/proc), output bytes per page against input bytes per page.

Accuracy: each document goes through ``make_searchable_pdf`` as the service would (text-layer
PDFs keep their text); words are ``\\w+`` runs of the NFC text, compared as multisets (F1);
the character ratio is difflib's on whitespace-normalized text. Documents are reported by
kind too: photos (pages sohoa found to be photos), greyscale, colour and bilevel pages.

    python bench/ocr.py --accuracy --synthetic --count 8   # generated documents, held back

Synthetic: ``--count`` generated documents (seed ``--seed``, 9001: tests and development use
seeds below 100, so these pages were never looked at while tuning) drawn as A4 pages with a red
seal and a signature, each read five ways: drawn flat (300 dpi PNG, the reference), as a phone
photo (2448x3264 JPEG), a 150-dpi grey scan, a 300-dpi colour scan and a 200-dpi G4 TIFF.
Printed per kind: mean and worst word F1, seconds per page; for photos also the corner error
(largest distance of a found corner to the true one), the F1 of the same photos read without
photo correction, and the photo correction's own time (finding, warping, evening the light)
as a share of the rest of the page's time.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

import pikepdf  # noqa: E402
from PIL import Image  # noqa: E402

from sohoa.core.domain import FileKind  # noqa: E402
from sohoa.core.settings import get_settings  # noqa: E402
from sohoa.core.text import nfc  # noqa: E402
from sohoa.ingest.compression import encode_page_image, passthrough_jpeg  # noqa: E402
from sohoa.ingest.ocr import extract_text_layer, make_searchable_pdf  # noqa: E402
from sohoa.ingest.ocr_engines import TesseractEngine  # noqa: E402
from sohoa.ingest.pages import render_pages  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "vn-docs"
KINDS = {
    ".pdf": FileKind.PDF,
    ".png": FileKind.PNG,
    ".jpg": FileKind.JPEG,
    ".jpeg": FileKind.JPEG,
    ".tif": FileKind.TIFF,
}
_WORD = re.compile(r"\w+")


# --- memory: RSS summed over this process and all its descendants -------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def tree_rss(root: int) -> int:
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss(pid)
        stack.extend(tree.get(pid, []))
    return total


class PeakRss:
    """Samples the process tree's summed RSS every 50 ms while in a ``with`` block."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the page set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    name: str
    files: tuple[Path, ...]
    gold: str
    vector: bool


def documents() -> list[Document]:
    out = []
    for gold_path in sorted(CORPUS.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        files = gold["file"] if isinstance(gold["file"], list) else [gold["file"]]
        out.append(
            Document(
                name=gold_path.stem,
                files=tuple(CORPUS / f for f in files),
                gold=nfc(gold["text"]),
                vector=gold.get("format") == "pdf-vector",
            )
        )
    return out


def gather_pages(docs: list[Document], out_dir: Path, limit: int | None) -> tuple[list[Path], Path, int]:
    """Page images for raw tesseract, one image PDF of the same pages, and the original bytes."""
    images: list[Path] = []
    input_bytes = 0
    with pikepdf.new() as pdf:
        for doc in docs:
            if doc.vector:
                continue
            for path in doc.files:
                input_bytes += path.stat().st_size
                for page in render_pages(path, KINDS[path.suffix.lower()], out_dir, min_dpi=200):
                    if limit is not None and len(images) >= limit:
                        break
                    stem = out_dir / f"p{len(images):04d}"
                    # Raw tesseract reads the scanned page itself where one exists.
                    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
                        image_file = stem.with_suffix(path.suffix.lower())
                        shutil.copyfile(path, image_file)
                    else:
                        image_file = stem.with_suffix(".png")
                        with Image.open(page.path) as img:
                            img.save(image_file, dpi=(page.dpi, page.dpi))
                    images.append(image_file)
                    encoded = passthrough_jpeg(image_file) if image_file.suffix == ".jpg" else None
                    if encoded is None:
                        with Image.open(page.path) as img:
                            content = "bilevel" if img.mode == "1" else "grey" if img.mode == "L" else None
                            encoded = encode_page_image(img, stem, jpeg_quality=92, content=content)
                    _add_image_page(pdf, encoded, page.dpi)
                    page.path.unlink(missing_ok=True)
        gathered = out_dir / "gathered.pdf"
        pdf.save(gathered)
    return images, gathered, input_bytes


def _add_image_page(pdf: pikepdf.Pdf, encoded: object, dpi: float) -> None:
    from sohoa.ingest.assemble import _image_stream

    width_pt, height_pt = encoded.width * 72 / dpi, encoded.height * 72 / dpi  # type: ignore[attr-defined]
    page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=_image_stream(pdf, encoded)))  # type: ignore[arg-type]
    page.Contents = pikepdf.Stream(pdf, f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /Im0 Do Q".encode())


# --- the three contenders -------------------------------------------------------------------


@dataclass
class Run:
    name: str
    seconds: float
    pages: int
    peak_rss: int
    output_bytes: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def timed(name: str, pages: int, output: Callable[[], int], body: Callable[[], None]) -> Run:
    with PeakRss() as rss:
        start = time.perf_counter()
        body()
        seconds = time.perf_counter() - start
    return Run(name, seconds, pages, rss.peak, output())


def run_raw_tesseract(images: list[Path], out_dir: Path, processes: int) -> Run:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out_dir.mkdir(exist_ok=True)

    def one(image: Path) -> None:
        subprocess.run(
            ["tesseract", str(image), str(out_dir / image.stem), "-l", "vie", "pdf"],
            env=env, capture_output=True, check=True,
        )  # fmt: skip

    def body() -> None:
        with ThreadPoolExecutor(processes) as pool:
            list(pool.map(one, images))

    outputs = [out_dir / f"{image.stem}.pdf" for image in images]
    return timed("a raw tesseract", len(images), lambda: sum(p.stat().st_size for p in outputs), body)


def run_sohoa(gathered: Path, pages: int, out_dir: Path, processes: int) -> Run:
    output = out_dir / f"sohoa-{gathered.stem}.pdf"
    engine = TesseractEngine.from_settings(get_settings())

    def body() -> None:
        make_searchable_pdf(
            gathered, FileKind.PDF, output, out_dir / "work", engine=engine, processes=processes,
            xmp={"title": "bench"},
        )  # fmt: skip

    return timed("b sohoa", pages, lambda: output.stat().st_size, body)


def run_ocrmypdf(ocrmypdf: str, gathered: Path, pages: int, out_dir: Path, processes: int) -> Run:
    output = out_dir / "ocrmypdf.pdf"
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def body() -> None:
        subprocess.run(
            [ocrmypdf, "-l", "vie", "--rotate-pages", "--deskew", "--jobs", str(processes),
             "--output-type", "pdfa-2", "-q", str(gathered), str(output)],
            env=env, check=True,
        )  # fmt: skip

    return timed("c ocrmypdf", pages, lambda: output.stat().st_size, body)


def _chunks(gathered: Path, size: int, out_dir: Path) -> list[tuple[range, Path]]:
    out = []
    with pikepdf.open(gathered) as pdf:
        for start in range(0, len(pdf.pages), size):
            pages = range(start, min(start + size, len(pdf.pages)))
            with pikepdf.new() as part:
                for index in pages:
                    part.pages.append(pdf.pages[index])
                path = out_dir / f"chunk{start:04d}.pdf"
                part.save(path)
            out.append((pages, path))
    return out


def _total(name: str, runs: list[Run]) -> Run:
    return Run(
        name,
        sum(r.seconds for r in runs),
        sum(r.pages for r in runs),
        max(r.peak_rss for r in runs),
        sum(r.output_bytes for r in runs),
    )


def speed(args: argparse.Namespace) -> None:
    docs = documents()
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        tmp_dir = Path(tmp)
        images, gathered, input_bytes = gather_pages(docs, tmp_dir, args.limit)
        pages = len(images)
        gathered_kib = gathered.stat().st_size / pages / 1024
        print(f"{pages} pages, {args.processes} processes; gathered input {gathered_kib:.0f} KiB/page")
        # (a) and (b) alternate chunk by chunk, so load from other processes on the machine
        # weighs on both alike.
        raw_runs: list[Run] = []
        sohoa_runs: list[Run] = []
        for number, (chunk, chunk_pdf) in enumerate(_chunks(gathered, args.chunk, tmp_dir)):
            chunk_images = [images[i] for i in chunk]
            first_raw = number % 2 == 0
            if first_raw:
                raw_runs.append(run_raw_tesseract(chunk_images, tmp_dir / "raw", args.processes))
            sohoa_runs.append(run_sohoa(chunk_pdf, len(chunk), tmp_dir, args.processes))
            if not first_raw:
                raw_runs.append(run_raw_tesseract(chunk_images, tmp_dir / "raw", args.processes))
        runs = [_total("a raw tesseract", raw_runs), _total("b sohoa", sohoa_runs)]
        ocrmypdf = args.ocrmypdf or shutil.which("ocrmypdf")
        if ocrmypdf:
            runs.append(run_ocrmypdf(ocrmypdf, gathered, pages, tmp_dir, args.processes))
        else:
            print("(c) skipped: ocrmypdf not found (pass --ocrmypdf PATH)")
        print(f"{'run':18} {'pages/s':>8} {'seconds':>8} {'peak RSS MB':>12} {'out KiB/page':>13}")
        for run in runs:
            print(
                f"{run.name:18} {run.pages_per_second:8.3f} {run.seconds:8.1f} {run.peak_rss / 2**20:12.0f}"
                f" {run.output_bytes / pages / 1024:13.0f}"
            )
        print(f"original scanned files: {input_bytes / pages / 1024:.0f} KiB/page")
        by_name = {run.name[0]: run for run in runs}
        print(f"b/a = {by_name['b'].pages_per_second / by_name['a'].pages_per_second:.3f} (target >= 0.85)")
        if "c" in by_name:
            print(f"b/c = {by_name['b'].pages_per_second / by_name['c'].pages_per_second:.3f}")


# --- accuracy -------------------------------------------------------------------------------


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(nfc(text)))


def word_f1(found: str, gold: str) -> float:
    got, want = words(found), words(gold)
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def char_ratio(found: str, gold: str) -> float:
    squash = lambda s: " ".join(nfc(s).split())  # noqa: E731
    return difflib.SequenceMatcher(None, squash(found), squash(gold), autojunk=False).ratio()


def _kind_of(path: Path, kind: FileKind) -> str:
    from sohoa.ingest.pages import iter_page_images

    _, img, _ = next(iter_page_images(path, kind, pages=[0]))
    return {"1": "bilevel", "L": "greyscale"}.get(img.mode, "colour")


def document_text(doc: Document, work: Path, processes: int) -> tuple[str, str]:
    """The document's OCR text and its kind (photo, greyscale, colour, bilevel, text layer)."""
    engine = TesseractEngine.from_settings(get_settings())
    texts, kinds = [], []
    for path in doc.files:
        kind = KINDS[path.suffix.lower()]
        text_pages = frozenset()
        if kind is FileKind.PDF:
            text_pages = frozenset(p.index for p in extract_text_layer(path) if p.text.strip())
        result = make_searchable_pdf(
            path, kind, work / f"{path.stem}.pdf", work / "scratch", engine=engine,
            processes=processes, text_layer_pages=text_pages,
        )  # fmt: skip
        texts += [page.text for page in result.pages]
        if result.photo_pages:
            kinds.append("photo")
        elif text_pages:
            kinds.append("text layer")
        else:
            kinds.append(_kind_of(path, kind))
    return "\n".join(texts), kinds[0] if len(set(kinds)) == 1 else "mixed"


def _report_by_kind(rows: list[tuple[str, float]]) -> None:
    by_kind: dict[str, list[float]] = {}
    for kind, f1 in rows:
        by_kind.setdefault(kind, []).append(f1)
    for kind, f1s in sorted(by_kind.items()):
        print(f"  {kind:12} mean word F1 {sum(f1s) / len(f1s):.4f}  min {min(f1s):.4f}  ({len(f1s)} documents)")


def accuracy(args: argparse.Namespace) -> None:
    f1s: list[float] = []
    ratios: list[float] = []
    rows: list[tuple[str, float]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-acc-") as tmp:
        for doc in [d for d in documents() if args.only in d.name][: args.limit]:
            text, kind = document_text(doc, Path(tmp), args.processes)
            f1, ratio = word_f1(text, doc.gold), char_ratio(text, doc.gold)
            f1s.append(f1)
            ratios.append(ratio)
            rows.append((kind, f1))
            flag = "  <0.95" if f1 < 0.95 else ""
            print(f"{doc.name[:40]:40} {kind:10} word F1 {f1:.4f}  char ratio {ratio:.4f}{flag}", flush=True)
            if args.errors:
                got, want = words(text), words(doc.gold)
                print("   missing:", " ".join(sorted((want - got).elements()))[:300])
                print("   extra:  ", " ".join(sorted((got - want).elements()))[:300])
    print(
        f"overall: mean word F1 {sum(f1s) / len(f1s):.4f} (min {min(f1s):.4f}), "
        f"mean char ratio {sum(ratios) / len(ratios):.4f}, {len(f1s)} documents, "
        f"{time.perf_counter() - start:.0f} s"
    )
    _report_by_kind(rows)


# --- accuracy on generated pages, by kind -----------------------------------------------------


def _read_image(
    image: Image.Image, path: Path, work: Path, *, photos: bool = True, **save: object
) -> tuple[str, float]:
    """The OCR text of one page image file as the service reads it, and the seconds it took."""
    image.save(path, **save)  # type: ignore[arg-type]
    kind = KINDS[path.suffix.lower()]
    engine = TesseractEngine.from_settings(get_settings())
    start = time.perf_counter()
    # One process: the seconds are one page's, not a pool's.
    result = make_searchable_pdf(
        path, kind, work / "out.pdf", work / "scratch", engine=engine, processes=1, photos=photos
    )
    return "\n".join(page.text for page in result.pages), time.perf_counter() - start


def _correction_seconds(photo: Image.Image) -> float:
    """What preparing a photo page costs, as the page stage does it: find, warp, even, grey."""
    from sohoa.ingest.preparation import prepare_page

    start = time.perf_counter()
    prepare_page(photo, 300.0, resolution_tagged=False)
    return time.perf_counter() - start


def synthetic_accuracy(args: argparse.Namespace) -> None:
    import random
    import sys

    sys.path.insert(0, str(REPO))
    from sohoa.ingest.photo import find_page, quad_error
    from tests.ingest.labelled.generator import generate
    from tests.ingest.labelled.photos import bilevel_scan, colour_scan, draw_document, greyscale_150dpi, photograph

    scores: dict[str, list[tuple[float, float]]] = {}
    corner_errors: list[float] = []
    raw: list[float] = []
    shares: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-syn-") as tmp:
        work = Path(tmp)
        for i, doc in enumerate(generate(args.count, seed=args.seed)):
            rng = random.Random(args.seed * 1000 + i)
            page = draw_document(doc, rng)
            photo, corners = photograph(page.image, rng)
            quad = find_page(photo)
            corner_errors.append(quad_error(quad.corners, corners) if quad else float("inf"))
            variants = {
                "flat": (page.image, "flat.png", {"dpi": (300, 300)}),
                "photo": (photo, "photo.jpg", {"quality": 90}),
                "greyscale": (greyscale_150dpi(page.image, rng), "grey.png", {"dpi": (150, 150)}),
                "colour": (colour_scan(page.image, rng), "colour.jpg", {"dpi": (300, 300), "quality": 90}),
                "bilevel": (bilevel_scan(page.image, rng), "g4.tif", {"dpi": (200, 200), "compression": "group4"}),
            }
            line = []
            for kind, (image, name, save) in variants.items():
                text, seconds = _read_image(image, work / name, work, **save)
                scores.setdefault(kind, []).append((word_f1(text, page.gold), seconds))
                line.append(f"{kind} {scores[kind][-1][0]:.3f}")
                if kind == "photo":
                    raw.append(word_f1(_read_image(image, work / name, work, photos=False, **save)[0], page.gold))
                    correction = _correction_seconds(photo)
                    shares.append(correction / max(1e-9, seconds - correction))
            print(f"{doc.name}: " + "  ".join(line) + f"  corners {corner_errors[-1]:.1f} px", flush=True)
    print(f"{args.count} generated documents, seed {args.seed} (held back)")
    for kind, rows in scores.items():
        f1s = [f for f, _ in rows]
        print(
            f"  {kind:10} mean word F1 {sum(f1s) / len(f1s):.4f}  min {min(f1s):.4f}"
            f"  {sum(s for _, s in rows) / len(rows):.2f} s/page"
        )
    flat = sum(f for f, _ in scores["flat"]) / len(scores["flat"])
    photo_f1 = sum(f for f, _ in scores["photo"]) / len(scores["photo"])
    print(f"  photo - flat: {photo_f1 - flat:+.4f} (target >= -0.02)")
    print(f"  photos read as shot (no correction): mean {sum(raw) / len(raw):.4f}  min {min(raw):.4f}")
    ordered = sorted(corner_errors)
    print(f"  corner error: median {ordered[len(ordered) // 2]:.1f} px, worst {ordered[-1]:.1f} px")
    print(f"  photo correction / rest of the photo page's time: mean {sum(shares) / len(shares):.3f} (target < 0.20)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="pages (speed) or documents (accuracy)")
    parser.add_argument("--chunk", type=int, default=12, help="speed: pages per alternating (a)/(b) round")
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--errors", action="store_true", help="with --accuracy: print missing/extra words")
    parser.add_argument("--only", default="", help="with --accuracy: documents whose name contains this")
    parser.add_argument("--ocrmypdf", default=None, help="path of the ocrmypdf program")
    parser.add_argument("--synthetic", action="store_true", help="with --accuracy: generated, held-back pages")
    parser.add_argument("--count", type=int, default=8, help="with --synthetic: documents")
    parser.add_argument("--seed", type=int, default=9001, help="with --synthetic: the held-back seed")
    args = parser.parse_args()
    if args.accuracy and args.synthetic:
        synthetic_accuracy(args)
    else:
        accuracy(args) if args.accuracy else speed(args)


if __name__ == "__main__":
    main()
