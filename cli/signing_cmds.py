"""Commands over signatures: ``sohoa sign``, ``sohoa verify``, ``sohoa signing check`` and
``sohoa signing renew-lta``."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated

import typer

from sohoa.cli.common import (
    add_commands,
    cli_actor,
    command_group,
    emit_json,
    fail,
    handle_errors,
    opened_runtime,
    settings_or_exit,
)
from sohoa.core.domain import SignRequest

__all__ = ["register", "signing_app"]

signing_app = command_group("The signing key and certificate.")

_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
_STAMPS = ("none", "copy")


def _quiet_pyhanko() -> None:
    # pyHanko logs every untrusted chain with a traceback; the report already says what failed
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def sign(
    input: Annotated[Path, typer.Argument(help="PDF to sign (left unchanged).")],
    output: Annotated[Path, typer.Argument(help="Where to write the signed PDF.")],
    level: Annotated[str | None, typer.Option(help="B-B, B-T, B-LT or B-LTA (default: SOHOA_SIGNING_LEVEL).")] = None,
    tsa_url: Annotated[
        str | None,
        typer.Option(help="RFC 3161 timestamp authority, needed from B-T up (or SOHOA_TSA_URL); not used at B-B."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Reason (default: SOHOA_SIGNING_REASON).")] = None,
    location: Annotated[str | None, typer.Option(help="Location of signing.")] = None,
    field: Annotated[str, typer.Option(help="Signature field name.")] = "Signature1",
    stamp: Annotated[
        str | None, typer.Option(help="none, or copy: the visible 'SAO Y' stamp (default: SOHOA_STAMP).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Sign a PDF (PAdES, incremental update) with the configured key: a certification that forbids
    later changes, or a locked field when the PDF already carries signatures."""
    from sohoa.pipeline.actions.signatures import sign_file

    _quiet_pyhanko()
    settings = settings_or_exit()
    chosen = level or settings.signing_level
    if chosen not in _LEVELS:
        raise fail(f"invalid_level: {chosen!r} is not one of {', '.join(_LEVELS)}", 2)
    if not input.is_file():
        raise fail(f"not_found: {input}", 3)
    request = SignRequest(
        input_path=input,
        output_path=output,
        level=chosen,  # type: ignore[arg-type]  # checked against _LEVELS above
        field_name=field,
        reason=reason if reason is not None else settings.signing_reason,
        location=location if location is not None else settings.signing_location,
    )
    if stamp is not None:
        mode = stamp.strip().lower()
        if mode not in _STAMPS:
            raise fail(f"invalid_stamp: {stamp!r} is not one of {', '.join(_STAMPS)}", 6)
        settings = settings.model_copy(update={"stamp": mode})
    info, signer = sign_file(settings, request, tsa_url=tsa_url)
    if as_json:
        emit_json(
            {
                "output": str(output),
                "field_name": info.field_name,
                "level": info.level,
                "signer_subject": info.signer_subject,
                "certificate_sha256": info.certificate_sha256,
                "signed_at": info.signed_at.isoformat(),
                "sha256": info.output_sha256,
                "signer": signer,
                "stamp": info.stamp_text,
            }
        )
    else:
        typer.echo(f"signed {output} ({info.level}, field {info.field_name}) by {info.signer_subject}")
        typer.echo(f"sha256 {info.output_sha256}")


def verify(
    file: Annotated[Path, typer.Argument(help="PDF whose signatures to check.")],
    trust_root: Annotated[
        list[Path] | None,
        typer.Option(
            help="PEM/DER certificate to trust (repeatable), besides SOHOA_TRUST_ROOTS and, in embedded "
            "mode, the development root."
        ),
    ] = None,
    allow_fetching: Annotated[bool, typer.Option(help="Fetch OCSP/CRL and certificates online.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify that the file is exactly what was signed: exit 0 when every signature and document
    timestamp is intact and trusted and nothing but long-term-validation data follows them; 1 when
    unsigned, any is invalid, or the file was changed after signing (form filling, annotations, bytes
    after %%EOF...); 2 when the file is not a readable PDF."""
    from sohoa.pipeline.actions.signatures import verify_file

    _quiet_pyhanko()
    settings = settings_or_exit()
    if not file.is_file():
        raise fail(f"not_found: {file}", 3)
    report = verify_file(settings, file, extra_roots=trust_root, allow_fetching=allow_fetching)
    if as_json:
        emit_json(report.to_dict())
    else:
        typer.echo(f"{file}: {report.summary}")
        for sig in report.signatures:
            verdict = "VALID" if sig.valid else "INVALID"
            typer.echo(
                f"  {sig.field_name}: {verdict} level={sig.level or '-'} intact={_yn(sig.intact)} "
                f"trusted={_yn(sig.trusted)} revocation={sig.revocation} changes={sig.modification}"
            )
            typer.echo(f"    signer: {sig.signer_subject or '?'}")
            when = sig.timestamp_time or sig.signing_time
            if when is not None:
                source = "timestamp" if sig.timestamp_time else "claimed"
                typer.echo(f"    signed at: {when.isoformat()} ({source})")
            for code, problem in zip(sig.problem_codes, sig.problems, strict=True):
                typer.echo(f"    problem {code}: {problem}")
        for ts in report.timestamps:
            verdict = "VALID" if ts.valid else "INVALID"
            when = ts.time.isoformat() if ts.time is not None else "?"
            typer.echo(
                f"  {ts.field_name}: document timestamp {verdict} at {when} intact={_yn(ts.intact)} "
                f"trusted={_yn(ts.trusted)} changes={ts.modification}"
            )
            for code, problem in zip(ts.problem_codes, ts.problems, strict=True):
                typer.echo(f"    problem {code}: {problem}")
        if report.trailing_bytes:
            typer.echo(f"  {report.trailing_bytes} bytes after the last revision, covered by no signature")
    raise typer.Exit(0 if report.valid else 1)


@signing_app.command("check")
@handle_errors
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the warnings as JSON.")] = False,
) -> None:
    """Check the configured signing key and certificate and make a test signature with the configured
    level and TSA: exit 0 when fit to sign, 1 otherwise."""
    from sohoa.pipeline.actions.signatures import check_signer_now

    with opened_runtime() as rt:
        health = check_signer_now(rt)
    if as_json:
        emit_json(
            {
                "signer": health.signer,
                "subject": health.subject,
                "days_left": None if health.days_left is None else round(health.days_left, 1),
                "warnings": [{"code": w.code, "message": w.message, "fatal": w.fatal} for w in health.warnings],
            }
        )
    else:
        if health.signer is not None:
            typer.echo(f"{health.signer}: {health.subject} ({health.days_left:.0f} days left)")
        for w in health.warnings:
            typer.echo(f"  {'ERROR' if w.fatal else 'warning'} {w.code}: {w.message}")
    raise typer.Exit(1 if health.blocking is not None else 0)


def _yn(value: bool) -> str:
    return "yes" if value else "no"


@signing_app.command("renew-lta")
@handle_errors
def renew_lta(
    before: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Renew documents whose last timestamp's certificate expires before this date "
            "(default: one year from now).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one result per document as JSON.")] = False,
) -> None:
    """Add a fresh document timestamp to archived B-LTA documents, as new archive copies
    ({document_id}.r{n}.pdf) beside the old ones: exit 0 when none failed, 1 otherwise."""
    from sohoa.pipeline.signing_ops import renew_archive_timestamps

    _quiet_pyhanko()
    limit = before or dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    if limit.tzinfo is None:
        limit = limit.replace(tzinfo=dt.UTC)
    with opened_runtime() as rt:
        results = renew_archive_timestamps(rt, limit, actor=cli_actor())
    if as_json:
        emit_json(results)
    else:
        for r in results:
            if r["status"] == "renewed":
                typer.echo(f"{r['document_id']}: renewed as {r['archive_key']} (until {r['expires_at']})")
            elif r["status"] == "current":
                typer.echo(f"{r['document_id']}: current (timestamp valid until {r['expires']})")
            else:
                typer.echo(f"{r['document_id']}: FAILED {r['code']}: {r['message']}")
        renewed = sum(r["status"] == "renewed" for r in results)
        typer.echo(f"{renewed} renewed, {len(results) - renewed} unchanged, of {len(results)} B-LTA documents")
    raise typer.Exit(1 if any(r["status"] == "failed" for r in results) else 0)


def register(app: typer.Typer) -> None:
    add_commands(app, {"sign": sign, "verify": verify})
    app.add_typer(signing_app, name="signing")
