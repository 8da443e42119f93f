from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import auth


def test_unreadable_bodies_are_422_in_the_error_shape(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/users",
        content=b"\xff\xfe{not json",
        headers={**auth(tokens["admin"]), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["code"] in {"invalid_body", "invalid_request"}
    assert set(answer.json()) == {"code", "message", "details"}


def test_numbers_beyond_the_catalogue_are_422_not_500(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get("/api/v1/procedures", params={"offset": 10**40}, headers=auth(tokens["archivist"]))
    assert answer.status_code == 422 and answer.json()["code"] in {"value_out_of_range", "invalid_request"}


def test_unknown_paths_and_methods_answer_in_the_error_shape(client: TestClient, tokens: dict[str, str]) -> None:
    missing = client.get("/api/v1/nothing-here", headers=auth(tokens["admin"]))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = client.delete("/api/v1/documents", headers=auth(tokens["admin"]))
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
