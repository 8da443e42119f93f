"""All configuration, from ``SOHOA_*`` environment variables, validated on start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    # Embedded default: everything lives under the data dir.
    data_dir: Path = Path("var")
    database_url: str | None = None  # default: sqlite:///{data_dir}/sohoa.db

    # S3 / MinIO: set the endpoint to use S3, leave it unset for the local folder store.
    s3_endpoint: str | None = None  # host:port or http(s)://host:port
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_bucket: str = "sohoa"
    s3_timeout: float = 60.0  # seconds per S3 request before it counts as unreachable (and is retried)

    # Archive: years to keep archived records (COMPLIANCE retention on S3), per-procedure overrides
    # as "1.001029=20,2.000123=5", and how often the fixity audit re-reads the archive (0 = never).
    retention_years: int = 10
    retention_overrides: str = ""
    fixity_interval: float = 0

    # Celery broker: set to use Celery workers, unset to run tasks in-process.
    broker_url: str | None = None
    visibility_timeout: int = 3600  # Redis: a killed worker's job comes back after this many seconds
    lease_seconds: int = 1800  # how long a worker holds a document before others may take it
    task_max_retries: int = 8  # transient failures (store or database unreachable)
    retry_backoff: float = 2.0
    retry_backoff_max: float = 300.0
    stuck_after: int = 3600  # the sweeper re-enqueues documents unchanged for this many seconds
    sweep_interval: int = 300  # seconds between sweeps in a worker; 0 disables

    review_policy: Literal["auto", "always", "never"] = "auto"
    # Once a procedure catalogue is loaded, unknown procedure codes are refused unless this is set.
    accept_unknown_procedures: bool = False

    # OCR
    ocr_languages: str = "vie"
    ocr_processes: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    ocr_timeout_per_page: float = 180.0
    ocr_engine: str = "tesseract"  # "fake" or "module:attr" only for tests not about OCR

    # Intake limits
    max_pages: int = 2000
    max_file_bytes: int = 2 * 1024**3
    intake_threads: int = 4  # files of one upload stored at once (durable writes wait on the disk)

    # Signing: a PKCS#12 file; unset in embedded mode -> development CA under the data dir.
    pkcs12_path: Path | None = None
    pkcs12_passphrase: SecretStr | None = None
    pkcs12_passphrase_file: Path | None = None
    signing_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = "B-B"
    tsa_url: str | None = None  # RFC 3161 time-stamping authority, needed from B-T up
    # A key on an HSM or USB token is configured with SOHOA_PKCS11_MODULE, _TOKEN_LABEL, _KEY_LABEL or
    # _KEY_ID, _CERT_LABEL, _PIN_FILE (or _PIN); see signing.backends.Pkcs11Config.
    signing_reason: str = "Số hóa kết quả giải quyết thủ tục hành chính"
    signing_location: str | None = None
    agency_name: str = "Sở Văn hóa, Thể thao và Du lịch"

    # API
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'sohoa.db'}"
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def embedded_store(self) -> bool:
        return not self.s3_endpoint

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def dev_ca_dir(self) -> Path:
        return self.data_dir / "dev-ca"

    def pkcs12_secret(self) -> bytes | None:
        if self.pkcs12_passphrase_file is not None:
            return self.pkcs12_passphrase_file.read_bytes().strip()
        if self.pkcs12_passphrase is not None:
            return self.pkcs12_passphrase.get_secret_value().encode()
        return None


def get_settings() -> Settings:
    return Settings()
