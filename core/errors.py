"""The one error tree of sohoa.

Every error carries a stable ``code`` (snake_case, part of the public contract: it
appears in API answers, CLI messages, catalogue ``reason_code`` columns and events).
Errors are translated to HTTP status or exit code only at the edges (``api``, ``cli``).

    SohoaError                      code=internal_error      500 / exit 1
    ├── InputRejected               bad input, never retried 422 / exit 2
    │   (codes: empty_file, unsupported_type, truncated_file, password_protected,
    │    damaged_pdf, too_many_pages, page_too_large, image_too_large, zip_unsafe_entry,
    │    zip_bomb, zip_too_many_entries, invalid_procedure_code, ...)
    ├── NotFound                                             404 / exit 3
    ├── Conflict                    (e.g. invalid_state)     409 / exit 4
    ├── AuthenticationFailed                                 401 / exit 5
    ├── PermissionDenied                                     403 / exit 5
    ├── ConfigurationError                                   500 / exit 6
    └── ProcessingError             retryable failure        500 / exit 1
        ├── OcrError                (tesseract missing or crashed)
        ├── SigningError            (key, certificate, pyHanko)
        └── StorageError            (object store / catalogue I/O)
            ├── ObjectNotFound                               404 / exit 3
            ├── ObjectExists        (refused overwrite)      409 / exit 4
            ├── IntegrityError      (checksum mismatch)      500 / exit 1
            └── InsufficientStorage (disk full, or below     507 / exit 1
                                     SOHOA_MIN_FREE_MB; retryable once space returns)
"""

from __future__ import annotations

import errno
from typing import Any

__all__ = [
    "AuthenticationFailed",
    "ConfigurationError",
    "Conflict",
    "InputRejected",
    "InsufficientStorage",
    "IntegrityError",
    "NotFound",
    "ObjectExists",
    "ObjectNotFound",
    "OcrError",
    "PermissionDenied",
    "ProcessingError",
    "SigningError",
    "SohoaError",
    "StorageError",
    "insufficient_storage",
]


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose.

    A subclass declares what differs from its parent as class keywords, e.g.
    ``class NotFound(SohoaError, code="not_found", http_status=404, exit_code=3)``: the
    tree's table then reads one line a class."""

    code: str = "internal_error"
    http_status: int = 500
    exit_code: int = 1
    retryable: bool = False

    def __init_subclass__(
        cls,
        *,
        code: str | None = None,
        http_status: int | None = None,
        exit_code: int | None = None,
        retryable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        # Only what is given: the rest is inherited from the parent class.
        if code is not None:
            cls.code = code
        if http_status is not None:
            cls.http_status = http_status
        if exit_code is not None:
            cls.exit_code = exit_code
        if retryable is not None:
            cls.retryable = retryable

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def event_details(self) -> dict[str, Any]:
        """The error as an audit event tells it: the same two keys wherever a refusal is recorded."""
        return {"reason_code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InputRejected(SohoaError, code="rejected", http_status=422, exit_code=2): ...


class NotFound(SohoaError, code="not_found", http_status=404, exit_code=3): ...


class Conflict(SohoaError, code="conflict", http_status=409, exit_code=4): ...


class AuthenticationFailed(SohoaError, code="unauthenticated", http_status=401, exit_code=5): ...


class PermissionDenied(SohoaError, code="forbidden", http_status=403, exit_code=5): ...


class ConfigurationError(SohoaError, code="configuration_error", http_status=500, exit_code=6): ...


class ProcessingError(SohoaError, code="processing_error", retryable=True): ...


class OcrError(ProcessingError, code="ocr_error"): ...


class SigningError(ProcessingError, code="signing_error"): ...


class StorageError(ProcessingError, code="storage_error"): ...


class ObjectNotFound(StorageError, code="object_not_found", http_status=404, exit_code=3, retryable=False): ...


class ObjectExists(StorageError, code="object_exists", http_status=409, exit_code=4, retryable=False): ...


class IntegrityError(StorageError, code="integrity_error", retryable=False): ...


class InsufficientStorage(StorageError, code="insufficient_storage", http_status=507): ...


_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
_PG_DISK_FULL = "53100"  # PostgreSQL's disk_full


def insufficient_storage(exc: BaseException, where: str = "") -> InsufficientStorage | None:
    """The error tree's view of a full disk (``ENOSPC``, or ``EDQUOT`` for a quota), or of the
    catalogue's database saying its disk is full (a driver error wrapped by SQLAlchemy), else None."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        place = f" ({where})" if where else ""
        return InsufficientStorage(
            f"no space left on the device{place}: try again once space is freed", details={"errno": exc.errno}
        )
    orig = getattr(exc, "orig", None)  # the driver's exception, by attributes: core imports no driver
    if orig is not None and (
        getattr(orig, "sqlite_errorcode", None) == _SQLITE_FULL or getattr(orig, "sqlstate", None) == _PG_DISK_FULL
    ):
        return InsufficientStorage("the catalogue's disk is full: try again once space is freed")
    return None
