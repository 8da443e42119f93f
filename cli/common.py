"""What every command shares: one-line errors with exit codes, JSON output, settings, the actor name."""

from __future__ import annotations

import functools
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from sohoa.core.errors import SohoaError
from sohoa.core.settings import Settings, get_settings

if TYPE_CHECKING:
    from sohoa.pipeline.runtime import Runtime

__all__ = [
    "AsJson",
    "DossierOption",
    "OwnerIdOption",
    "OwnerNameOption",
    "ProcedureOption",
    "add_commands",
    "add_group",
    "cli_actor",
    "command_group",
    "emit",
    "emit_json",
    "fail",
    "handle_errors",
    "opened_runtime",
    "settings_or_exit",
]

F = TypeVar("F", bound=Callable[..., Any])

# Options several commands take, declared once so they read and behave the same everywhere.
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
ProcedureOption = Annotated[str | None, typer.Option("--procedure", help="procedure code (mã thủ tục)")]
DossierOption = Annotated[str | None, typer.Option("--dossier", help="dossier code (mã hồ sơ)")]
OwnerIdOption = Annotated[str | None, typer.Option("--owner-id", help="the owner's id number")]
OwnerNameOption = Annotated[str | None, typer.Option("--owner-name", help="the owner's name")]


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return "cli"


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"sohoa: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Print an error as one line on stderr and exit with its code; never a traceback.

    A ``SohoaError`` says what it is; anything else is a fault of ours or of the machine (a full
    disk, an unreachable database), told in one line with what failed. ``SOHOA_DEBUG=1`` adds the
    traceback for a bug report."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SohoaError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            _debug_traceback()
            where = f" ({exc.filename})" if exc.filename else ""
            raise fail(f"io_error: {exc.strerror or exc}{where}", 1) from None
        except Exception as exc:
            _debug_traceback()
            raise fail(f"internal_error: {type(exc).__name__}: {_first_line(exc)}", 1) from None

    return wrapper  # type: ignore[return-value]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


def _debug_traceback() -> None:
    if os.environ.get("SOHOA_DEBUG") == "1":
        logging.getLogger("sohoa.cli").exception("traceback")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def emit(as_json: bool, value: Any, lines: Iterable[str]) -> None:
    """A command's answer: ``value`` as JSON for a script, else ``lines`` for a person."""
    if as_json:
        emit_json(value)
        return
    for line in lines:
        typer.echo(line)


def command_group(help_text: str) -> typer.Typer:
    """A group of sub-commands (``sohoa NAME ...``); called without one, it shows its help."""
    return typer.Typer(help=help_text, no_args_is_help=True)


def add_commands(app: typer.Typer, commands: Mapping[str, Callable[..., Any]]) -> None:
    """Register each command under its name, turning its errors into one line and an exit code."""
    for name, command in commands.items():
        app.command(name)(handle_errors(command))


def add_group(app: typer.Typer, name: str, help_text: str, commands: Mapping[str, Callable[..., Any]]) -> None:
    """Add ``sohoa NAME`` to ``app``, holding ``commands``."""
    group = command_group(help_text)
    add_commands(group, commands)
    app.add_typer(group, name=name)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # pydantic validation: a bad SOHOA_* value
        raise fail(f"configuration_error: {exc}", 6) from None


@contextmanager
def opened_runtime(*, with_queue: bool = False) -> Iterator[Runtime]:
    """The runtime a command works in (catalogue migrated on first use), closed when it ends.

    Without a queue unless asked: most commands read or change the catalogue and need no workers."""
    from sohoa.pipeline.wiring import open_runtime

    rt = open_runtime(settings_or_exit(), with_queue=with_queue)
    try:
        yield rt
    finally:
        rt.close()
