"""One validated ``Settings`` object from environment variables and an optional TOML file.

Precedence: environment (``INTERVIEW_BOT_*`` or the documented bare names) > TOML file > defaults.
Validation happens once at start so a typo produces one readable message, not a failure mid-interview.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(ValueError):
    """Configuration is invalid; ``str()`` is a message meant for the person starting the bot."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "interview-bot"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_path: Path | None = None
    # ``sqlite:///path`` or ``postgresql://…``; unset = the SQLite file below. Not in repr: it may
    # carry a password.
    database_url: str | None = Field(
        default=None, repr=False, pattern=r"^(sqlite:///.+|postgres(ql)?://.*)$"
    )
    max_jd_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_jd_chars: int = Field(default=60_000, ge=200)
    max_answer_chars: int = Field(default=20_000, ge=200)
    default_length: str = Field(default="standard", pattern="^(short|standard|long)$")
    log_level: str = Field(default="WARNING", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    jd_language_policy: str = Field(default="warn", pattern="^(warn|refuse)$")
    max_pdf_pages: int = Field(default=20, ge=1)
    extraction_timeout_s: float = Field(default=10.0, gt=0)
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_model: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0)
    llm_turn_deadline_s: float = Field(default=12.0, gt=0)
    llm_max_tokens: int = Field(default=800, ge=16)
    llm_temperature: float = Field(default=0.3, ge=0, le=2)
    # Days a finished or abandoned interview's transcript is kept; 0 = keep until forgotten.
    retention_days: int = Field(default=90, ge=0)

    @property
    def database_file(self) -> Path:
        return self.database_path or (self.data_dir / "interview-bot.sqlite3")


# Environment variable -> settings field. Bare names follow the issue/README contract.
ENV_VARS: Mapping[str, str] = {
    "INTERVIEW_BOT_DATA_DIR": "data_dir",
    "INTERVIEW_BOT_DB": "database_path",
    "DATABASE_URL": "database_url",
    "INTERVIEW_BOT_MAX_JD_BYTES": "max_jd_bytes",
    "INTERVIEW_BOT_MAX_JD_CHARS": "max_jd_chars",
    "INTERVIEW_BOT_MAX_ANSWER_CHARS": "max_answer_chars",
    "INTERVIEW_BOT_LENGTH": "default_length",
    "INTERVIEW_BOT_LOG_LEVEL": "log_level",
    "INTERVIEW_BOT_JD_LANGUAGE_POLICY": "jd_language_policy",
    "INTERVIEW_BOT_MAX_PDF_PAGES": "max_pdf_pages",
    "INTERVIEW_BOT_EXTRACTION_TIMEOUT": "extraction_timeout_s",
    "LLM_BASE_URL": "llm_base_url",
    "LLM_API_KEY": "llm_api_key",
    "LLM_MODEL": "llm_model",
    "LLM_TIMEOUT": "llm_timeout_s",
    "LLM_TURN_DEADLINE": "llm_turn_deadline_s",
    "LLM_MAX_TOKENS": "llm_max_tokens",
    "LLM_TEMPERATURE": "llm_temperature",
    "INTERVIEW_BOT_RETENTION_DAYS": "retention_days",
}
CONFIG_FILE_VAR = "INTERVIEW_BOT_CONFIG"


def _format_errors(exc: ValidationError, origin: Mapping[str, str]) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "(settings)"
        where = origin.get(field, "default")
        lines.append(f"  - {field} (from {where}): {error['msg']}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings; raises ``SettingsError`` with every problem listed and where it came from."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    path = config_file or (Path(env[CONFIG_FILE_VAR]) if env.get(CONFIG_FILE_VAR) else None)
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"config file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
        section = document.get("interview_bot", document)
        if not isinstance(section, dict):
            raise SettingsError(f"config file {path}: [interview_bot] must be a table")
        for key, value in section.items():
            values[key] = value
            origin[key] = str(path)

    for var, field in ENV_VARS.items():
        if env.get(var):
            values[field] = env[var]
            origin[field] = f"${var}"

    for key, value in overrides.items():
        if value is not None:
            values[key] = value
            origin[key] = "command line"

    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_format_errors(exc, origin)) from exc
