"""Discord settings read from the environment, and pointing discord.py at another API base URL.

``DISCORD_TOKEN``, ``DISCORD_GUILD_IDS`` and ``DISCORD_API_BASE_URL`` are read here rather than in
``bot/settings.py`` for now; they belong in ``Settings`` once the adapter settles.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from discord.http import Route

DEFAULT_API_BASE = "https://discord.com/api/v10"
_VERSIONED = re.compile(r"/api/v\d+$")


class DiscordConfigError(ValueError):
    """The Discord configuration is unusable; ``str()`` is meant for the person starting the bot."""


def normalise_api_base(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` -> the REST base discord.py should prefix routes with.

    A bare origin gets ``/api/v10`` appended (what HTTP proxies for Discord such as
    twilight-http-proxy or nirn-proxy serve); a path ending in ``/api/vN`` is kept as given.
    """
    raw = url.strip().rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DiscordConfigError(
            f"DISCORD_API_BASE_URL={url!r} is not an http(s) URL "
            "(expected something like https://discord.com/api/v10 or http://proxy:8080)."
        )
    if parts.query or parts.fragment:
        raise DiscordConfigError(f"DISCORD_API_BASE_URL={url!r} must not have a query or fragment.")
    if not parts.path:
        return raw + "/api/v10"
    return raw


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()
    api_base_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DiscordConfig:
        env = os.environ if environ is None else environ
        problems: list[str] = []
        guild_ids: list[int] = []
        for part in re.split(r"[,\s]+", env.get("DISCORD_GUILD_IDS", "").strip()):
            if not part:
                continue
            if part.isdigit() and 15 <= len(part) <= 21:
                guild_ids.append(int(part))
            else:
                problems.append(
                    f"DISCORD_GUILD_IDS: {part!r} is not a server (guild) id; use the numeric ids "
                    "(Developer Mode → right-click the server → Copy Server ID), comma-separated."
                )
        base = env.get("DISCORD_API_BASE_URL", "").strip() or None
        if base is not None:
            try:
                base = normalise_api_base(base)
            except DiscordConfigError as exc:
                problems.append(str(exc))
        if problems:
            raise DiscordConfigError("\n".join(problems))
        return cls(
            token=env.get("DISCORD_TOKEN", "").strip(),
            guild_ids=tuple(dict.fromkeys(guild_ids)),
            api_base_url=base,
        )


def set_api_base(url: str | None) -> str:
    """Point every discord.py REST call at ``url`` (or back at Discord's); returns the old base.

    discord.py has no per-client base URL. ``Route.BASE`` is the class attribute its own
    ``_set_api_version`` writes; every route, including the interaction/webhook adapter, reads it
    when the ``Route`` is built, so setting it before login redirects all REST traffic. The
    gateway URL comes from ``GET /gateway/bot``, so a proxy answering that redirects the gateway
    too. It is process-wide: one bot per process (how we run it) is what this supports.
    """
    previous = Route.BASE
    Route.BASE = url or DEFAULT_API_BASE
    return previous
