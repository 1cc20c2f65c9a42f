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
