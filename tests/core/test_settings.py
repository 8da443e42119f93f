"""Every ``SOHOA_*`` setting is a field of ``core.settings.Settings``, under its documented name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sohoa.core.settings import Settings

# The environment names deployments set, and the value each must arrive as.
MOVED = {
    "SOHOA_MAX_REQUEST_BYTES": ("max_request_bytes", "2048", 2048),
    "SOHOA_MAX_FILES_PER_UPLOAD": ("max_files_per_upload", "7", 7),
    "SOHOA_LOGIN_MAX_FAILURES": ("login_max_failures", "3", 3),
    "SOHOA_LOGIN_LOCKOUT_MINUTES": ("login_lockout_minutes", "2.5", 2.5),
    "SOHOA_SESSION_HOURS": ("session_hours", "12", 12.0),
    "SOHOA_BATCH_EVENTS_TIMEOUT": ("batch_events_timeout", "60", 60.0),
    "SOHOA_BATCH_EVENTS_POLL": ("batch_events_poll", "0.3", 0.3),
    "SOHOA_WORKERS_PAUSED": ("workers_paused", "true", True),
    "SOHOA_PKCS11_MODULE": (
        "pkcs11_module",
        "/usr/lib/softhsm/libsofthsm2.so",
        Path("/usr/lib/softhsm/libsofthsm2.so"),
    ),
    "SOHOA_PKCS11_TOKEN_LABEL": ("pkcs11_token_label", "sohoa", "sohoa"),
    "SOHOA_PKCS11_KEY_LABEL": ("pkcs11_key_label", "ký số", "ký số"),
    "SOHOA_PKCS11_KEY_ID": ("pkcs11_key_id", "0a0B", "0a0B"),
    "SOHOA_PKCS11_CERT_LABEL": ("pkcs11_cert_label", "cert", "cert"),
    "SOHOA_PKCS11_PIN_FILE": ("pkcs11_pin_file", "/run/secrets/pin", Path("/run/secrets/pin")),
    "SOHOA_PKCS11_RAW_MECHANISM": ("pkcs11_raw_mechanism", "yes", True),
    "SOHOA_STAMP": ("stamp", "Copy", "copy"),
    "SOHOA_STAMP_FONT": ("stamp_font", "/fonts/serif.ttf", Path("/fonts/serif.ttf")),
    "SOHOA_TESSERACT": ("tesseract", "/opt/tesseract5/bin/tesseract", "/opt/tesseract5/bin/tesseract"),
    "SOHOA_OCR_MEMORY_MB": ("ocr_memory_mb", "0", 0),
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*MOVED, "SOHOA_TRUST_ROOTS", "SOHOA_PKCS11_PIN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_moved_settings_keep_their_environment_names(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, (_, raw, _) in MOVED.items():
        clean_env.setenv(name, raw)
    settings = Settings(data_dir=tmp_path)
    assert {field: getattr(settings, field) for field, _, _ in MOVED.values()} == {
        field: value for field, _, value in MOVED.values()
    }


def test_defaults_are_those_the_modules_had(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    api = (
        settings.max_request_bytes,
        settings.max_files_per_upload,
        settings.login_max_failures,
        settings.login_lockout_minutes,
        settings.session_hours,
        settings.batch_events_timeout,
        settings.batch_events_poll,
        settings.workers_paused,
    )
    assert api == (4 * 1024**3, 500, 5, 15.0, 8.0, 3600.0, 1.0, False)
    assert settings.pkcs11_module is None and settings.pkcs11_raw_mechanism is None
    assert settings.pkcs11_secret() is None
    assert (settings.stamp, settings.stamp_font, settings.trust_roots) == ("none", None, ())
    assert (settings.tesseract, settings.ocr_memory_mb) == (None, 2048)
    # a blank time-stamping URL is no TSA (a B-B signature), not a request to the URL ""
    assert (settings.tsa_url, settings.pkcs12_path, settings.pkcs12_passphrase_file) == (None, None, None)
    assert (settings.fixity_interval, settings.retention_years) == (0, 10)


def test_blank_values_mean_unset(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a compose file's "SOHOA_PKCS11_MODULE: ${MODULE:-}" must not configure a token at path ""
    for name in (
        "SOHOA_PKCS11_MODULE",
        "SOHOA_PKCS11_KEY_ID",
        "SOHOA_PKCS11_RAW_MECHANISM",
        "SOHOA_STAMP",
        "SOHOA_TESSERACT",
        "SOHOA_OCR_MEMORY_MB",
        "SOHOA_TSA_URL",
        "SOHOA_PKCS12_PATH",
        "SOHOA_PKCS12_PASSPHRASE_FILE",
        "SOHOA_FIXITY_INTERVAL",
        "SOHOA_RETENTION_YEARS",
    ):
        clean_env.setenv(name, "")
    settings = Settings(data_dir=tmp_path)
    assert (settings.pkcs11_module, settings.pkcs11_key_id, settings.pkcs11_raw_mechanism) == (None, None, None)
    assert settings.stamp == "none"
    # no program named "": tesseract on PATH; no cap of 0 (none): the default cap
    assert (settings.tesseract, settings.ocr_memory_mb) == (None, 2048)


def test_trust_roots_take_either_separator(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SOHOA_TRUST_ROOTS", f"{tmp_path}/a.pem:{tmp_path}/b.pem, ~/c.pem,")
    settings = Settings(data_dir=tmp_path)
    assert settings.trust_roots == (tmp_path / "a.pem", tmp_path / "b.pem", Path("~/c.pem").expanduser())
    assert Settings(data_dir=tmp_path, trust_roots="x.pem").trust_roots == (Path("x.pem"),)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SOHOA_STAMP", "visible"),
        ("SOHOA_PKCS11_KEY_ID", "not-hex"),
        ("SOHOA_MAX_FILES_PER_UPLOAD", "0"),
        ("SOHOA_BATCH_EVENTS_POLL", "0"),
        ("SOHOA_PKCS11_RAW_MECHANISM", "maybe"),
        ("SOHOA_OCR_MEMORY_MB", "-1"),
        ("SOHOA_OCR_MEMORY_MB", "2 GiB"),
    ],
)
def test_bad_values_fail_on_start(clean_env: pytest.MonkeyPatch, tmp_path: Path, name: str, raw: str) -> None:
    clean_env.setenv(name, raw)
    with pytest.raises(ValidationError) as info:
        Settings(data_dir=tmp_path)
    assert MOVED[name][0] in str(info.value)


def test_the_pin_file_wins_over_the_pin(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("SOHOA_PKCS11_PIN", "111111")
    assert Settings(data_dir=tmp_path).pkcs11_secret() == "111111"
    pin = tmp_path / "pin"
    pin.write_text("222222\n")
    clean_env.setenv("SOHOA_PKCS11_PIN_FILE", str(pin))
    settings = Settings(data_dir=tmp_path)
    assert settings.pkcs11_secret() == "222222"
    assert "111111" not in repr(settings)
