"""Logging set up once for every entry point: text for people, JSON lines for log collectors.

Why a formatter of our own rather than a JSON logging package: the record is small (time, level,
logger, message, instance, the ``extra=`` fields and the exception), and the one thing that must
never go wrong, that secrets stay out of logs, is easier to guarantee in twenty lines we own.
Both formats pass through :class:`SecretScrubber`, which removes the configured secrets by value
(tokens, API keys, passwords in URLs) and anything shaped like a known token kind, so a library
that logs a request URL or a config repr cannot leak one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.settings import Settings

REDACTED = "[redacted]"
HANDLER_NAME = "interview-bot"
# Environment variables that hold secrets outside Settings (adapters read them directly).
SECRET_ENV_VARS = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "LLM_API_KEY",
    "OPENAI_API_KEY",
    "SHARE_SECRET",
)
_TOKEN_SHAPES = re.compile(
    r"xox[abprs]-[A-Za-z0-9-]{8,}"  # Slack bot/user tokens
    r"|xapp-[A-Za-z0-9-]{8,}"  # Slack app-level tokens
    r"|sk-[A-Za-z0-9_-]{16,}"  # OpenAI-style API keys
    r"|[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}"  # Discord bot tokens
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
)
# ``scheme://user:password@host`` -> keep the user, drop the password.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?=@)", re.I)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


class SecretScrubber:
    """Replaces known secret values and token-shaped strings with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret containing another is removed whole; short values (a
        # password "x") would redact ordinary words, so only values of 6+ characters count.
        self.values = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
        return _TOKEN_SHAPES.sub(REDACTED, text)


def settings_secrets(settings: Settings | None, environ: dict[str, str] | None = None) -> list[str]:
    """Every secret value this process knows about: Settings' secret fields, the passwords in
    its URLs, and the adapters' token variables."""
    env = os.environ if environ is None else environ
    found = [env.get(name, "") for name in SECRET_ENV_VARS]
    if settings is not None:
        found += [settings.llm_api_key or "", settings.share_secret or ""]
        for url in (settings.database_url, settings.redis_url, settings.llm_base_url):
            if url:
                try:
                    found.append(urlsplit(url).password or "")
                except ValueError:
                    continue
    return [s for s in found if s]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, instance, the
    record's ``extra`` fields, and ``exception`` (the formatted traceback) when there is one."""

    def __init__(self, instance: str = "", scrub: SecretScrubber | None = None) -> None:
        super().__init__()
        self.instance = instance
        self.scrub = scrub or SecretScrubber()

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "instance": self.instance,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data and not key.startswith("_"):
                data[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            data["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return self.scrub(json.dumps(data, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """The classic one-line format, scrubbed like the JSON one."""

    def __init__(self, scrub: SecretScrubber | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.scrub = scrub or SecretScrubber()

    def format(self, record: logging.LogRecord) -> str:
        return self.scrub(super().format(record))


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Install our handler on the root logger (replacing the one from an earlier call, leaving
    others such as pytest's alone), in ``settings.log_format`` at ``settings.log_level``."""
    scrub = SecretScrubber(settings_secrets(settings))
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(settings.instance_name, scrub))
    else:
        handler.setFormatter(TextFormatter(scrub))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler
