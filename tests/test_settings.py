from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_need_nothing() -> None:
    settings = load_settings(environ={})
    assert settings.default_length == "standard"
    assert settings.llm_base_url is None
    assert settings.database_file.name == "interview-bot.sqlite3"


def test_env_overrides_toml(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[interview_bot]\ndefault_length = "long"\nmax_answer_chars = 5000\n')
    settings = load_settings(environ={"INTERVIEW_BOT_LENGTH": "short"}, config_file=config)
    assert settings.default_length == "short"
    assert settings.max_answer_chars == 5000


def test_errors_are_readable_and_name_their_source(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[interview_bot]\nmax_answer_chars = "lots"\nunknown_key = 1\n')
    with pytest.raises(SettingsError) as info:
        load_settings(environ={"INTERVIEW_BOT_LENGTH": "huge"}, config_file=config)
    message = str(info.value)
    assert "default_length (from $INTERVIEW_BOT_LENGTH)" in message
    assert f"max_answer_chars (from {config})" in message
    assert "unknown_key" in message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(environ={}, config_file=tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("this is = = not toml")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(environ={}, config_file=broken)


def test_api_key_is_never_in_repr() -> None:
    settings = load_settings(environ={"LLM_API_KEY": "sk-secret-value"})
    assert "sk-secret-value" not in repr(settings)


def test_operations_settings_from_env() -> None:
    settings = load_settings(
        environ={
            "HTTP_PORT": "8080",
            "DISCORD_SHARD_COUNT": "4",
            "DISCORD_SHARD_IDS": "0, 2",
            "WORK_QUEUE": "redis",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "INTERVIEW_BOT_LOG_FORMAT": "json",
            "SHARE_SECRET": "s" * 32,
        }
    )
    assert settings.http_port == 8080
    assert settings.shard_count == 4 and settings.shard_ids == (0, 2)
    assert settings.work_queue == "redis" and settings.log_format == "json"
    assert "s" * 32 not in repr(settings) and "redis://" not in repr(settings)
    assert settings.instance_name  # defaults to host-pid, used as the session-claim owner


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"DISCORD_SHARD_IDS": "0,1"}, "needs shard_count"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,2"}, "below shard_count (2)"),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "zero"}, "shard numbers"),
        ({"WORK_QUEUE": "redis"}, "needs redis_url"),
        ({"WORK_QUEUE": "celery"}, "work_queue (from $WORK_QUEUE)"),
        ({"HTTP_PORT": "70000"}, "http_port (from $HTTP_PORT)"),
        ({"SHARE_SECRET": "short"}, "share_secret (from $SHARE_SECRET)"),
        ({"TTS_ENGINE": "siri"}, "tts_engine (from $TTS_ENGINE)"),
        ({"VOICE_END_SILENCE": "0"}, "voice_end_silence_s (from $VOICE_END_SILENCE)"),
        ({"PUBLIC_URL": "ftp://x"}, "public_url (from $PUBLIC_URL)"),
    ],
)
def test_operations_settings_refused_readably(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(environ=environ)
    assert fragment in str(info.value)
