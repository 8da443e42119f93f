"""Settings of the API that ``core.settings`` does not carry yet, read from ``SOHOA_*`` like the rest.

A value set on ``Settings`` (once the field exists there) wins over the environment, so moving a
field into ``core.settings`` changes nothing for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Settings

__all__ = ["ApiConfig", "read_api_config"]


class _ApiEnv(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    max_request_bytes: int = Field(default=4 * 1024**3, ge=1024)
    max_files_per_upload: int = Field(default=500, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    session_hours: float = Field(default=8.0, gt=0)
    batch_events_timeout: float = Field(default=3600.0, gt=0)
    batch_events_poll: float = Field(default=1.0, gt=0)
    workers_paused: bool = False


@dataclass(frozen=True)
class ApiConfig:
    max_request_bytes: int = 4 * 1024**3  # one upload request, all parts together
    max_files_per_upload: int = 500  # file parts of one request (a zip counts once)
    login_max_failures: int = 5  # failed passwords in a row before the account locks
    login_lockout_minutes: float = 15.0
    session_hours: float = 8.0  # a browser session's lifetime, from sign-in
    batch_events_timeout: float = 3600.0  # longest a batch's event stream stays open
    batch_events_poll: float = 1.0  # seconds between looks at the catalogue for new events
    # The API process runs no pipeline jobs: uploads stay ``received`` for workers started later.
    workers_paused: bool = False


def read_api_config(settings: Settings) -> ApiConfig:
    env = _ApiEnv()
    values = {f.name: getattr(settings, f.name, getattr(env, f.name)) for f in fields(ApiConfig)}
    return ApiConfig(**values)
