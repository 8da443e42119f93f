"""Dossiers and owners' stores: ``sohoa dossiers create|show|reuse|close`` and ``sohoa owners show|search``.

The command line is the server operator's: owner numbers are printed in full unless ``--masked``.
A refused reuse exits 1 with its reason code (``owner_mismatch``, ``expired`` ...) on stderr.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from sohoa.cli.common import cli_actor, emit_json, fail, handle_errors, opened_runtime
from sohoa.core.errors import Conflict

__all__ = ["register"]

_Json = Annotated[bool, typer.Option("--json", help="print JSON")]
_Masked = Annotated[bool, typer.Option("--masked", help="show owner numbers masked (001*******89)")]


def _print_dossier(data: dict[str, Any]) -> None:
    owner = data["owner"]
    who = f"{owner['id_type']} {owner['id_number']} {owner['name'] or ''}".strip() if owner else "-"
    state = "closed" if data["closed"] else "open"
    typer.echo(f"{data['code']}  {data['procedure_code'] or '-'}  {who}  received {data['received_date']}  {state}")
    for d in data.get("documents", []):
        what = d["role"] + (f" ({d['component']})" if d["component"] else "")
        extra = f"  same as {d['same_as']}" if d.get("same_as") else ""
        typer.echo(f"  {d['id']}  {what}  {d['origin']}  {d['state']}{extra}")


def dossiers_create(
    code: Annotated[str, typer.Argument(help="mã hồ sơ, e.g. 000.00.32.H19-250312-0017")],
    procedure: Annotated[str | None, typer.Option("--procedure", help="procedure code")] = None,
    owner_id_type: Annotated[str | None, typer.Option("--owner-id-type", help="cccd, cmnd, passport or mst")] = None,
    owner_id: Annotated[str | None, typer.Option("--owner-id", help="the owner's id number")] = None,
    owner_name: Annotated[str | None, typer.Option("--owner-name", help="the owner's name")] = None,
    received: Annotated[
        str | None, typer.Option("--received", help="received date, YYYY-MM-DD (default today)")
    ] = None,
    as_json: _Json = False,
    masked: _Masked = False,
) -> None:
    """Create a dossier by hand, with its owner."""
    from sohoa.pipeline.actions.dossiers import create

    try:
        day = date.fromisoformat(received) if received else None
    except ValueError:
        raise fail(f"invalid_date: {received!r} is not YYYY-MM-DD", 2) from None
    with opened_runtime() as rt:
        made = create(
            rt,
            code,
            actor=cli_actor(),
            procedure_code=procedure,
            owner_id_type=owner_id_type,
            owner_id=owner_id,
            owner_name=owner_name,
            received_date=day,
        )
    data = made.to_dict(full=not masked)
    emit_json(data) if as_json else _print_dossier(data)


def dossiers_show(
    code: Annotated[str, typer.Argument(help="mã hồ sơ")], as_json: _Json = False, masked: _Masked = False
) -> None:
    """A dossier with its documents: results and components, uploaded or reused."""
    from sohoa.pipeline.actions.dossiers import show

    with opened_runtime() as rt:
        data = show(rt, code).to_dict(full=not masked)
    emit_json(data) if as_json else _print_dossier(data)


def dossiers_close(code: Annotated[str, typer.Argument(help="mã hồ sơ")], as_json: _Json = False) -> None:
    """Close a dossier: no component is added to it afterwards."""
    from sohoa.pipeline.actions.dossiers import close

    with opened_runtime() as rt:
        data = close(rt, code, actor=cli_actor()).to_dict(full=False)
    emit_json(data) if as_json else typer.echo(f"{data['code']} closed")


def dossiers_reuse(
    code: Annotated[str, typer.Argument(help="the dossier that needs the paper")],
    document_id: Annotated[str, typer.Argument(help="the owner's archived document to reuse")],
    component: Annotated[str, typer.Option("--component", help="the component's name as the procedure lists it")],
    as_json: _Json = False,
) -> None:
    """Reuse a paper the owner already has on file as a component of a dossier (no upload)."""
    from sohoa.pipeline.actions.dossiers import reuse

    with opened_runtime() as rt:
        try:
            made = reuse(rt, code, document_id, component, actor=cli_actor())
        except Conflict as exc:
            raise fail(f"{exc.code}: {exc.message}", 1) from None
    data = dict(made.__dict__)
    if as_json:
        emit_json(data)
    else:
        typer.echo(
            f"{data['document_id']} reused in {data['dossier_code']} as {data['component']} (event {data['event_id']})"
        )


def owners_show(
    id_type: Annotated[str, typer.Argument(help="cccd, cmnd, passport or mst")],
    number: Annotated[str, typer.Argument(help="the owner's id number")],
    as_json: _Json = False,
    masked: _Masked = False,
) -> None:
    """The owner's store: every archived paper and result, newest first, and whether it is reusable today."""
    from sohoa.pipeline.actions.owners import store

    with opened_runtime() as rt:
        found = store(rt, id_type, number, actor=cli_actor())
    data = found.to_dict(full=not masked)
    if as_json:
        emit_json(data)
        return
    owner = data["owner"]
    typer.echo(f"{owner['id_type']} {owner['id_number']} {owner['name'] or ''}".rstrip())
    for d in data["documents"]:
        mark = "reusable" if d["reusable"] else "-"
        typer.echo(
            f"  {d['id']}  {d['dossier_code'] or '-'}  {d['role'] or '-'}  {d['document_type'] or '-'}  "
            f"{d['number_symbol'] or '-'}  valid until {d['valid_until'] or '-'}  {mark}"
        )


def owners_search(
    number: Annotated[str | None, typer.Option("--number", help="the number or its first digits")] = None,
    name: Annotated[str | None, typer.Option("--name", help="words of the name")] = None,
    id_type: Annotated[str | None, typer.Option("--id-type", help="cccd, cmnd, passport or mst")] = None,
    as_json: _Json = False,
    masked: _Masked = False,
) -> None:
    """Find owners by number or name (audited)."""
    from sohoa.pipeline.actions.owners import search

    with opened_runtime() as rt:
        found = search(rt, actor=cli_actor(), full=not masked, id_type=id_type, number=number, name=name)
    if as_json:
        emit_json([o.__dict__ for o in found])
        return
    for o in found:
        typer.echo(f"{o.id_type} {o.id_number} {o.name or ''}".rstrip())


def register(app: typer.Typer) -> None:
    dossiers_app = typer.Typer(help="Dossiers (hồ sơ): owners, components, reuse.", no_args_is_help=True)
    owners_app = typer.Typer(help="Owners and their store (Kho dữ liệu).", no_args_is_help=True)
    dossiers_app.command("create")(handle_errors(dossiers_create))
    dossiers_app.command("show")(handle_errors(dossiers_show))
    dossiers_app.command("close")(handle_errors(dossiers_close))
    dossiers_app.command("reuse")(handle_errors(dossiers_reuse))
    owners_app.command("show")(handle_errors(owners_show))
    owners_app.command("search")(handle_errors(owners_search))
    app.add_typer(dossiers_app, name="dossiers")
    app.add_typer(owners_app, name="owners")
