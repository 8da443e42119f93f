"""Upload throughput through the real API: 1,000 files of ~1 MB in requests of 100 files.

    python bench/upload.py                        # defaults: 1000 files, 1 MiB, 100 per request
    python bench/upload.py --files 300 --concurrency 2

Starts ``uvicorn`` on loopback in a child process, with a fresh embedded data dir (SQLite and the
local folder store) and the workers paused (``SOHOA_WORKERS_PAUSED=true``: the API runs no pipeline
job, so what is measured is intake alone: streaming to disk, hashing, sniffing, storing,
cataloguing). Files are distinct JPEGs (one noise image, each with its own comment segment). Prints
the throughput, the server's peak RSS (VmHWM), and checks every file is accounted for afterwards:
as many documents as files, each file's sha256 exactly once, every original in the object store.
Targets: >= 50 MB/s on loopback, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

import httpx  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from sohoa.core.settings import Settings  # noqa: E402
from sohoa.storage.accounts import create_token, create_user  # noqa: E402
from sohoa.storage.database import Database  # noqa: E402
from sohoa.storage.records import DocumentRecord  # noqa: E402
from sohoa.storage.stores import open_object_store  # noqa: E402

PROCEDURE = "1.001029.000.00.00.H19"
MiB = 1024 * 1024


def _noise_jpeg(target_bytes: int) -> bytes:
    """A noise JPEG close to ``target_bytes``: noise does not compress, so size follows pixels."""
    rng = random.Random(20251125)
    side = 300
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=92)
        if out.tell() >= target_bytes * 0.97:
            return out.getvalue()
        side = int(side * (target_bytes / max(out.tell(), 1)) ** 0.5) + 8


def _with_comment(jpeg: bytes, text: str) -> bytes:
    # A COM segment right after SOI: a valid JPEG whose bytes (and sha256) differ per file.
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def make_files(directory: Path, count: int, size: int) -> dict[str, str]:
    """Write ``count`` distinct JPEGs; returns name -> sha256."""
    base = _noise_jpeg(size)
    digests = {}
    for n in range(count):
        name = f"scan-{n:05d}.jpg"
        data = _with_comment(base, f"sohoa bench file {n}")
        (directory / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def fsync_latency_ms(directory: Path, rounds: int = 20) -> float:
    """What one durable 1 MiB write costs on the data dir's disk: the store pays a few per file."""
    probe = directory / ".fsync-probe"
    started = time.perf_counter()
    for _ in range(rounds):
        with probe.open("wb") as fh:
            fh.write(b"\0" * MiB)
            fh.flush()
            os.fsync(fh.fileno())
    probe.unlink()
    return (time.perf_counter() - started) / rounds * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "sohoa.api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start within 60 s")


def upload(url: str, token: str, paths: list[Path]) -> dict[str, Any]:
    with ExitStack() as stack:
        files = [("files", (p.name, stack.enter_context(p.open("rb")), "image/jpeg")) for p in paths]
        answer = httpx.post(
            url,
            files=files,
            data={"procedure_code": PROCEDURE},
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
    if answer.status_code != 201:
        raise RuntimeError(f"upload answered {answer.status_code}: {answer.text[:500]}")
    result: dict[str, Any] = answer.json()
    return result


def check_accounting(settings: Settings, digests: dict[str, str], answers: list[dict[str, Any]]) -> list[str]:
    """Every file once: in the answers, in the catalogue, in the object store."""
    problems = []
    answered = [d for a in answers for d in a["documents"]]
    rejected = [r for a in answers for r in a["rejected"]]
    if rejected:
        problems.append(f"{len(rejected)} files rejected, e.g. {rejected[0]}")
    if sorted(d["filename"] for d in answered) != sorted(digests):
        problems.append("the answers do not name every file exactly once")
    if any(d["duplicate_of"] for d in answered):
        problems.append("some distinct files were taken for duplicates")
    db = Database(settings.db_url, migrate=False)
    store = open_object_store(settings)
    try:
        with db.session() as session:
            rows = session.execute(select(DocumentRecord.original_sha256, DocumentRecord.original_key)).all()
        shas = [sha for sha, _ in rows]
        if len(rows) != len(digests):
            problems.append(f"{len(rows)} documents in the catalogue for {len(digests)} files")
        if sorted(shas) != sorted(digests.values()):
            problems.append("the catalogue's originals are not exactly the files sent (lost or doubled)")
        missing = [key for _, key in rows if key is None or store.stat(key).size <= 0]
        if missing:
            problems.append(f"{len(missing)} originals missing from the object store")
    finally:
        db.dispose()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=float, default=1.0, help="MiB per file (about)")
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--keep", action="store_true", help="keep the data dir for inspection")
    parser.add_argument("--under", type=Path, default=None, help="where the data dir goes (its disk is measured)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sohoa-bench-upload-", dir=args.under))
    data_dir, files_dir = work / "var", work / "files"
    files_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_DATA_DIR=str(data_dir), SOHOA_WORKERS_PAUSED="true", PYTHONPATH=str(REPO))
    settings = Settings(data_dir=data_dir, database_url=None, s3_endpoint=None, broker_url=None)
    server = None
    try:
        print(f"writing {args.files} files of ~{args.size:g} MiB ...", flush=True)
        digests = make_files(files_dir, args.files, int(args.size * MiB))
        total = sum(p.stat().st_size for p in files_dir.iterdir())
        data_dir.mkdir(parents=True)
        fsync_ms = fsync_latency_ms(data_dir)
        db = Database(settings.db_url)
        with db.session() as session:
            token = create_token(session, create_user(session, "bench", "uploader", actor="bench"), actor="bench")
        db.dispose()

        port = _free_port()
        server = start_server(env, port)
        url = f"http://127.0.0.1:{port}/api/v1/uploads"
        paths = sorted(files_dir.iterdir())
        groups = [paths[i : i + args.per_request] for i in range(0, len(paths), args.per_request)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            answers = list(pool.map(lambda group: upload(url, token, group), groups))
        elapsed = time.perf_counter() - started
        peak = _peak_rss_mb(server.pid)

        problems = check_accounting(settings, digests, answers)
        rate = total / MiB / elapsed
        print(
            f"files:        {len(paths)} in {len(groups)} requests of {args.per_request}"
            f" (concurrency {args.concurrency})"
        )
        print(f"bytes:        {total / MiB:.1f} MiB in {elapsed:.1f} s")
        print(f"throughput:   {rate:.1f} MiB/s   (target >= 50)")
        print(f"server peak RSS: {peak:.0f} MiB   (target < 300)")
        print(f"disk:         {fsync_ms:.1f} ms per durable 1 MiB write on {data_dir.parent}")
        print(f"accounted:    {'all ' + str(len(digests)) + ' files, once each' if not problems else 'NO'}")
        for problem in problems:
            print(f"  problem: {problem}")
        return 0 if not problems and rate >= 50 and peak < 300 else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
