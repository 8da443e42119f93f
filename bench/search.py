"""Search latency on synthetic archives: PostgreSQL at 1,000,000 documents, SQLite at 100,000.

    python bench/search.py                                   # both engines, default sizes
    python bench/search.py --documents 200000 --sqlite-documents 20000 --samples 20

Creates a throwaway PostgreSQL database (dropped afterwards, also on error), runs the real
migrations, bulk-loads N documents of ~300 characters of Vietnamese-like text with COPY (indexes
built after the load, as a restore would), then times ``search_documents`` end to end (ranking,
paging, snippets; top 20) for a query mix, each query type with and without filters, and prints
p50/p95. The SQLite figures come from a temporary file loaded through the ORM tables' triggers.

Query mix: exact procedure code, code prefix, dossier code, a rare word (~0.1% of documents), a
common word (~1%), a very common word (~10%, reported only) and a two-word phrase (~1%). Filters:
state archived, issued within one year, document type "quyết định". Target: p95 < 50 ms for
every type but the very common word on PostgreSQL at 1,000,000 documents.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from sohoa.core.domain import DocumentState  # noqa: E402
from sohoa.core.text import fold  # noqa: E402
from sohoa.storage.database import Database  # noqa: E402
from sohoa.storage.search import DocumentFilters, SearchQuery, search_documents  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BYTES_PER_DOCUMENT = 6_000  # table, pages, indexes and WAL headroom, measured at 200,000
TARGET_MS = 50.0

_ONSET_TEXT = "b c ch d đ g gi h k kh l m n ng nh p ph qu r s t th tr v x"
_RHYME_TEXT = (
    "a ai am an ang anh ao au ay ăm ăn ăng âm ân âng ây e em en eo ê êm ên ênh i ia im in inh iêm iên iêu o oa oai "
    "oan oang oanh oi om on ong ô ôi ôm ôn ông ơ ơi ơm ơn u ua ui um un ung uy uyên ư ưa ưng ươi ương"
)
ONSETS = ("", *_ONSET_TEXT.split())
RHYMES = tuple(_RHYME_TEXT.split())
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
TYPES = [("Quyết định", "QĐ", 40), ("Giấy phép", "GP", 25), ("Thông báo", "TB", 15), ("Công văn", None, 10)]
TYPES += [("Giấy chứng nhận", "GCN", 5), ("Báo cáo", "BC", 5)]
ISSUER_WORDS = ["UBND", "Sở Văn hóa", "tỉnh", "huyện"]
PLACES = ["Hà Giang", "Đồng Nai", "Lào Cai", "Cần Thơ", "Huế", "Đà Nẵng", "Nghệ An", "Bắc Ninh", "Quảng Ninh", "Sơn La"]


def syllable(onset: str, rhyme: str, tone: str) -> str:
    # The tone mark sits on the rhyme's first vowel: close enough to Vietnamese for an index.
    return unicodedata.normalize("NFC", onset + rhyme[0] + tone + rhyme[1:])


@dataclass
class Vocabulary:
    background: list[str]
    weights: list[float]  # cumulative, Zipf
    rare: list[str]  # each in ~0.1% of documents
    common: list[str]  # ~1%
    very_common: list[str]  # ~10%
    phrases: list[tuple[str, str]]  # each pair adjacent in ~1%, each word alone in ~1% more


def vocabulary(rng: random.Random) -> Vocabulary:
    groups: dict[str, list[str]] = {}
    for onset in ONSETS:
        for rhyme in RHYMES:
            for tone in TONES:
                word = syllable(onset, rhyme, tone)
                groups.setdefault(fold(word), []).append(word)
    fixed = " ".join([*PLACES, *ISSUER_WORDS, *(t[0] for t in TYPES)])  # metadata words
    keys = sorted(set(groups) - set(fold(fixed).split()))
    rng.shuffle(keys)
    reserved = keys[:85]  # planted words never occur by chance
    rest = sorted(set(groups) - set(reserved))
    rng.shuffle(rest)
    planted = [rng.choice(groups[k]) for k in reserved]
    background = [w for k in rest for w in groups[k]]
    rng.shuffle(background)
    cumulative, total = [], 0.0
    for rank in range(len(background)):
        total += 1.0 / (rank + 1) ** 1.05
        cumulative.append(total)
    pairs = list(zip(planted[65:75], planted[75:85], strict=True))
    return Vocabulary(background, cumulative, planted[:30], planted[30:60], planted[60:65], pairs)


@dataclass(frozen=True)
class Synthetic:
    id: str
    row: dict[str, object]  # documents columns
    page: str


def documents(count: int, seed: int = 20261126) -> Iterator[Synthetic]:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    bases = [f"{rng.choice((1, 1, 1, 2))}.{rng.randrange(100000, 1000000):06d}" for _ in range(3000)]
    suffixes = [".000.00.00.H19", ".000.00.00.H20", ".000.00.00.H23"]
    issuers = [
        f"{org} {unit} {place}" for org in ("UBND", "Sở Văn hóa") for unit in ("tỉnh", "huyện") for place in PLACES
    ]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    for i in range(count):
        words = rng.choices(vocab.background, cum_weights=vocab.weights, k=rng.randint(52, 68))
        extra = [w for w in vocab.rare if rng.random() < 0.001]
        extra += [w for w in vocab.common if rng.random() < 0.01]
        extra += [w for w in vocab.very_common if rng.random() < 0.10]
        for a, b in vocab.phrases:
            if rng.random() < 0.01:
                extra.append(f"{a} {b}")
            extra += [w for w in (a, b) if rng.random() < 0.01]
        for item in extra:
            words.insert(rng.randrange(len(words) + 1), item)
        body = " ".join(words).capitalize() + "."
        base = rng.choice(bases)
        code = base + rng.choice(suffixes) if rng.random() < 0.7 else base
        received = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        issued = (received - timedelta(days=rng.randrange(30))).date()
        kind, abbr, _ = rng.choices(TYPES, weights=[t[2] for t in TYPES])[0]
        number = str(rng.randrange(1, 3000))
        symbol = f"{abbr or 'CV'}-UBND"
        state = rng.choices(["archived", "needs_review", "failed", "extracted"], weights=[85, 5, 5, 5])[0]
        dossier = f"000.00.{rng.randrange(10, 99)}.H19-{received:%y%m%d}-{i % 100000:05d}"
        metadata = {
            "document_type": kind,
            "type_code": abbr,
            "number": number,
            "number_year": issued.year,
            "symbol": symbol,
            "number_symbol": f"{number}/{issued.year}/{symbol}",
            "issuer": rng.choice(issuers),
            "issued_date": issued.isoformat(),
            "subject": body[:80],
        }
        doc_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        name = f"scan-{i:07d}.pdf"
        values = [v for v in metadata.values() if isinstance(v, str)]
        archived = state == "archived"
        yield Synthetic(
            doc_id,
            {
                "id": doc_id,
                "filename": name,
                "state": state,
                "procedure_code": code,
                "dossier_code": dossier,
                "original_sha256": f"{i:064x}",
                "original_size": 100_000,
                "kept_signature": False,
                "page_count": 1,
                "metadata_json": metadata,
                "search_text": fold(" ".join([name, code, dossier, *values, body])),
                "signature_level": "B-B" if archived else None,
                "signed_at": received + timedelta(minutes=5) if archived else None,
                "received_at": received,
                "updated_at": received,
                "archived_at": received + timedelta(minutes=6) if archived else None,
                "archive_key": f"archive/{code}/{received.year}/{doc_id}.pdf" if archived else None,
                "attempts": 1,
                "created_by": "bench",
            },
            body,
        )


# ---------------------------------------------------------------------------------------- loading


def load_postgres(url: str, count: int) -> None:
    import psycopg

    columns = list(next(documents(1)).row)

    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as conn:
        kept = "('documents_pkey', 'documents_archive_key_key')"
        indexes = conn.execute(
            f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'documents' AND indexname NOT IN {kept}"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with tempfile.TemporaryFile("w+", encoding="utf-8") as pages:
            with conn.cursor() as cur, cur.copy(f"COPY documents ({', '.join(columns)}) FROM STDIN") as copy:
                for doc in documents(count):
                    row = dict(doc.row)
                    row["metadata_json"] = json.dumps(row["metadata_json"], ensure_ascii=False)
                    copy.write_row([row[c] for c in columns])
                    pages.write(f"{doc.id}\t0\t{doc.page}\tocr\n")  # synthetic text has no tab nor backslash
            pages.seek(0)
            with (
                conn.cursor() as cur,
                cur.copy("COPY pages (document_id, page_index, text, source) FROM STDIN") as copy,
            ):
                while chunk := pages.read(1 << 20):
                    copy.write(chunk)
        conn.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE documents")
        conn.execute("VACUUM ANALYZE pages")


def load_sqlite(db: Database, count: int) -> None:
    from sqlalchemy import insert

    from sohoa.storage.records import DocumentRecord, PageRecord

    batch: list[Synthetic] = []

    def flush() -> None:
        with db.engine.begin() as conn:
            conn.execute(insert(DocumentRecord), [d.row for d in batch])
            rows = [{"document_id": d.id, "page_index": 0, "text": d.page, "source": "ocr"} for d in batch]
            conn.execute(insert(PageRecord), rows)
        batch.clear()

    for doc in documents(count):
        batch.append(doc)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


# ---------------------------------------------------------------------------------------- queries


def with_filters(codes: dict[str, str], year: int | None) -> DocumentFilters:
    """The code filters of a query, plus the broad ones (archived, issued in ``year``, a decision)."""
    plain = DocumentFilters(procedure_code=codes.get("procedure_code"), dossier_code=codes.get("dossier_code"))
    if year is None:
        return plain
    return dataclasses.replace(
        plain,
        state=DocumentState.ARCHIVED,
        document_type="quyet dinh",
        issued_from=date(year, 1, 1),
        issued_to=date(year, 12, 31),
    )


def query_mix(count: int, samples: int) -> dict[str, list[str | dict[str, str]]]:
    """Per type, ``samples`` queries: a text, or code filters taken from the synthetic documents."""
    vocab = vocabulary(random.Random(20261126))
    chosen = list(itertools.islice(documents(count), samples))  # documents are drawn independently
    codes = [str(d.row["procedure_code"]) for d in chosen]
    return {
        "exact code": [{"procedure_code": c} for c in codes],
        "code prefix": [{"procedure_code": ".".join(c.split(".")[:2])} for c in codes],
        "dossier code": [{"dossier_code": str(d.row["dossier_code"])} for d in chosen],
        "rare word 0.1%": [vocab.rare[i % len(vocab.rare)] for i in range(samples)],
        "common word 1%": [vocab.common[i % len(vocab.common)] for i in range(samples)],
        "phrase 1%": [f'"{a} {b}"' for a, b in (vocab.phrases[i % len(vocab.phrases)] for i in range(samples))],
        "very common 10%": [vocab.very_common[i % len(vocab.very_common)] for i in range(samples)],
    }


def measure(db: Database, count: int, samples: int, log: Callable[[str], None]) -> None:
    mix = query_mix(count, samples)
    years = [2022, 2023, 2024]
    log(f"{'query':<17} {'filters':<8} {'matches':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, items in mix.items():
        for filtered in (False, True):
            timings, totals = [], []
            for n, item in enumerate(items):
                fields = item if isinstance(item, dict) else {}
                text = item if isinstance(item, str) else None
                flt = with_filters(fields, years[n % len(years)] if filtered else None)
                query = SearchQuery(text=text, filters=flt, limit=20)
                for attempt in range(2):  # the first run warms the caches; the second is timed
                    began = time.perf_counter()
                    with db.session() as session:
                        found = search_documents(session, query)
                    if attempt:
                        timings.append((time.perf_counter() - began) * 1000)
                        totals.append(found.total)
            timings.sort()
            p50 = statistics.median(timings)
            p95 = timings[max(0, math.ceil(0.95 * len(timings)) - 1)]
            log(f"{kind:<17} {'yes' if filtered else 'no':<8} {statistics.mean(totals):>9.0f} {p50:>8.1f} {p95:>8.1f}")


# ---------------------------------------------------------------------------------------- runs


def postgres_run(count: int, samples: int, log: Callable[[str], None]) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        data_dir = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
    free = shutil.disk_usage(data_dir if data_dir.exists() else "/").free
    affordable = int(free * 0.5 / BYTES_PER_DOCUMENT)
    if affordable < count:
        log(f"only {free / 1e9:.1f} GB free: loading {affordable:,} documents instead of {count:,}")
        count = affordable
    name = f"sohoa_bench_{uuid.uuid4().hex[:10]}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = None
    try:
        db = Database(url)
        began = time.perf_counter()
        load_postgres(url, count)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            size = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]  # type: ignore[index]
        log(
            f"PostgreSQL: {count:,} documents loaded and indexed in {time.perf_counter() - began:.0f} s, "
            f"{size / 1e9:.2f} GB"
        )
        measure(db, count, samples, log)
    finally:
        if db is not None:
            db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"PostgreSQL database {name} dropped")


def sqlite_run(count: int, samples: int, log: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            began = time.perf_counter()
            load_sqlite(db, count)
            size = (Path(folder) / "bench.db").stat().st_size
            log(f"SQLite: {count:,} documents loaded in {time.perf_counter() - began:.0f} s, {size / 1e9:.2f} GB")
            measure(db, count, samples, log)
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000, help="PostgreSQL documents (0 skips)")
    parser.add_argument("--sqlite-documents", type=int, default=100_000, help="SQLite documents (0 skips)")
    parser.add_argument("--samples", type=int, default=40, help="timed queries per type and filter setting")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    log(f"top 20 per query, {args.samples} queries per row, times end to end (ranking, paging, snippets)")
    if args.documents:
        postgres_run(args.documents, args.samples, log)
    if args.sqlite_documents:
        sqlite_run(args.sqlite_documents, args.samples, log)
    log(f"target: p95 < {TARGET_MS:.0f} ms on PostgreSQL at 1,000,000 for every type but the very common word")
    return 0


if __name__ == "__main__":
    sys.exit(main())
