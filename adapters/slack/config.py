"""Slack settings read from the environment and validated once, at start.

``SLACK_BOT_TOKEN``, ``SLACK_APP_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_API_URL`` and
``SLACK_PORT`` are read here rather than in ``bot/settings.py`` for now (the core must not know
about Slack yet); they belong in ``Settings`` once the adapter settles. Secrets are never put in
``repr`` or logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
EVENTS_PATH = "/slack/events"


class SlackConfigError(ValueError):
    """The Slack configuration is unusable; ``str()`` is meant for the person starting the bot."""


def normalise_api_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` -> the base ``AsyncWebClient`` joins method names to.

    slack_sdk builds ``base_url + "chat.postMessage"``, so the base must end with ``/``; a bare
    origin (a proxy or a local fake) gets Slack's own ``/api/`` prefix.
    """
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SlackConfigError(
            f"SLACK_API_URL={url!r} is not an http(s) URL (expected something like "
            "https://slack.com/api/ or http://127.0.0.1:8080/api/)."
        )
    if parts.query or parts.fragment:
        raise SlackConfigError(f"SLACK_API_URL={url!r} must not have a query or fragment.")
    path = parts.path or "/api/"
    if not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    bot_token: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    port: int = DEFAULT_PORT
    path: str = EVENTS_PATH

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is given (no public URL needed), else HTTP."""
        return bool(self.app_token)

    @property
    def api_host(self) -> str:
        return urlsplit(self.api_url).hostname or ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackConfig:
        """Read and check the variables; every problem is listed in one ``SlackConfigError``."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
        app_token = env.get("SLACK_APP_TOKEN", "").strip()
        secret = env.get("SLACK_SIGNING_SECRET", "").strip()
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append(
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token (starts with xoxb-), from "
                "your app's OAuth & Permissions page."
            )
        if app_token and not app_token.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN must be an app-level token with the connections:write scope "
                "(starts with xapp-), from Basic Information → App-Level Tokens."
            )
        api_url = DEFAULT_API_URL
        if env.get("SLACK_API_URL", "").strip():
            try:
                api_url = normalise_api_url(env["SLACK_API_URL"])
            except SlackConfigError as exc:
                problems.append(str(exc))
        port = DEFAULT_PORT
        raw_port = env.get("SLACK_PORT", "").strip()
        if raw_port:
            if raw_port.isdigit() and 0 < int(raw_port) < 65536:
                port = int(raw_port)
            else:
                problems.append(f"SLACK_PORT={raw_port!r} is not a TCP port (1-65535).")
        if problems:
            raise SlackConfigError("\n".join(problems))
        return cls(
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=secret,
            api_url=api_url,
            port=port,
        )

    def missing(self) -> list[str]:
        """What is still needed to start, as sentences for the person starting the bot."""
        needs: list[str] = []
        if not self.bot_token:
            needs.append(
                "SLACK_BOT_TOKEN is not set (Bot User OAuth Token, xoxb-…: install the app "
                "from slack/manifest.yml, then OAuth & Permissions)."
            )
        if not self.socket_mode and not self.signing_secret:
            needs.append(
                "Set SLACK_APP_TOKEN (xapp-…, Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode: "
                "Basic Information → App Credentials → Signing Secret)."
            )
        return needs
