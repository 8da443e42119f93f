"""``sohoa search``: the archive by codes, metadata and what the documents say."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sohoa.cli.common import DossierOption, emit_json, fail, handle_errors, opened_runtime
from sohoa.core.domain import DocumentState

if TYPE_CHECKING:
    from sohoa.storage.search import DocumentFilters

__all__ = ["register"]


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"invalid_date: {option} expects YYYY-MM-DD, got {value!r}", 2) from None


def _state(value: str, option: str) -> DocumentState:
    try:
        return DocumentState(value)
    except ValueError:
        raise fail(f"invalid_state: unknown state {value!r}", 2) from None


# The filters typed as text, checked in this order; the other options come typed from typer.
_PARSED: dict[str, Callable[[str, str], Any]] = {
    "state": _state,
    **dict.fromkeys(("issued_from", "issued_to", "received_from", "received_to"), _day),
}


def _filters(ctx: typer.Context) -> DocumentFilters:
    """The command's filters: each option named as a field of ``DocumentFilters`` is that filter.

    So the filters are spelled once, where storage applies them; one added there without its
    option here fails every search in the tests, rather than being silently unreachable."""
    from sohoa.storage.search import DocumentFilters

    options = {param.name: param.opts[0] for param in ctx.command.params}
    given = {name: value for name, value in ctx.params.items() if value is not None}
    parsed = {name: parse(given[name], options[name]) for name, parse in _PARSED.items() if name in given}
    return DocumentFilters(**{f.name: parsed.get(f.name, ctx.params[f.name]) for f in fields(DocumentFilters)})


def _marked(snippet: dict[str, Any]) -> str:
    """The snippet with its matches between « » (bold on a terminal)."""
    text, out, cursor = snippet["text"], [], 0
    tty = sys.stdout.isatty()
    for start, end in snippet["highlights"]:
        word = text[start:end]
        out += [text[cursor:start], typer.style(word, bold=True) if tty else f"«{word}»"]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def search(
    ctx: typer.Context,
    procedure_code: Annotated[str | None, typer.Option("--procedure", help="procedure code, exact or prefix")] = None,
    dossier_code: DossierOption = None,
    text: Annotated[str | None, typer.Option("--text", help='words and "quoted phrases", accents optional')] = None,
    number: Annotated[str | None, typer.Option("--number", help="số/ký hiệu, e.g. 12/2024/QĐ-UBND")] = None,
    document_type: Annotated[str | None, typer.Option("--type", help="document type: Quyết định, QĐ...")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="words of the issuer (cơ quan ban hành)")] = None,
    issued_from: Annotated[str | None, typer.Option("--issued-from", help="issued on or after YYYY-MM-DD")] = None,
    issued_to: Annotated[str | None, typer.Option("--issued-to", help="issued on or before YYYY-MM-DD")] = None,
    received_from: Annotated[str | None, typer.Option("--received-from", help="received on or after")] = None,
    received_to: Annotated[str | None, typer.Option("--received-to", help="received on or before")] = None,
    state: Annotated[str | None, typer.Option(help="document state")] = None,
    signed: Annotated[bool | None, typer.Option("--signed/--unsigned", help="with or without a signature")] = None,
    superseded: Annotated[
        bool | None, typer.Option("--superseded/--current", help="replaced by a later document, or not")
    ] = None,
    limit: Annotated[int, typer.Option(help="at most this many results")] = 100,
    offset: Annotated[int, typer.Option(help="skip this many results first")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """Find documents by codes, metadata and text; best matches first, with snippets."""
    from sohoa.pipeline.actions.search import search as run_search
    from sohoa.storage.search import SearchQuery

    # The filter options reach the query through ``ctx`` (see _filters), not one by one.
    query = SearchQuery(text=text, filters=_filters(ctx), limit=limit, offset=offset)
    with opened_runtime() as rt:
        found = run_search(rt, query)
    rows = [hit.to_dict() for hit in found.hits]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        score = f"  [{row['score']}]" if row["score"] is not None else ""
        typer.echo(
            f"{row['id']}  {row['state']:<13} {row['procedure_code']}  {row['dossier_code'] or '-'}  "
            f"{row['filename']}{score}"
        )
        if row["snippet"]:
            typer.echo(f"    {_marked(row['snippet'])}")
    shown = f"{offset + 1}-{offset + len(rows)} of {found.total}" if rows else f"none of {found.total}"
    typer.echo(f"{shown} documents", err=True)


def register(app: typer.Typer) -> None:
    app.command()(handle_errors(search))
