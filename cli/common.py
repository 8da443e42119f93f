"""What every command shares: one-line errors with exit codes, JSON output, settings, the actor name."""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from sohoa.core.errors import SohoaError
from sohoa.core.settings import Settings, get_settings

__all__ = ["cli_actor", "emit_json", "fail", "handle_errors", "settings_or_exit"]

F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "cli"


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"sohoa: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Print a SohoaError as one line on stderr and exit with its code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SohoaError as exc:
            raise fail(str(exc), exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # pydantic validation: a bad SOHOA_* value
        raise fail(f"configuration_error: {exc}", 6) from None
