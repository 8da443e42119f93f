"""The signing key's status: which backend, which certificate, how long it stays valid, what is wrong."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import SigningStatusPublic, WarningPublic, errors
from sohoa.core.clock import to_local, utcnow
from sohoa.core.errors import SohoaError
from sohoa.pipeline.runtime import Runtime

__all__ = ["router", "signing_status"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/signing", tags=["signing"])


def signing_status(rt: Runtime, now: datetime) -> SigningStatusPublic:
    """What ``/readyz`` and the signing administrators see; a key that cannot be opened is a warning."""
    from sohoa.signing.certificates import certificate_days_left, check_certificate

    level, tsa = rt.settings.signing_level, rt.settings.tsa_url
    try:
        backend = rt.signer()
        cert = backend.certificate
        not_after = cert["tbs_certificate"]["validity"]["not_after"].native
        warnings = check_certificate(backend, now)
        days = certificate_days_left(backend, now)
    except (SohoaError, OSError, RuntimeError, ValueError) as exc:
        log.warning("signing key unavailable: %s", exc)
        return SigningStatusPublic(
            available=False,
            backend=None,
            subject=None,
            issuer=None,
            not_after=None,
            days_left=None,
            level=level,
            tsa_url=tsa,
            warnings=[WarningPublic(code="signer_unavailable", message=str(exc), fatal=True)],
        )
    return SigningStatusPublic(
        available=True,
        backend=backend.describe(),
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        not_after=to_local(not_after if not_after.tzinfo else not_after.replace(tzinfo=UTC)),
        days_left=round(days, 2),
        level=level,
        tsa_url=tsa,
        warnings=[WarningPublic(code=w.code, message=w.message, fatal=w.fatal) for w in warnings],
    )


@router.get("/status", response_model=SigningStatusPublic, responses=errors(401, 403))
def status(rt: RuntimeDep, _user: Annotated[Principal, Depends(require(Right.READ_SIGNING))]) -> SigningStatusPublic:
    return signing_status(rt, utcnow())
