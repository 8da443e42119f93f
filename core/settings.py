"""All configuration, from ``SOHOA_*`` environment variables, validated on start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


def _blank_is_unset(value: Any) -> Any:
    # ``SOHOA_X=`` (as compose files write an optional value) means unset, not an empty name or path
    return None if isinstance(value, str) and not value.strip() else value


def _blank_is_default(value: Any) -> Any:
    # for settings whose unset meaning is their default value, not None
    if isinstance(value, str) and not value.strip():
        raise PydanticUseDefault()
    return value


def _path_list(value: Any) -> Any:
    """``a.pem:b.pem`` or ``a.pem,b.pem`` (both separators, as operators write either) into paths."""
    if isinstance(value, str):
        parts = [p.strip() for chunk in value.split(os.pathsep) for p in chunk.split(",")]
        return tuple(Path(p).expanduser() for p in parts if p)
    return value


def _origin_list(value: Any) -> Any:
    """``https://a.example,https://b.example`` into origins without a trailing slash."""
    if isinstance(value, str):
        return tuple(o.strip().rstrip("/").lower() for o in value.split(",") if o.strip())
    return value


def _stamp_mode(value: Any) -> Any:
    if value is None:
        return "none"
    return (value.strip().lower() or "none") if isinstance(value, str) else value


_Unset = BeforeValidator(_blank_is_unset)
_Default = BeforeValidator(_blank_is_default)


class _DataFolder:
    """A folder of ``data_dir``, read like a property: its place follows ``data_dir``, no variable sets it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, settings: Settings, owner: type[Settings]) -> Path:
        return settings.data_dir / self.name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore", ignored_types=(_DataFolder,))

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
    retention_years: Annotated[int, _Default] = Field(default=10, ge=1)
    retention_overrides: str = ""
    fixity_interval: Annotated[float, _Default] = Field(default=0, ge=0)

    # Celery broker: set to use Celery workers, unset to run tasks in-process.
    broker_url: str | None = None
    visibility_timeout: int = 3600  # Redis: a killed worker's job comes back after this many seconds
    lease_seconds: int = 1800  # how long a worker holds a document before others may take it
    task_max_retries: int = 8  # transient failures (store or database unreachable)
    retry_backoff: float = 2.0
    retry_backoff_max: float = 300.0
    stuck_after: int = 3600  # the sweeper re-enqueues documents unchanged for this many seconds
    # Crash leftovers (request spools, .tmp objects, originals no document names) older than this go.
    leftover_grace: int = Field(default=3600, ge=0, description="seconds before a crash leftover is removed")
    # Uploads are refused below this much free space on the data dir's filesystem, so what was
    # accepted can still be processed; /readyz is not ready below it. 0: no floor.
    min_free_mb: int = Field(default=500, ge=0, description="MiB free on the data dir before uploads are refused")
    # One upload quarantines at most this many bytes of refused input; the rest is refused unkept.
    quarantine_max_request_bytes: int = Field(default=256 * 1024**2, ge=0)
    sweep_interval: int = 300  # seconds between sweeps in a worker; 0 disables

    review_policy: Literal["auto", "always", "never"] = "auto"
    # Once a procedure catalogue is loaded, unknown procedure codes are refused unless this is set.
    accept_unknown_procedures: bool = False
    # Roles that see owners' id numbers in full (Nghị định 13/2023/NĐ-CP), comma-separated; admin always
    # does, every other role sees them masked (001*******89).
    owner_data_roles: str = "archivist,reviewer"

    # OCR
    ocr_languages: str = "vie"
    ocr_processes: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    ocr_timeout_per_page: float = 180.0
    ocr_engine: str = "tesseract"  # "fake" or "module:attr" only for tests not about OCR
    tesseract: Annotated[str | None, _Unset] = None  # the program, a name on PATH or a path; unset: "tesseract"
    # MiB of address space one tesseract process may map (0: no cap): a pathological page fails
    # alone instead of getting the worker killed for memory.
    ocr_memory_mb: Annotated[int, _Default] = Field(default=2048, ge=0)

    # Intake limits
    max_pages: int = 2000
    max_file_bytes: int = 2 * 1024**3
    intake_threads: int = 4  # files of one upload stored at once (durable writes wait on the disk)

    # Signing: a PKCS#12 file; unset in embedded mode -> development CA under the data dir.
    pkcs12_path: Annotated[Path | None, _Unset] = None
    pkcs12_passphrase: SecretStr | None = None
    pkcs12_passphrase_file: Annotated[Path | None, _Unset] = None
    signing_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = "B-B"
    tsa_url: Annotated[str | None, _Unset] = None  # RFC 3161 time-stamping authority, needed from B-T up

    # Signing: a key on an HSM or USB token instead (see signing.backends.pkcs11_config).
    pkcs11_module: Annotated[Path | None, _Unset] = Field(
        default=None, description="PKCS#11 library of the token or HSM; set -> the key lives there"
    )
    pkcs11_token_label: Annotated[str | None, _Unset] = Field(default=None, description="label of the token")
    pkcs11_key_label: Annotated[str | None, _Unset] = Field(
        default=None, description="label of the private key (or give pkcs11_key_id)"
    )
    pkcs11_key_id: Annotated[str | None, _Unset] = Field(default=None, description="CKA_ID of the key, in hex")
    pkcs11_cert_label: Annotated[str | None, _Unset] = Field(
        default=None, description="label of the certificate; default: the key's label"
    )
    pkcs11_pin: Annotated[SecretStr | None, _Unset] = Field(default=None, description="user PIN (prefer the file)")
    pkcs11_pin_file: Annotated[Path | None, _Unset] = Field(default=None, description="file holding the user PIN")
    pkcs11_raw_mechanism: Annotated[bool | None, _Unset] = Field(
        default=None,
        description="sign with the token's raw mechanism, hashing here; unset: only for ECDSA keys",
    )

    # Verification
    trust_roots: Annotated[tuple[Path, ...], NoDecode, BeforeValidator(_path_list)] = Field(
        default=(),
        description="PEM/DER files (':' or ','-separated) whose certificates verification trusts; "
        "a PEM file may hold several (a national root and its intermediates)",
    )

    require_revocation: bool = Field(
        default=False,
        description="verification fails a signature whose revocation status cannot be learnt "
        "(default: it is valid, with the verdict 'valid_revocation_unknown')",
    )

    # Visible stamp of electronic copies (signing.stamp)
    stamp: Annotated[Literal["none", "copy"], BeforeValidator(_stamp_mode)] = Field(
        default="none", description="'copy': draw the Nghị định 30 'SAO Y' stamp on page 1; 'none': invisible"
    )
    stamp_font: Annotated[Path | None, _Unset] = Field(
        default=None, description="TrueType/OpenType font of the stamp; default: the first serif with Vietnamese"
    )

    signing_reason: str = "Số hóa kết quả giải quyết thủ tục hành chính"
    signing_location: str | None = None
    agency_name: str = "Sở Văn hóa, Thể thao và Du lịch"
    agency_parent: Annotated[str | None, _Unset] = Field(
        default=None, description="the agency's parent (cơ quan chủ quản), above its name in reports' title block"
    )

    # API
    host: str = "127.0.0.1"
    port: int = 8000
    max_request_bytes: int = Field(
        default=4 * 1024**3, ge=1024, description="one upload request, all parts together (413 beyond)"
    )
    max_files_per_upload: int = Field(default=500, ge=1, description="file parts of one request (a zip counts once)")
    login_max_failures: int = Field(default=5, ge=1, description="failed passwords in a row before the account locks")
    login_lockout_minutes: float = Field(default=15.0, gt=0, description="how long a locked account stays locked")
    session_hours: float = Field(default=8.0, gt=0, description="a browser session's lifetime, from sign-in")
    # Abuse limits (api.middleware, api.limits): what an anonymous or hostile client can cost the service.
    max_json_bytes: int = Field(default=1024**2, ge=1024, description="body of any route without its own cap (413)")
    max_import_bytes: int = Field(default=64 * 1024**2, ge=1024, description="register/procedure import request")
    max_verify_bytes: int = Field(default=256 * 1024**2, ge=1024, description="a PDF sent to /api/v1/verify")
    login_concurrency: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) // 2),
        ge=1,
        description="password checks (Argon2) run at once; half the CPUs by default, the rest serve requests",
    )
    login_rate_per_address: int = Field(default=30, ge=1, description="failed sign-ins per minute from one address")
    login_rate_per_user: int = Field(default=10, ge=1, description="failed sign-ins per minute for one user name")
    header_timeout: float = Field(default=10.0, gt=0, description="seconds to send a request's line and headers")
    body_timeout: float = Field(default=30.0, gt=0, description="seconds a request body may go without progress")
    keep_alive_timeout: float = Field(default=5.0, gt=0, description="idle seconds before a kept-alive connection ends")
    max_connections: int = Field(default=1000, ge=1, description="connections and requests at once (503 beyond)")
    token_days: float = Field(default=0, ge=0, description="API tokens expire this many days after issue (0: never)")
    password_reset_revokes_tokens: bool = Field(
        default=True, description="an administrator's password reset also revokes the user's API tokens"
    )
    verification_refresh_per_minute: int = Field(
        default=6, ge=1, description="re-verifications of archived documents one user may ask per minute"
    )
    allowed_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origin_list)] = Field(
        default=(), description="origins besides the service's own that may post the sign-in form"
    )
    batch_events_timeout: float = Field(
        default=3600.0, gt=0, description="seconds a batch's event stream stays open at most"
    )
    batch_events_poll: float = Field(
        default=1.0, gt=0, description="seconds between looks at the catalogue for a batch's new events"
    )
    workers_paused: bool = Field(
        default=False,
        description="the API process runs no pipeline jobs: uploads stay 'received' for workers started later",
    )

    @field_validator("pkcs11_key_id")
    @classmethod
    def _hex_key_id(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                bytes.fromhex(value)
            except ValueError:
                raise ValueError("SOHOA_PKCS11_KEY_ID is not hex") from None
        return value

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

    store_dir = _DataFolder("store")
    work_dir = _DataFolder("work")
    quarantine_dir = _DataFolder("quarantine")
    dev_ca_dir = _DataFolder("dev-ca")

    def pkcs12_secret(self) -> bytes | None:
        if self.pkcs12_passphrase_file is not None:
            return self.pkcs12_passphrase_file.read_bytes().strip()
        if self.pkcs12_passphrase is not None:
            return self.pkcs12_passphrase.get_secret_value().encode()
        return None

    def pkcs11_secret(self) -> str | None:
        """The token PIN: the named file's content, trimmed, else the PIN itself."""
        if self.pkcs11_pin_file is not None:
            return self.pkcs11_pin_file.read_text().strip()
        if self.pkcs11_pin is not None:
            return self.pkcs11_pin.get_secret_value()
        return None


def get_settings() -> Settings:
    return Settings()
