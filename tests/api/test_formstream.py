from __future__ import annotations

import asyncio
import hashlib
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.requests import Request

from sohoa.api.formstream import FormLimits, RequestTooLarge, read_form

BOUNDARY = "sohoa-test-boundary"
CHUNK = 64 * 1024


def _parts(files: int, size: int) -> Iterator[bytes]:
    """A multipart body produced piece by piece, never whole: a field, then ``files`` files."""
    yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="procedure_code"\r\n\r\n1.001029\r\n'.encode()
    for n in range(files):
        name = f"bản quét {n}.pdf"
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        block = hashlib.sha256(str(n).encode()).digest() * (CHUNK // 32)
        for _ in range(size // CHUNK):
            yield block
        yield b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


def _request(body: Iterator[bytes], length: int | None = None) -> Request:
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}

    async def receive() -> dict[str, object]:
        chunk = next(body, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    return Request(scope, receive)


LIMITS = FormLimits(max_request_bytes=10**9, max_files=1000, max_file_bytes=10**8)


def test_memory_stays_flat_whatever_the_request_holds(tmp_path: Path) -> None:
    # 48 files of 768 KiB: each under Starlette's 1 MiB spool threshold, so it would keep all 36 MiB in RAM.
    tracemalloc.start()
    try:
        form = asyncio.run(read_form(_request(_parts(48, 768 * 1024)), tmp_path / "req", LIMITS))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
    assert form.fields == {"procedure_code": "1.001029"}
    assert [f.filename for f in form.files] == [f"bản quét {n}.pdf" for n in range(48)]
    assert all(f.path.stat().st_size == f.size == 768 * 1024 and not f.truncated for f in form.files)
    expected = hashlib.sha256(str(7).encode()).digest() * (CHUNK // 32)
    assert form.files[7].path.read_bytes()[:CHUNK] == expected


def test_a_file_is_cut_one_byte_past_its_limit(tmp_path: Path) -> None:
    limits = FormLimits(max_request_bytes=10**9, max_files=10, max_file_bytes=100_000)
    form = asyncio.run(read_form(_request(_parts(2, 4 * CHUNK)), tmp_path / "req", limits))
    assert [(f.size, f.truncated) for f in form.files] == [(100_001, True), (100_001, True)]
    assert form.files[1].path.stat().st_size == 100_001


@pytest.mark.parametrize("declared", [True, False])
def test_request_size_limit_with_and_without_a_declared_length(tmp_path: Path, declared: bool) -> None:
    limits = FormLimits(max_request_bytes=300_000, max_files=10, max_file_bytes=10**8)
    consumed = 0

    def counted() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in _parts(8, 4 * CHUNK):
            consumed += len(chunk)
            yield chunk

    length = 10**7 if declared else None
    with pytest.raises(RequestTooLarge) as caught:
        asyncio.run(read_form(_request(counted(), length), tmp_path / "req", limits))
    assert caught.value.http_status == 413
    # Refused from the header without reading, or as soon as the limit is passed: never the whole body.
    assert consumed <= (0 if declared else 300_000 + CHUNK)
