"""The discord.py client: intents, the interview cog, command sync, sharding, running it for real.

Sharding (issue 12): the bot is an ``AutoShardedBot``. With no ``shard_count`` in the settings it
runs every shard Discord recommends in this one process (one shard for a small bot, as before).
With ``DISCORD_SHARD_COUNT=N`` and ``DISCORD_SHARD_IDS=…`` each of several processes opens only its
own shards; they share the PostgreSQL store, and the engine's session claims keep each interview
with one process (a guild's events always arrive on the same shard, so in practice its process).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import discord
import yarl
from discord.ext import commands

from adapters.discord.config import DiscordConfig, set_api_base
from adapters.discord.views import ActionButton, ActionHandler, GroupButton, GroupHandler
from adapters.web.server import chat_http_server
from bot.engine import InterviewEngine
from bot.retention import retention_loop
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "cogs.interview"
# Loaded after the interview cog: group practice (queue, reminders), server settings, and
# voice (``/interview voice``, which hooks into the interview cog).
EXTRA_EXTENSIONS = ("cogs.admin", "cogs.practice", "cogs.voice")


def intents(*, message_content: bool = True) -> discord.Intents:
    """Guild and DM messages (defaults) plus message content, which answers in threads need."""
    value = discord.Intents.default()
    value.message_content = message_content
    value.presences = False
    value.members = False
    return value


class InterviewBot(commands.AutoShardedBot):
    """An ``AutoShardedBot`` carrying the engine; the interview cog does the work."""

    # Discord allows one IDENTIFY per 5 s per ``max_concurrency`` bucket; discord.py waits this
    # long between the shards one process starts (tests on a loopback gateway set 0).
    identify_interval_s: float = 5.0

    def __init__(
        self,
        engine: InterviewEngine,
        config: DiscordConfig,
        *,
        message_content: bool = True,
        default_length: str = "standard",
        reattach_on_ready: bool = True,
        settings: Settings | None = None,
    ) -> None:
        # No shard settings: discord.py asks Discord how many shards and runs them all here.
        sharding: dict[str, Any] = {}
        if settings is not None and settings.shard_count is not None:
            sharding["shard_count"] = settings.shard_count
            if settings.shard_ids:
                sharding["shard_ids"] = list(settings.shard_ids)
        super().__init__(
            **sharding,
            command_prefix=commands.when_mentioned,
            intents=intents(message_content=message_content),
            help_command=None,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=True, replied_user=False
            ),
        )
        self.engine = engine
        self.config = config
        self.default_length = default_length
        self.reattach_on_ready = reattach_on_ready
        self.interview_actions: ActionHandler | None = None  # set by the interview cog
        self.group_actions: dict[str, GroupHandler] = {}  # group-practice buttons, by kind
        self._previous_api_base: str | None = None
        # Retention and the /interview privacy text. None (tests, embedding): privacy shows the
        # defaults and nothing is purged, since a caller that passed no settings chose no policy.
        self.settings = settings
        self._retention: asyncio.Task[None] | None = None

    async def login(self, token: str) -> None:
        if self.config.api_base_url:
            previous = set_api_base(self.config.api_base_url)
            if self._previous_api_base is None:
                self._previous_api_base = previous
            log.info("Discord REST API base: %s", self.config.api_base_url)
        await super().login(token)

    async def launch_shards(self) -> None:
        """discord.py's, except that the gateway URL always comes from ``GET /gateway/bot``.

        discord.py asks for it only when it also picks the shard count; with a configured count
        it dials Discord's default gateway, which would bypass a ``DISCORD_API_BASE_URL`` proxy
        (and our loopback fake). One REST call at start buys the same URL in both cases, plus
        Discord's recommended count, which we log when the configured one is lower.
        """
        if self.is_closed():
            return
        recommended, url, _limits = await self.http.get_bot_gateway()
        configured: int | None = self.shard_count
        if configured is None:
            self.shard_count = recommended
        elif configured < recommended:
            log.warning(
                "DISCORD_SHARD_COUNT=%d is below the %d shards Discord recommends",
                self.shard_count,
                recommended,
            )
        self._connection.shard_count = self.shard_count
        shard_ids = self.shard_ids or list(range(self.shard_count))
        self._connection.shard_ids = shard_ids
        log.info("opening shard(s) %s of %d", shard_ids, self.shard_count)
        gateway = yarl.URL(url)
        for shard_id in shard_ids:
            await self.launch_shard(gateway, shard_id, initial=shard_id == shard_ids[0])

    def serves(self, guild_id: int | None) -> bool:
        """Whether this process's shards receive a guild's events (DMs arrive on shard 0).

        Used when re-attaching after a restart, so each process speaks only for the interviews
        whose events will reach it (and claims only those)."""
        count = self.shard_count or 1
        shard = 0 if guild_id is None else (guild_id >> 22) % count
        return self.shard_ids is None or shard in self.shard_ids

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial and self.identify_interval_s:
            await asyncio.sleep(self.identify_interval_s)

    async def setup_hook(self) -> None:
        # Even with retention_days 0: servers' own periods and dead share links still expire.
        if self.settings and self._retention is None:
            self._retention = asyncio.create_task(
                retention_loop(self.engine.store, self.settings.retention_days)
            )
        self.add_dynamic_items(ActionButton, GroupButton)
        await self.load_extension(EXTENSION)
        for extension in EXTRA_EXTENSIONS:
            await self.load_extension(extension)
        if self.config.guild_ids:
            # Guild commands appear at once; global ones can take a while to propagate.
            for guild_id in self.config.guild_ids:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d command(s) to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))

    async def close(self) -> None:
        if self._retention is not None:
            self._retention.cancel()
            self._retention = None
        try:
            await super().close()
        finally:
            if self._previous_api_base is not None:
                set_api_base(self._previous_api_base)
                self._previous_api_base = None


def _say(text: str) -> None:
    print(text, file=sys.stderr)


async def run_bot(
    engine: InterviewEngine,
    config: DiscordConfig,
    default_length: str,
    settings: Settings | None = None,
) -> int:
    """Run until stopped, with /healthz, /metrics and share pages on ``HTTP_PORT`` when set."""
    async with chat_http_server(settings, engine.store):  # issue 12
        return await _run_gateway(engine, config, default_length, settings)


async def _run_gateway(
    engine: InterviewEngine,
    config: DiscordConfig,
    default_length: str,
    settings: Settings | None = None,
) -> int:
    """Run until stopped. Without the message-content intent enabled for the application, start
    again without it: answers then go through ``/interview answer`` (the bot says so in threads)."""
    message_content = True
    while True:
        bot = InterviewBot(
            engine,
            config,
            message_content=message_content,
            default_length=default_length,
            settings=settings,
        )
        try:
            async with bot:
                await bot.start(config.token)
            return 0
        except discord.LoginFailure:
            _say(
                "! Discord rejected DISCORD_TOKEN (401). Copy the bot token again from the "
                "Developer Portal → your application → Bot → Reset Token."
            )
            return 2
        except discord.PrivilegedIntentsRequired:
            if not message_content:
                raise
            _say(
                "! The Message Content intent is not enabled for this application, so I can't "
                "read answers typed in threads. Enable it in the Developer Portal → Bot → "
                "Privileged Gateway Intents. Continuing without it: candidates answer with "
                "/interview answer."
            )
            message_content = False
