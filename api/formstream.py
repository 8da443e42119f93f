"""A multipart form read as it streams in, every file part written straight to disk.

Starlette keeps each file part under 1 MiB in memory, so a request of a thousand small scans
would sit in RAM whole. Here memory stays at one network chunk whatever the request holds,
and the limits are enforced while reading: the request's size (413 as soon as it is passed,
before the rest is read), the number of files (413), each file's size (the part is cut one
byte past the limit, so intake refuses it as ``file_too_large`` without storing the rest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from sohoa.core.errors import InputRejected

log = logging.getLogger(__name__)

__all__ = ["FormLimits", "RequestTooLarge", "StreamedFile", "StreamedForm", "read_form"]


class RequestTooLarge(InputRejected):
    """The request passes a limit of the whole request: answered 413, nothing of it is kept."""

    code = "request_too_large"
    http_status = 413


@dataclass(frozen=True)
class FormLimits:
    max_request_bytes: int
    max_files: int
    max_file_bytes: int
    max_field_bytes: int = 64 * 1024
    max_fields: int = 100


@dataclass
class StreamedFile:
    filename: str
    path: Path
    size: int = 0  # bytes kept on disk: at most max_file_bytes + 1
    truncated: bool = False


@dataclass
class StreamedForm:
    fields: dict[str, str] = field(default_factory=dict)  # the last value of each non-file field
    files: list[StreamedFile] = field(default_factory=list)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class _Reader:
    """Callbacks for python-multipart's push parser: one part at a time, files to ``directory``."""

    def __init__(self, directory: Path, limits: FormLimits) -> None:
        self.directory = directory
        self.limits = limits
        self.form = StreamedForm()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._file: StreamedFile | None = None
        self._out: BinaryIO | None = None
        self._fields = 0

    def on_part_begin(self) -> None:
        self._headers = {}
        self._value.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition"))
        self._name = _text(options.get(b"name", b""))
        if b"filename" not in options:
            self._fields += 1
            if self._fields > self.limits.max_fields:
                raise RequestTooLarge(f"more than {self.limits.max_fields} form fields", code="too_many_fields")
            return
        if len(self.form.files) >= self.limits.max_files:
            raise RequestTooLarge(
                f"more than {self.limits.max_files} files in one upload; send them in several requests",
                code="too_many_files",
                details={"max_files": self.limits.max_files},
            )
        path = self.directory / f"{len(self.form.files):06d}"
        self._file = StreamedFile(_text(options[b"filename"]), path)
        self._out = path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            if len(self._value) + (end - start) > self.limits.max_field_bytes:
                raise RequestTooLarge(
                    f"form field {self._name!r} is longer than {self.limits.max_field_bytes} bytes",
                    code="field_too_large",
                )
            self._value += data[start:end]
            return
        room = self.limits.max_file_bytes + 1 - self._file.size
        if room <= 0:
            self._file.truncated = True
            return
        chunk = data[start : min(end, start + room)]
        assert self._out is not None
        self._out.write(chunk)
        self._file.size += len(chunk)

    def on_part_end(self) -> None:
        if self._file is None:
            self.form.fields[self._name] = _text(bytes(self._value))
            return
        assert self._out is not None
        self._out.close()
        self._out = None
        # A file input left empty in a browser form still sends a part, without a name or bytes.
        if self._file.filename or self._file.size:
            self.form.files.append(self._file)
        else:
            self._file.path.unlink(missing_ok=True)
        self._file = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _boundary(request: Request) -> bytes:
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media != b"multipart/form-data" or not options.get(b"boundary"):
        raise InputRejected("send the files as multipart/form-data", code="not_multipart")
    return options[b"boundary"]


async def read_form(request: Request, directory: Path, limits: FormLimits) -> StreamedForm:
    """Read the whole form, files into ``directory`` (which the caller removes afterwards)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_request_bytes:
        raise RequestTooLarge(
            f"the request is larger than the limit of {limits.max_request_bytes} bytes",
            details={"max_request_bytes": limits.max_request_bytes},
        )
    boundary = _boundary(request)
    directory.mkdir(parents=True, exist_ok=True)
    reader = _Reader(directory, limits)
    callbacks = {
        "on_part_begin": reader.on_part_begin,
        "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end,
        "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value,
        "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limits.max_request_bytes:
                raise RequestTooLarge(
                    f"the request is larger than the limit of {limits.max_request_bytes} bytes",
                    details={"max_request_bytes": limits.max_request_bytes},
                )
            if chunk:
                # Disk writes off the event loop, so a slow disk never stalls other requests.
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
        if parser.state not in (MultipartState.END, MultipartState.END_BOUNDARY):
            raise InputRejected("the multipart body ends before its closing boundary", code="invalid_multipart")
    except MultipartParseError as exc:
        raise InputRejected(f"the multipart body is malformed: {exc}", code="invalid_multipart") from None
    except ClientDisconnect:
        # The sender went away mid-body (office Wi-Fi drops): nothing of it was accepted and nobody
        # waits for the answer. A refusal like any other incomplete body, not a server error.
        log.warning("request body cut off after %d bytes: the client disconnected", received)
        raise InputRejected(
            "the request body was cut off before its end: the client disconnected",
            code="upload_interrupted",
            details={"received_bytes": received},
        ) from None
    finally:
        reader.close()
    return reader.form
