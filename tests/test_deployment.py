"""The scaled deployment description stays valid (Debian's docker-compose validates without an engine)."""

from __future__ import annotations

import subprocess

import yaml

from tests.support.corpus import REPO
from tests.support.services import need_program


def test_compose_file_is_valid_and_has_the_scaled_services() -> None:
    compose = need_program("docker-compose")
    done = subprocess.run(
        [compose, "-f", str(REPO / "docker-compose.yml"), "config"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert {"api", "worker-ocr", "worker-sign", "postgres", "minio", "redis"} <= set(services)
    env = services["api"]["environment"]
    assert env["SOHOA_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["SOHOA_S3_ENDPOINT"] and env["SOHOA_BROKER_URL"].startswith("redis://")
    assert "--with-lock" in " ".join(
        services["minio-init"]["entrypoint"]
        if isinstance(services["minio-init"]["entrypoint"], list)
        else [services["minio-init"]["entrypoint"]]
    )
