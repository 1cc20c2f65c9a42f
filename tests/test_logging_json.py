"""Structured logs: one JSON object per line with the agreed fields, ``extra`` fields and
exceptions included; secrets never reach either format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.observability import configure_logging
from bot.observability.logs import HANDLER_NAME, SecretScrubber
from bot.settings import Settings

API_KEY = "sk-live-0123456789abcdefABCDEF"
REDIS_PASSWORD = "s3cret-redis-pw"
SHARE_SECRET = "share-secret-0123456789"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if handler.get_name() == HANDLER_NAME:
            root.removeHandler(handler)
    root.setLevel(level)


def _settings(tmp_path: Path, fmt: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        log_format=fmt,
        log_level="INFO",
        instance_name="bot-7",
        llm_api_key=API_KEY,
        share_secret=SHARE_SECRET,
        work_queue="redis",
        redis_url=f"redis://worker:{REDIS_PASSWORD}@127.0.0.1:6379/0",
    )


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert lines, "something was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_json_lines_carry_the_fields_extras_and_exceptions(
    tmp_path: Path, restore_root: None
) -> None:
    stream = io.StringIO()
    configure_logging(_settings(tmp_path, "json"), stream=stream)
    log = logging.getLogger("bot.test")
    log.info("turn handled in %d ms", 42, extra={"session_id": "s0001", "command": "start"})
    try:
        raise ValueError("bad thing\nwith two lines")
    except ValueError:
        log.exception("handler failed")
    log.debug("below the level: not written")

    first, second = _records(stream)
    assert first["message"] == "turn handled in 42 ms"
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["instance"] == "bot-7"
    assert first["session_id"] == "s0001" and first["command"] == "start"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert "exception" not in first
    assert second["level"] == "ERROR"
    assert "ValueError: bad thing" in second["exception"]
    assert "Traceback" in second["exception"]


def test_secrets_never_reach_the_logs_in_either_format(
    tmp_path: Path, restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack_token = "xoxb-1111-2222-abcdefghijklmnop"
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_token)
    for fmt in ("json", "text"):
        stream = io.StringIO()
        configure_logging(_settings(tmp_path, fmt), stream=stream)
        log = logging.getLogger("bot.secrets")
        log.warning("calling with key %s", API_KEY)
        log.warning("connecting to redis://worker:%s@127.0.0.1:6379/0", REDIS_PASSWORD)
        log.warning("signing with %s", SHARE_SECRET, extra={"token": slack_token})
        log.warning("some other bearer: Authorization: Bearer abc.def-ghi_jkl")
        log.warning("a discord-shaped token %s", "M" + "a" * 25 + ".Gh7xYz." + "b" * 30)
        text = stream.getvalue()
        for secret in (API_KEY, REDIS_PASSWORD, SHARE_SECRET, slack_token, "abc.def-ghi_jkl"):
            assert secret not in text, (fmt, secret)
        assert "a" * 25 not in text
        # Five messages, each with one secret; JSON also carries the ``token`` extra field.
        assert text.count("[redacted]") == (6 if fmt == "json" else 5)
        assert "redis://worker:[redacted]@127.0.0.1" in text, "the user and host stay readable"


def test_reconfiguring_replaces_our_handler_only(tmp_path: Path, restore_root: None) -> None:
    root = logging.getLogger()
    others = [h for h in root.handlers if h.get_name() != HANDLER_NAME]
    configure_logging(_settings(tmp_path, "json"), stream=io.StringIO())
    stream = io.StringIO()
    configure_logging(_settings(tmp_path, "text"), stream=stream)
    ours = [h for h in root.handlers if h.get_name() == HANDLER_NAME]
    assert len(ours) == 1
    assert [h for h in root.handlers if h.get_name() != HANDLER_NAME] == others
    logging.getLogger("bot.x").warning("plain")
    assert " WARNING bot.x: plain" in stream.getvalue()


def test_scrubber_ignores_values_too_short_to_be_secrets() -> None:
    scrub = SecretScrubber(["abc", "", "long-enough-secret"])
    assert scrub("abc and long-enough-secret") == "abc and [redacted]"
