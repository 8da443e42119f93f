"""The signing key's status: which backend, which certificate, how long it stays valid, what is wrong."""

from __future__ import annotations

from fastapi import APIRouter

from sohoa.api.deps import RuntimeDep, SigningReader
from sohoa.api.schemas import SigningStatusPublic, WarningPublic, errors
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import signer_status

__all__ = ["router", "signing_status"]

router = APIRouter(prefix="/api/v1/signing", tags=["signing"])


def signing_status(rt: Runtime) -> SigningStatusPublic:
    """What the signing administrators see, from the signer's cached check (a real test signature)."""
    health = signer_status(rt)
    return SigningStatusPublic(
        available=health.signer is not None,
        backend=health.signer,
        subject=health.subject,
        issuer=health.issuer,
        not_after=health.not_after,
        days_left=None if health.days_left is None else round(health.days_left, 2),
        level=rt.settings.signing_level,
        tsa_url=rt.settings.tsa_url,
        warnings=[WarningPublic(code=w.code, message=w.message, fatal=w.fatal) for w in health.warnings],
    )


@router.get("/status", response_model=SigningStatusPublic, responses=errors(401, 403))
def status(rt: RuntimeDep, _user: SigningReader) -> SigningStatusPublic:
    return signing_status(rt)
