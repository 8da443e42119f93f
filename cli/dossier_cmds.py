"""Dossiers and owners' stores: ``sohoa dossiers create|show|reuse|close`` and ``sohoa owners show|search``.

The command line is the server operator's: owner numbers are printed in full unless ``--masked``.
A refused reuse exits 1 with its reason code (``owner_mismatch``, ``expired`` ...) on stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

import typer

from sohoa.cli.common import (
    AsJson,
    OwnerIdOption,
    OwnerNameOption,
    add_group,
    cli_actor,
    emit,
    fail,
    opened_runtime,
)
from sohoa.core.errors import Conflict
from sohoa.core.owners import OwnerFields

__all__ = ["register"]

_Masked = Annotated[bool, typer.Option("--masked", help="show owner numbers masked (001*******89)")]


def _dossier_lines(data: dict[str, Any]) -> Iterator[str]:
    owner = data["owner"]
    who = f"{owner['id_type']} {owner['id_number']} {owner['name'] or ''}".strip() if owner else "-"
    state = "closed" if data["closed"] else "open"
    yield f"{data['code']}  {data['procedure_code'] or '-'}  {who}  received {data['received_date']}  {state}"
    for d in data.get("documents", []):
        what = d["role"] + (f" ({d['component']})" if d["component"] else "")
        extra = f"  same as {d['same_as']}" if d.get("same_as") else ""
        yield f"  {d['id']}  {what}  {d['origin']}  {d['state']}{extra}"


def dossiers_create(
    code: Annotated[str, typer.Argument(help="mã hồ sơ, e.g. 000.00.32.H19-250312-0017")],
    procedure: Annotated[str | None, typer.Option("--procedure", help="procedure code")] = None,
    owner_id_type: Annotated[str | None, typer.Option("--owner-id-type", help="cccd, cmnd, passport or mst")] = None,
    owner_id: OwnerIdOption = None,
    owner_name: OwnerNameOption = None,
    received: Annotated[
        str | None, typer.Option("--received", help="received date, YYYY-MM-DD (default today)")
    ] = None,
    as_json: AsJson = False,
    masked: _Masked = False,
) -> None:
    """Create a dossier by hand, with its owner."""
    from sohoa.pipeline.actions.dossiers import NewDossier, create

    try:
        day = date.fromisoformat(received) if received else None
    except ValueError:
        raise fail(f"invalid_date: {received!r} is not YYYY-MM-DD", 2) from None
    new = NewDossier(code, procedure, OwnerFields(owner_id_type, owner_id, owner_name), day)
    with opened_runtime() as rt:
        made = create(rt, new, actor=cli_actor())
    data = made.to_dict(full=not masked)
    emit(as_json, data, _dossier_lines(data))


def dossiers_show(
    code: Annotated[str, typer.Argument(help="mã hồ sơ")], as_json: AsJson = False, masked: _Masked = False
) -> None:
    """A dossier with its documents: results and components, uploaded or reused."""
    from sohoa.pipeline.actions.dossiers import show

    with opened_runtime() as rt:
        data = show(rt, code).to_dict(full=not masked)
    emit(as_json, data, _dossier_lines(data))


def dossiers_close(code: Annotated[str, typer.Argument(help="mã hồ sơ")], as_json: AsJson = False) -> None:
    """Close a dossier: no component is added to it afterwards."""
    from sohoa.pipeline.actions.dossiers import close

    with opened_runtime() as rt:
        data = close(rt, code, actor=cli_actor()).to_dict(full=False)
    emit(as_json, data, [f"{data['code']} closed"])


def dossiers_reuse(
    code: Annotated[str, typer.Argument(help="the dossier that needs the paper")],
    document_id: Annotated[str, typer.Argument(help="the owner's archived document to reuse")],
    component: Annotated[str, typer.Option("--component", help="the component's name as the procedure lists it")],
    as_json: AsJson = False,
) -> None:
    """Reuse a paper the owner already has on file as a component of a dossier (no upload)."""
    from sohoa.pipeline.actions.dossiers import reuse

    with opened_runtime() as rt:
        try:
            made = reuse(rt, code, document_id, component, actor=cli_actor())
        except Conflict as exc:
            raise fail(f"{exc.code}: {exc.message}", 1) from None
    data = dict(made.__dict__)
    emit(
        as_json,
        data,
        [f"{data['document_id']} reused in {data['dossier_code']} as {data['component']} (event {data['event_id']})"],
    )


def owners_show(
    id_type: Annotated[str, typer.Argument(help="cccd, cmnd, passport or mst")],
    number: Annotated[str, typer.Argument(help="the owner's id number")],
    as_json: AsJson = False,
    masked: _Masked = False,
) -> None:
    """The owner's store: every archived paper and result, newest first, and whether it is reusable today."""
    from sohoa.pipeline.actions.owners import store

    with opened_runtime() as rt:
        found = store(rt, id_type, number, actor=cli_actor())
    data = found.to_dict(full=not masked)
    emit(as_json, data, _store_lines(data))


def _store_lines(data: dict[str, Any]) -> Iterator[str]:
    owner = data["owner"]
    yield f"{owner['id_type']} {owner['id_number']} {owner['name'] or ''}".rstrip()
    for d in data["documents"]:
        mark = "reusable" if d["reusable"] else "-"
        yield (
            f"  {d['id']}  {d['dossier_code'] or '-'}  {d['role'] or '-'}  {d['document_type'] or '-'}  "
            f"{d['number_symbol'] or '-'}  valid until {d['valid_until'] or '-'}  {mark}"
        )


def owners_search(
    number: Annotated[str | None, typer.Option("--number", help="the number or its first digits")] = None,
    name: Annotated[str | None, typer.Option("--name", help="words of the name")] = None,
    id_type: Annotated[str | None, typer.Option("--id-type", help="cccd, cmnd, passport or mst")] = None,
    as_json: AsJson = False,
    masked: _Masked = False,
) -> None:
    """Find owners by number or name (audited)."""
    from sohoa.pipeline.actions.owners import search

    with opened_runtime() as rt:
        found = search(rt, actor=cli_actor(), full=not masked, id_type=id_type, number=number, name=name)
    emit(as_json, [o.__dict__ for o in found], (f"{o.id_type} {o.id_number} {o.name or ''}".rstrip() for o in found))


def register(app: typer.Typer) -> None:
    dossiers = {"create": dossiers_create, "show": dossiers_show, "close": dossiers_close, "reuse": dossiers_reuse}
    add_group(app, "dossiers", "Dossiers (hồ sơ): owners, components, reuse.", dossiers)
    add_group(app, "owners", "Owners and their store (Kho dữ liệu).", {"show": owners_show, "search": owners_search})
