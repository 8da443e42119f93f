"""Translate the error tree to HTTP answers of one shape: ``{code, message, details}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sohoa.core.errors import InsufficientStorage, SohoaError, insufficient_storage

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)


def _answer(status: int, code: str, message: str, details: dict | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        status_code=status,
        content={"code": code, "message": message, "details": details or {}},
        headers=headers,
    )


def _database_full(exc: Exception) -> InsufficientStorage | None:
    """The catalogue's own way of saying the disk is full (SQLite, PostgreSQL): one reading, in core."""
    return insufficient_storage(exc) if getattr(exc, "orig", None) is not None else None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SohoaError)
    async def sohoa_error(_request: Request, exc: SohoaError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s", exc)
        return _answer(exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return _answer(422, "invalid_request", "the request is not valid", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A body that cannot be parsed at all (bad JSON bytes, broken multipart) is refused like
            # one that parses but does not validate: 422, the one status every route documents.
            return _answer(422, "invalid_body", f"the request body cannot be read: {exc.detail}")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _answer(exc.status_code, code, str(exc.detail))

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A value the catalogue's columns cannot hold (a 40-digit offset): the request's fault, not ours.
        log.warning("value out of range in %s %s: %s", request.method, request.url.path, exc)
        return _answer(422, "value_out_of_range", "a value of the request is out of range")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        full = insufficient_storage(exc) or _database_full(exc)
        if full is not None:
            # A full disk is the operator's to fix and the client's to retry: never a bare 500.
            log.error("request failed: %s", full)
            return _answer(full.http_status, full.code, full.message, full.details)
        log.exception("unexpected error")
        return _answer(500, "internal_error", "internal error")
