"""Commands over documents: ingest, search, get, review."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from sohoa.cli.common import (
    DossierOption,
    OwnerIdOption,
    OwnerNameOption,
    ProcedureOption,
    add_commands,
    cli_actor,
    emit_json,
    fail,
    opened_runtime,
    settings_or_exit,
)
from sohoa.core.domain import DocumentState
from sohoa.core.owners import OwnerFields

__all__ = ["register"]

_BUSY = {
    DocumentState.RECEIVED.value,
    DocumentState.OCR_DONE.value,
    DocumentState.EXTRACTED.value,
    DocumentState.APPROVED.value,
    DocumentState.SIGNED.value,
}


def _document_json(doc: Any) -> dict[str, Any]:
    return {
        "id": doc.id,
        "filename": doc.filename,
        "state": doc.state,
        "reason_code": doc.reason_code,
        "procedure_code": doc.procedure_code,
        "dossier_code": doc.dossier_code,
        "metadata": doc.metadata_json,
        "archive_key": doc.archive_key,
        "sha256": doc.original_sha256,
        "page_count": doc.page_count,
        "signed_at": doc.signed_at.isoformat() if doc.signed_at else None,
    }


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of scans (PDF, TIFF, JPEG, PNG, zip)")],
    procedure: ProcedureOption = None,
    dossier: DossierOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array, one object per document")] = False,
    cover_sheets: Annotated[
        bool, typer.Option("--cover-sheets", help="split stacks at printed cover sheets; file each part by its sheet")
    ] = False,
    role: Annotated[
        str, typer.Option("--role", help="result (kết quả) or component (thành phần hồ sơ) of the dossier")
    ] = "result",
    component: Annotated[
        str | None, typer.Option("--component", help="the component's name, e.g. 'Bản sao Căn cước công dân'")
    ] = None,
    owner_id_type: Annotated[
        str | None, typer.Option("--owner-id-type", help="cccd, cmnd, passport or mst (default: the dossier's owner)")
    ] = None,
    owner_id: OwnerIdOption = None,
    owner_name: OwnerNameOption = None,
    one_document: Annotated[
        bool, typer.Option("--one-document", help="all the files are the pages of one document, in the order given")
    ] = False,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by", help="stem: files named NAME_p1, NAME_p2... (or NAME-1, NAME_2) are one document each"
        ),
    ] = None,
    zip_folders: Annotated[
        bool, typer.Option("--zip-folders", help="each folder inside a zip is one document, files in name order")
    ] = False,
) -> None:
    """Ingest scans: OCR, metadata, signature and archive, on this machine's workers.

    Several files may be one document (one image per page): ``--one-document`` joins all the files
    given, ``--group-by stem`` joins those named alike by page number (p2 before p10)."""
    from sohoa.pipeline.actions.documents import batch_documents, document
    from sohoa.pipeline.actions.dossiers import upload_placement
    from sohoa.pipeline.intake import accept_paths
    from sohoa.pipeline.privacy import make_process_private
    from sohoa.pipeline.wiring import open_runtime

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise fail(f"not_found: no such file or folder: {', '.join(missing)}", 3)
    if one_document and group_by is not None:
        raise fail("invalid_request: --one-document and --group-by ask for different groupings; give one", 2)
    placement = upload_placement(role, component, OwnerFields(owner_id_type, owner_id, owner_name))
    settings = settings_or_exit()
    make_process_private(settings)
    pages: dict[str, tuple[int, int]] = {}
    rt = open_runtime(settings)
    rt.progress = lambda doc_id, done, total: pages.__setitem__(doc_id, (done, total))
    try:
        result = accept_paths(
            rt,
            paths,
            procedure_code=procedure,
            dossier_code=dossier,
            actor=cli_actor(),
            cover_sheets=cover_sheets,
            placement=placement,
            one_document=one_document,
            group_by=group_by,
            zip_folders=zip_folders,
        )
        wanted = {d.id for d in result.documents} | {r.document_id for r in result.rejected if r.document_id}
        _wait(rt, result.batch_id, wanted, pages, quiet=as_json or not sys.stderr.isatty())
        by_id = {d.id: d for d in batch_documents(rt, result.batch_id)}
        out = []
        for item in result.documents:
            if item.duplicate_of:
                row = _document_json(document(rt, item.duplicate_of))
                row["duplicate_of"] = item.duplicate_of
            else:
                row = _document_json(by_id[item.id])
                row["duplicate_of"] = None
            if item.parts:
                row["parts"] = list(item.parts)  # the files of the document, in page order
            out.append(row)
        for rejected in result.rejected:
            if rejected.document_id and rejected.document_id in by_id:
                row = _document_json(by_id[rejected.document_id])
            else:
                row = {
                    "id": None,
                    "filename": rejected.filename,
                    "state": "rejected",
                    "reason_code": rejected.code,
                }
            row["duplicate_of"] = None
            row["message"] = rejected.message
            out.append(row)
    finally:
        rt.close()
    if as_json:
        emit_json(out)
    else:
        for row in out:
            extra = row.get("archive_key") or row.get("reason_code") or ""
            dup = f" (duplicate of {row['duplicate_of']})" if row.get("duplicate_of") else ""
            typer.echo(f"{row['state']:<13} {row['filename']}  {row['id']}  {extra}{dup}")
    states = {row["state"] for row in out}
    if "failed" in states:
        raise typer.Exit(1)
    if "rejected" in states:
        raise typer.Exit(2)


def _wait(rt: Any, batch_id: str, wanted: set[str], pages: dict[str, tuple[int, int]], *, quiet: bool) -> None:
    """Wait until every document of the batch has left the processing states, showing progress."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from sohoa.pipeline.actions.documents import batch_documents

    def busy_count() -> int:
        return sum(1 for d in batch_documents(rt, batch_id) if d.id in wanted and d.state in _BUSY)

    total = len(wanted)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages · {task.fields[rate]}"),
        TimeRemainingColumn(),
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("documents", total=total, pages="0", rate="")
        started = time.monotonic()
        while True:
            busy = busy_count()
            done_pages = sum(d for d, _ in pages.values())
            elapsed = max(time.monotonic() - started, 1e-3)
            bar.update(
                task,
                completed=total - busy,
                pages=str(done_pages),
                rate=f"{done_pages / elapsed:.2f} pages/s",
            )
            if busy == 0:
                break
            queue = rt.queue
            if queue is not None and hasattr(queue, "pending") and queue.pending() == 0 and busy:
                # In-process and idle, yet documents are mid-state: nothing will move them.
                time.sleep(0.5)
                if busy_count() and queue.pending() == 0:
                    break
            time.sleep(0.25)


def get(
    document_id: Annotated[str, typer.Argument(help="document id")],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    original: Annotated[bool, typer.Option("--original", help="the original scan, not the signed PDF")] = False,
) -> None:
    """Write a document's signed PDF (or its original) to a file; the download is audited."""
    from sohoa.pipeline.actions.documents import save_download

    with opened_runtime() as rt:
        info = save_download(rt, document_id, "original" if original else "signed", output, actor=cli_actor())
    typer.echo(f"wrote {output} ({info.size} bytes, sha256 {info.sha256})")


def review_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Documents waiting for review."""
    from sohoa.pipeline.actions.documents import review_queue

    with opened_runtime() as rt:
        rows = [{**_document_json(d), "review_reasons": d.review_reasons} for d in review_queue(rt)]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']}  {row['filename']}  {', '.join(row['review_reasons'] or [])}")


def review_show(document_id: str) -> None:
    """A document's metadata and why it waits for review."""
    from sohoa.pipeline.actions.documents import document

    with opened_runtime() as rt:
        doc = document(rt, document_id)
    emit_json({**_document_json(doc), "review_reasons": doc.review_reasons})


def review_set(
    document_id: str,
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="FIELD=VALUE, read by the field's kind: signer_authority and recipients take a JSON list "
            '(recipients=\'["Như trên", "Lưu: VT"]\'), number_year a whole number, every other field '
            'text as typed (number=42, issued_date=2025-05-27; a JSON-quoted "42" reads as 42). '
            "null or an empty value (FIELD=) clears the field.",
            metavar="FIELD=VALUE",
        ),
    ],
) -> None:
    """Correct metadata fields; each change is audited with the old and new value.

    The number and symbol stay one: correcting number_symbol (42/2025/QĐ-UBND) files its number,
    year and symbol too, and correcting one of those rewrites number_symbol; a field typed wins."""
    from sohoa.pipeline.review import correct_metadata, value_from_text

    changes: dict[str, Any] = {}
    for item in assignments:
        field, sep, raw = item.partition("=")
        if not sep:
            raise fail(f"invalid_metadata: expected FIELD=VALUE, got {item!r}", 2)
        changes[field.strip()] = value_from_text(field.strip(), raw)
    with opened_runtime() as rt:
        doc = correct_metadata(rt, document_id, changes, actor=cli_actor())
    emit_json(_document_json(doc))


def review_approve(
    document_id: str,
    confirm_missing: Annotated[
        bool | None,
        typer.Option(
            "--confirm-missing/--refuse-missing",
            help="approve although required fields are empty (recorded), or refuse while one is",
        ),
    ] = None,
) -> None:
    """Approve a reviewed document: it is signed and archived."""
    from sohoa.pipeline.actions.documents import document
    from sohoa.pipeline.review import approve_document

    with opened_runtime(with_queue=True) as rt:
        approve_document(rt, document_id, actor=cli_actor(), confirm_missing=confirm_missing)
        if rt.queue is not None and hasattr(rt.queue, "join"):
            rt.queue.join()
        doc = document(rt, document_id)
    typer.echo(f"{doc.id}  {doc.state}  {doc.archive_key or doc.reason_code or ''}")


def register(app: typer.Typer, review_app: typer.Typer) -> None:
    add_commands(app, {"ingest": ingest, "get": get})
    add_commands(review_app, {"list": review_list, "show": review_show, "set": review_set, "approve": review_approve})
