"""One validated ``Settings`` object from environment variables and an optional TOML file.

Precedence: environment (``INTERVIEW_BOT_*`` or the documented bare names) > TOML file > defaults.
Validation happens once at start so a typo produces one readable message, not a failure mid-interview.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class SettingsError(ValueError):
    """Configuration is invalid; ``str()`` is a message meant for the person starting the bot."""


def _default_instance() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


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

    # Operations (issue 12). The HTTP server (health, metrics, share pages, Slack's HTTP mode)
    # starts only when ``http_port`` is set; ``instance_name`` names this process in session
    # claims and logs.
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    log_format: str = Field(default="text", pattern="^(text|json)$")
    instance_name: str = Field(default_factory=_default_instance, min_length=1, max_length=200)
    # Discord sharding: every process gets the same ``shard_count`` and its own ``shard_ids``.
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: tuple[int, ...] = ()
    # Heavy work (speech-to-text, sandbox runs) in this process (``inline``) or on arq workers
    # through Redis (``redis``, needs ``redis_url``).
    work_queue: str = Field(default="inline", pattern="^(inline|redis)$")
    redis_url: str | None = Field(default=None, repr=False, pattern=r"^rediss?://.+")
    work_timeout_s: float = Field(default=120.0, gt=0)

    # Sharing a session with a mentor (issue 11): links are signed with ``share_secret`` (every
    # process must share it; unset = a random secret kept in the data dir) and point at
    # ``public_url`` (unset = http://http_host:http_port).
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    share_secret: str | None = Field(default=None, repr=False, min_length=16)
    share_ttl_hours: float = Field(default=72.0, gt=0, le=24 * 90)

    # Speech (issue 10); the variables keep the names the speech package documented.
    stt_model: str = ""  # "" = the packaged tiny.en when installed, else faster-whisper's tiny.en
    stt_compute_type: str = "int8"
    stt_threads: int = Field(default=0, ge=0, le=64)
    stt_beam_size: int = Field(default=1, ge=1, le=10)
    stt_language: str = "en"
    stt_max_audio_s: float = Field(default=600.0, ge=1)
    tts_engine: str = Field(default="auto", pattern="^(auto|edge|piper|espeak)$")
    tts_voice: str = "en-US-AriaNeural"
    piper_voice: str = ""
    espeak_voice: str = "en-us"
    tts_cache_items: int = Field(default=128, ge=0)
    voice_end_silence_s: float = Field(default=1.8, ge=0.2)
    voice_min_answer_s: float = Field(default=5.0, ge=0)
    voice_think_extension_s: float = Field(default=8.0, ge=0)
    voice_max_answer_s: float = Field(default=300.0, ge=5)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(",", " ").split() if p]
            if not all(p.isdigit() for p in parts):
                raise ValueError("expected shard numbers separated by commas, e.g. 0,1")
            return tuple(int(p) for p in parts)
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("shard_ids needs shard_count (every process must agree on it)")
        if self.shard_count is not None and any(i >= self.shard_count for i in self.shard_ids):
            raise ValueError(f"every shard id must be below shard_count ({self.shard_count})")
        if self.work_queue == "redis" and not self.redis_url:
            raise ValueError("work_queue=redis needs redis_url (REDIS_URL=redis://host:6379/0)")
        return self

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
    "HTTP_HOST": "http_host",
    "HTTP_PORT": "http_port",
    "INTERVIEW_BOT_LOG_FORMAT": "log_format",
    "INTERVIEW_BOT_INSTANCE": "instance_name",
    "DISCORD_SHARD_COUNT": "shard_count",
    "DISCORD_SHARD_IDS": "shard_ids",
    "WORK_QUEUE": "work_queue",
    "REDIS_URL": "redis_url",
    "WORK_TIMEOUT": "work_timeout_s",
    "PUBLIC_URL": "public_url",
    "SHARE_SECRET": "share_secret",
    "SHARE_TTL_HOURS": "share_ttl_hours",
    "STT_MODEL": "stt_model",
    "STT_COMPUTE_TYPE": "stt_compute_type",
    "STT_THREADS": "stt_threads",
    "STT_BEAM_SIZE": "stt_beam_size",
    "STT_LANGUAGE": "stt_language",
    "STT_MAX_AUDIO_SECONDS": "stt_max_audio_s",
    "TTS_ENGINE": "tts_engine",
    "TTS_VOICE": "tts_voice",
    "PIPER_VOICE": "piper_voice",
    "ESPEAK_VOICE": "espeak_voice",
    "TTS_CACHE_ITEMS": "tts_cache_items",
    "VOICE_END_SILENCE": "voice_end_silence_s",
    "VOICE_MIN_ANSWER": "voice_min_answer_s",
    "VOICE_THINK_EXTENSION": "voice_think_extension_s",
    "VOICE_MAX_ANSWER": "voice_max_answer_s",
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
