"""The discord.py client: intents, the interview cog, command sync, and running it for real."""

from __future__ import annotations

import asyncio
import logging
import sys

import discord
from discord.ext import commands

from adapters.discord.config import DiscordConfig, set_api_base
from adapters.discord.views import ActionButton, ActionHandler, GroupButton, GroupHandler
from adapters.web.server import chat_http_server
from bot.engine import InterviewEngine
from bot.retention import retention_loop
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "cogs.interview"
# Loaded after the interview cog: group practice (queue, reminders) and server settings.
EXTRA_EXTENSIONS = ("cogs.admin", "cogs.practice")


def intents(*, message_content: bool = True) -> discord.Intents:
    """Guild and DM messages (defaults) plus message content, which answers in threads need."""
    value = discord.Intents.default()
    value.message_content = message_content
    value.presences = False
    value.members = False
    return value


class InterviewBot(commands.Bot):
    """A ``commands.Bot`` carrying the engine; the interview cog does the work."""

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
        super().__init__(
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

    async def setup_hook(self) -> None:
        if self.settings and self.settings.retention_days and self._retention is None:
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
