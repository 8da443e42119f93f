"""Every route of the OpenAPI spec against every role: 401 without credentials, 403 without the right,
and anything but 401/403 with it.

The expectations are written here, not read from ``api.rights``: ``RIGHTS`` mirrors that table and
``ROUTES`` says which right each route needs, so a new route without an entry (or with the wrong
right) fails this test.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sohoa.api.rights import RIGHTS as APP_RIGHTS
from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.records import EventRecord
from tests.api.conftest import auth

PUBLIC = "public"  # no credentials needed
SIGNED_IN = "signed_in"  # any role

ALL = {r.value for r in Role}
READERS = {"auditor", "admin"}
# Mirror of api.rights.RIGHTS: the roles holding each right.
RIGHTS: dict[str, set[str]] = {
    "upload": {"uploader", "admin"},
    "read_batches": {"uploader", "reviewer", "archivist"} | READERS,
    "read_documents": {"reviewer", "archivist"} | READERS,
    "read_procedures": {"uploader", "reviewer", "archivist", "signer_admin"} | READERS,
    "read_reports": {"archivist"} | READERS,
    "download": {"reviewer", "archivist"} | READERS,
    "review": {"reviewer", "admin"},
    "read_audit": READERS,
    "read_users": READERS,
    "manage_users": {"admin"},
    "read_signing": {"signer_admin"} | READERS,
    "signing_admin": {"signer_admin", "admin"},
    "metrics": {"metrics"} | READERS,
    "manage_registry": {"archivist", "admin"},
    "print_cover_sheets": {"archivist", "admin"},
    "verify": {"uploader", "reviewer", "archivist", "signer_admin"} | READERS,
    "legal_hold": {"admin"},
    "read_dossiers": {"uploader", "reviewer", "archivist"} | READERS,
    "manage_dossiers": {"uploader", "reviewer", "archivist", "admin"},
    "owner_data": {"archivist", "reviewer", "admin"},
    SIGNED_IN: ALL,
}
# The right each route needs.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("GET", "/auth/me"): SIGNED_IN,
    ("POST", "/api/v1/uploads"): "upload",
    ("GET", "/api/v1/batches"): "read_batches",
    ("GET", "/api/v1/batches/{batch_id}"): "read_batches",
    ("GET", "/api/v1/batches/{batch_id}/events"): "read_batches",
    ("GET", "/api/v1/documents"): "read_documents",
    ("GET", "/api/v1/documents/{document_id}"): "read_documents",
    ("GET", "/api/v1/documents/{document_id}/events"): "read_documents",
    ("GET", "/api/v1/documents/{document_id}/file"): "download",
    ("GET", "/api/v1/documents/{document_id}/original"): "download",
    ("PATCH", "/api/v1/documents/{document_id}/metadata"): "review",
    ("POST", "/api/v1/documents/{document_id}/approve"): "review",
    ("POST", "/api/v1/documents/{document_id}/retry"): "review",
    ("GET", "/api/v1/search"): "read_documents",
    ("GET", "/api/v1/procedures"): "read_procedures",
    ("GET", "/api/v1/procedures/{code}"): "read_procedures",
    ("POST", "/api/v1/procedures/import"): "manage_registry",
    ("GET", "/api/v1/register"): "read_documents",
    ("GET", "/api/v1/register/{dossier_code}"): "read_documents",
    ("POST", "/api/v1/register/import"): "manage_registry",
    ("POST", "/api/v1/register/{dossier_code}/documents"): "review",
    ("DELETE", "/api/v1/register/links/{document_id}"): "review",
    ("POST", "/api/v1/dossiers"): "manage_dossiers",
    ("GET", "/api/v1/dossiers/{code}"): "read_dossiers",
    ("POST", "/api/v1/dossiers/{code}/close"): "manage_dossiers",
    ("POST", "/api/v1/dossiers/{code}/components"): "manage_dossiers",
    ("PATCH", "/api/v1/dossiers/{code}/documents/{document_id}"): "review",
    ("PUT", "/api/v1/documents/{document_id}/validity"): "review",
    ("GET", "/api/v1/owners"): "read_dossiers",
    ("GET", "/api/v1/owners/{id_type}/{id_number}/documents"): "read_dossiers",
    ("GET", "/api/v1/reports"): "read_reports",
    ("GET", "/api/v1/coversheets"): "print_cover_sheets",
    ("POST", "/api/v1/coversheets"): "print_cover_sheets",
    ("POST", "/api/v1/verify"): "verify",
    ("GET", "/api/v1/documents/{document_id}/verification"): "read_documents",
    ("POST", "/api/v1/documents/{document_id}/supersede"): "manage_registry",
    ("GET", "/api/v1/documents/{document_id}/lineage"): "read_documents",
    ("GET", "/api/v1/documents/{document_id}/retention"): "read_documents",
    ("POST", "/api/v1/documents/{document_id}/hold"): "legal_hold",
    ("POST", "/api/v1/documents/{document_id}/release"): "legal_hold",
    ("GET", "/api/v1/archive/fixity"): "read_audit",
    ("GET", "/api/v1/signing/status"): "read_signing",
    ("GET", "/api/v1/audit"): "read_audit",
    ("GET", "/api/v1/users"): "read_users",
    ("POST", "/api/v1/users"): "manage_users",
    ("GET", "/api/v1/users/{name}"): "read_users",
    ("PATCH", "/api/v1/users/{name}"): "manage_users",
    ("PUT", "/api/v1/users/{name}/password"): "manage_users",
    ("POST", "/api/v1/users/{name}/tokens"): "manage_users",
    ("DELETE", "/api/v1/users/{name}/tokens"): "manage_users",
    ("GET", "/metrics"): "metrics",
}
_METHODS = {"get", "post", "put", "patch", "delete"}


def _spec_routes(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops if m in _METHODS)


def _url(path: str) -> str:
    # Names nobody has: a route that is allowed answers 404 or 422, never changes a real account.
    return re.sub(r"\{[^}]+\}", "nobody-00000000", path)


def test_the_rights_table_mirrors_api_rights() -> None:
    app_table = {right.value: {role.value for role in roles} for right, roles in APP_RIGHTS.items()}
    assert app_table == {k: v for k, v in RIGHTS.items() if k != SIGNED_IN}


def test_every_route_of_the_spec_has_a_right(client: TestClient) -> None:
    missing = [route for route in _spec_routes(client) if route not in ROUTES]
    assert not missing, f"add these routes to ROUTES with the right they need: {missing}"


def test_every_route_answers_by_role(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    refusals = 0
    wrong: list[str] = []
    for method, path in _spec_routes(client):
        right = ROUTES[(method, path)]
        if right == PUBLIC:
            continue
        url = _url(path)
        anonymous = client.request(method, url)
        if anonymous.status_code != 401 or anonymous.json()["code"] != "unauthenticated":
            wrong.append(f"{method} {path} without credentials: {anonymous.status_code}")
        for role in sorted(ALL):
            status = client.request(method, url, headers=auth(tokens[role])).status_code
            if role in RIGHTS[right]:
                if status in (401, 403):
                    wrong.append(f"{method} {path} as {role}: {status}, expected access")
            elif status != 403:
                wrong.append(f"{method} {path} as {role}: {status}, expected 403")
            else:
                refusals += 1
    assert not wrong, "\n".join(wrong)
    assert refusals > 0
    with runtime.db.session() as session:
        denied = session.scalar(select(func.count()).where(EventRecord.action == "access.denied"))
    assert denied == refusals  # every refusal is in the audit log


def test_the_auditor_reads_everything_and_changes_nothing() -> None:
    for (method, path), right in ROUTES.items():
        # Cover sheets are a working tool of archivists that prints, not a record to read.
        if method == "GET" and right not in (PUBLIC, SIGNED_IN, "print_cover_sheets"):
            assert "auditor" in RIGHTS[right], f"the auditor cannot read {path}"
    changing = {"upload", "review", "manage_users", "signing_admin", "manage_registry", "legal_hold"}
    assert not any("auditor" in RIGHTS[right] for right in changing)


def test_the_spec_documents_security_and_error_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    error_ref = "#/components/schemas/ErrorPublic"
    undocumented = []
    for method, path in _spec_routes(client):
        right = ROUTES[(method, path)]
        operation = spec["paths"][path][method.lower()]
        if right == PUBLIC:
            continue
        if {"bearer": []} not in operation.get("security", []):
            undocumented.append(f"{method} {path}: no bearer security")
        needed = ["401"] if right == SIGNED_IN else ["401", "403"]
        if operation.get("parameters") or operation.get("requestBody"):
            needed.append("422")
        for status in needed:
            content = operation["responses"].get(status, {}).get("content", {})
            if content.get("application/json", {}).get("schema", {}).get("$ref") != error_ref:
                undocumented.append(f"{method} {path}: {status} not answered with ErrorPublic")
    assert not undocumented, "\n".join(undocumented)
