"""``/interview-admin``: a server's interview settings (channels, default length, voice,
retention, leaderboard), for people who may manage the server.

A separate top-level command rather than ``/interview admin`` because Discord hides commands by
permission (``default_member_permissions``) only at the top level: as a subcommand every member
would see it. The permission is also checked here on every use, since server admins can override
who sees a command in their integration settings, and a client can send any interaction.
Settings are stored per guild (``bot.community.scope``); reading them needs no permission beyond
seeing the command, because members are told about them anyway when a channel is refused.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.client import InterviewBot
from bot.community.errors import CommunityError
from bot.community.scope import (
    RETENTION_UNAVAILABLE,
    apply_changes,
    describe,
    load_scope_settings,
    retention_enforceable,
    save_scope_settings,
    scope_key,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

REFUSAL = "Only people who can manage this server can change the interview settings."


def may_manage(interaction: discord.Interaction) -> bool:
    """Server-side check: the member's resolved permissions in this channel, as Discord sent them
    with the interaction (not the command's visibility, which admins can reconfigure)."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


class AdminCog(commands.Cog, name="Admin"):
    admin = app_commands.Group(
        name="interview-admin",
        description="This server's interview settings (needs Manage Server)",
        default_permissions=discord.Permissions(manage_guild=True),
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=False, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )

    def __init__(self, bot: InterviewBot) -> None:
        self.bot = bot

    @property
    def host(self) -> Settings:
        return self.bot.settings or Settings()

    def _scope(self, interaction: discord.Interaction) -> str:
        assert interaction.guild_id is not None
        return scope_key("discord", str(interaction.guild_id))

    @admin.command(name="show", description="Show this server's interview settings")
    async def show(self, interaction: discord.Interaction) -> None:
        if not may_manage(interaction):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        settings = await load_scope_settings(self.bot.engine.store, self._scope(interaction))
        await interaction.response.send_message(
            describe(settings, self.host),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @admin.command(name="set", description="Change this server's interview settings")
    @app_commands.describe(
        channels="Channels where interviews may start (mention them), or `all`",
        length="Default interview length (default = the bot's)",
        voice="Allow voice interviews and voice channels for practice pairs",
        retention="Days to keep transcripts (at most the host's), or `default`",
        leaderboard="Weekly practice leaderboard (sessions completed, not scores)",
    )
    async def change(
        self,
        interaction: discord.Interaction,
        channels: app_commands.Range[str, 1, 1000] | None = None,
        length: Literal["short", "standard", "long", "default"] | None = None,
        voice: bool | None = None,
        retention: app_commands.Range[str, 1, 10] | None = None,
        leaderboard: bool | None = None,
    ) -> None:
        if not may_manage(interaction):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        store = self.bot.engine.store
        if retention is not None and not retention_enforceable(store):
            await interaction.response.send_message(RETENTION_UNAVAILABLE, ephemeral=True)
            return
        scope = self._scope(interaction)
        current = await load_scope_settings(store, scope)
        changes: dict[str, object] = {
            "channels": channels,
            "length": length,
            "voice": voice,
            "retention": retention,
            "leaderboard": leaderboard,
        }
        if all(value is None for value in changes.values()):
            await interaction.response.send_message(
                "Nothing to change: pick at least one option.\n\n" + describe(current, self.host),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        try:
            updated = apply_changes(
                current, changes, self.host, retention_supported=retention_enforceable(store)
            )
        except CommunityError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await save_scope_settings(store, scope, updated, now=time.time())
        log.info("settings of %s changed by %s", scope, interaction.user.id)
        await interaction.response.send_message(
            "Saved.\n\n" + describe(updated, self.host),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: commands.Bot) -> None:
    if not isinstance(bot, InterviewBot):
        raise TypeError("the admin cog runs on adapters.discord.client.InterviewBot")
    await bot.add_cog(AdminCog(bot))
