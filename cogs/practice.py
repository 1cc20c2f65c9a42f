"""``/practice``: find a practice partner, schedule reminders, see the weekly streaks.

The rules live in ``bot.community`` (queue matching, reminders, leaderboard); this cog turns
them into Discord: a private thread (and, when both opted in and the server allows voice, a
voice channel only the pair can see) for a match, reminders in DMs, ``.ics`` attachments. Two
background loops run while the cog is loaded: reminder delivery and queue expiry, each waking
every ``LOOP_INTERVAL_S`` and cancelled when the bot closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.client import InterviewBot
from adapters.discord.glue import (
    conversation_for,
    guild_id_of,
    parse_conversation_key,
    room_id,
    user_id_of,
    user_ref,
)
from adapters.discord.render import clip_label, split_text
from bot.community import leaderboard, prefs, queue, schedule
from bot.community.errors import CommunityError
from bot.community.scope import ScopeSettings, load_scope_settings, scope_key
from bot.ports import QueueEntry, Reminder
from bot.settings import Settings

log = logging.getLogger(__name__)

LOOP_INTERVAL_S = 30.0
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
VIEW_AND_CONNECT = (1 << 10) | (1 << 20)  # VIEW_CHANNEL | CONNECT
ROLE_CHOICES = [
    app_commands.Choice(name=queue.role_label(role), value=role) for role in queue.ROLE_TYPES
]


class PracticeCog(commands.Cog, name="Practice"):
    practice = app_commands.Group(
        name="practice",
        description="Practise with someone, schedule practice, see the weekly streaks",
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )

    def __init__(self, bot: InterviewBot, *, interval_s: float = LOOP_INTERVAL_S) -> None:
        self.bot = bot
        self.interval_s = interval_s
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def store(self) -> Any:
        return self.bot.engine.store

    @property
    def host(self) -> Settings:
        return self.bot.settings or Settings()

    async def cog_load(self) -> None:
        self.bot.group_actions["requeue"] = self._requeue
        self._tasks = [
            asyncio.create_task(
                schedule.reminder_loop(self.store, self.send_reminder, interval_s=self.interval_s),
                name="interview-bot reminders",
            ),
            asyncio.create_task(self._expiry_loop(), name="interview-bot queue expiry"),
        ]

    async def cog_unload(self) -> None:
        self.bot.group_actions.pop("requeue", None)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _server(self, guild_id: int | None) -> ScopeSettings:
        if guild_id is None:
            return ScopeSettings()
        return await load_scope_settings(self.store, scope_key("discord", str(guild_id)))

    @staticmethod
    async def _reply(interaction: discord.Interaction, text: str, **extra: Any) -> None:
        for part in split_text(text, 2000) or [""]:
            send: Callable[..., Awaitable[Any]] = (
                interaction.followup.send
                if interaction.response.is_done()
                else interaction.response.send_message
            )
            await send(
                part, ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **extra
            )
            extra = {}

    # ------------------------------------------------------------------ queue
    @practice.command(name="queue", description="Find a practice partner for the same kind of role")
    @app_commands.describe(
        role="The kind of role you practise for (default: your latest interview's)",
        voice="Also open a voice channel if your partner opts in too",
    )
    @app_commands.choices(role=ROLE_CHOICES)
    async def queue_join(
        self,
        interaction: discord.Interaction,
        role: app_commands.Choice[str] | None = None,
        voice: bool = False,
    ) -> None:
        await self._join(interaction, role.value if role else None, voice)

    async def _join(self, interaction: discord.Interaction, role: str | None, voice: bool) -> None:
        if interaction.guild_id is None or interaction.channel_id is None:
            await self._reply(interaction, "The practice queue works in a server channel.")
            return
        user = user_ref(interaction.user)
        server = await self._server(interaction.guild_id)
        channel = interaction.channel
        if not server.channel_allowed(interaction.channel_id, getattr(channel, "parent_id", None)):
            await self._reply(interaction, "The bot isn't enabled in this channel on this server.")
            return
        try:
            voice = queue.check_voice(voice, server.voice_allowed)
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        if role is None:
            recent = await self.store.sessions_for_user(user.key, limit=1)
            if not recent:
                await self._reply(
                    interaction,
                    "Which kind of role? Pick one in the `role` option (or do an interview first "
                    "and I'll use its job).",
                )
                return
            role = queue.role_type_for(recent[0].profile)
        await interaction.response.defer(ephemeral=True, thinking=True)
        here = conversation_for(interaction.guild_id, interaction.channel_id)
        try:
            result = await queue.join(
                self.store,
                scope=scope_key("discord", str(interaction.guild_id)),
                user_key=user.key,
                role_type=role,
                conversation_key=here.key,
                now=time.time(),
                voice=voice,
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        if result.partner is None:
            await self._reply(interaction, queue.waiting_text(result))
            return
        await self._open_pair(interaction, result.entry, result.partner, server)

    async def _open_pair(
        self,
        interaction: discord.Interaction,
        entry: QueueEntry,
        partner: QueueEntry,
        server: ScopeSettings,
    ) -> None:
        """A private thread for both (and a voice channel when both opted in), then tell them."""
        me = interaction.user.id
        other = user_id_of(partner.user_key)
        assert other is not None and interaction.guild_id is not None
        channel = interaction.channel
        if isinstance(channel, discord.Thread) and channel.parent is not None:
            channel = channel.parent
        if not isinstance(channel, discord.TextChannel):
            await self._requeue_partner(partner)
            await self._reply(interaction, "I can only open practice threads in a text channel.")
            return
        try:
            thread = await channel.create_thread(
                name=clip_label(f"Practice · {queue.role_label(entry.role_type)}", 100),
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                reason="interview-bot practice pair",
            )
            for member in (me, other):
                await thread.add_user(discord.Object(id=member))
        except discord.HTTPException as exc:
            log.warning("could not open a practice thread in %s: %s", channel.id, exc)
            await self._requeue_partner(partner)
            await self._reply(
                interaction,
                "I found you a partner but couldn't open a private thread here (I need Create "
                "Private Threads). I told them too; ask an admin, then both queue again.",
            )
            return
        voice_note = ""
        both_voice = entry.voice and partner.voice and server.voice_allowed
        if both_voice:
            voice_note = await self._voice_channel(interaction.guild_id, entry.role_type, me, other)
        text = f"<@{me}> <@{other}> " + queue.matched_text(entry.role_type, bool(voice_note))
        if voice_note:
            text += f"\nVoice: {voice_note}"
        await thread.send(
            text,
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(id=me), discord.Object(id=other)]
            ),
        )
        await self._reply(interaction, f"Matched with <@{other}>: see <#{thread.id}>.")

    async def _voice_channel(self, guild_id: int, role_type: str, *members: int) -> str:
        """A voice channel only the pair (and the bot) can see; "" when it could not be made."""
        overwrites = [
            {"id": str(guild_id), "type": 0, "allow": "0", "deny": str(VIEW_AND_CONNECT)},
            *(
                {"id": str(m), "type": 1, "allow": str(VIEW_AND_CONNECT), "deny": "0"}
                for m in (*members, self.bot.user.id if self.bot.user else 0)
                if m
            ),
        ]
        try:
            created = await self.bot.http.create_channel(
                guild_id,
                discord.ChannelType.voice.value,
                name=clip_label(f"Practice · {queue.role_label(role_type)}", 100),
                permission_overwrites=overwrites,
                reason="interview-bot practice pair (both opted into voice)",
            )
        except discord.HTTPException as exc:
            log.info("could not create a practice voice channel in %s: %s", guild_id, exc)
            return ""
        return f"<#{created['id']}> (only you two can see it)"

    async def _requeue_partner(self, partner: QueueEntry) -> None:
        """The match took the partner out of the queue but no room could be opened: tell them
        (re-joining for them here could silently match them with a third member nobody then
        tells)."""
        await self._tell_queued(
            partner,
            "I found you a practice partner but couldn't open a private thread for you both "
            "(ask an admin to let me create private threads here). You're out of the queue; "
            "join again when that's fixed.",
        )

    @practice.command(name="leave", description="Leave the practice queue")
    async def leave(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            await self._reply(interaction, "The practice queue works in a server channel.")
            return
        left = await queue.leave(
            self.store,
            scope=scope_key("discord", str(interaction.guild_id)),
            user_key=user_ref(interaction.user).key,
        )
        await self._reply(
            interaction, "You left the practice queue." if left else "You weren't in the queue."
        )

    async def _requeue(self, interaction: discord.Interaction, role: str, who: str) -> None:
        """The "Queue again" button under expiry messages posted in a channel before they went
        to DMs (buttons outlive the code that posted them): only for the member it was for."""
        owner, _, voice = who.partition("v")
        if str(interaction.user.id) != owner:
            await self._reply(interaction, "This button is for the member who was in the queue.")
            return
        await self._join(interaction, role, voice == "1")

    async def expire_queue_once(self, now: float | None = None) -> int:
        """Tell everyone whose wait ran out (politely, with a way back in); returns how many."""
        told = 0
        for entry in await queue.expire(self.store, time.time() if now is None else now):
            told += await self._tell_queued(entry, queue.expired_text(entry))
        return told

    async def _tell_queued(self, entry: QueueEntry, text: str) -> int:
        """Tell a member about their queue entry in a DM: joining the queue was private, so who
        queued and for which kind of role stays private too. Only when no DM can be sent, a
        neutral mention where they queued (no role, no details) says to look at the queue."""
        member = user_id_of(entry.user_key)
        conversation = parse_conversation_key(entry.conversation_key)
        if member is None or conversation is None:
            return 0
        where = f"<#{room_id(conversation)}>"
        try:
            dm = await self.bot.create_dm(discord.Object(id=member))
            await dm.send(f"{text}\n(The queue is in {where}: `/practice queue` there.)")
            return 1
        except discord.HTTPException as exc:
            log.info("no DM with %s (%s); a neutral note where they queued", member, exc)
        room = self.bot.get_partial_messageable(
            room_id(conversation), guild_id=guild_id_of(conversation)
        )
        try:
            await room.send(
                f"<@{member}>, your place in the practice queue has ended (I couldn't DM you the "
                "details). `/practice queue` to join again.",
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(id=member)]),
            )
            return 1
        except discord.HTTPException as exc:
            log.info("could not tell %s about their queue entry: %s", member, exc)
            return 0

    async def _expiry_loop(self) -> None:
        while True:
            try:
                await self.expire_queue_once()
            except Exception:
                log.exception("queue expiry round failed; retrying in %.0f s", self.interval_s)
            await asyncio.sleep(self.interval_s)

    # ------------------------------------------------------------------ reminders
    async def send_reminder(self, reminder: Reminder) -> None:
        """Deliver one reminder where it was set up for (the member's DM, normally)."""
        conversation = parse_conversation_key(reminder.conversation_key)
        member = user_id_of(reminder.user_key)
        if conversation is None or member is None:
            log.warning("reminder %s has no Discord destination", reminder.id)
            return
        mention = discord.AllowedMentions(users=[discord.Object(id=member)])
        full = (
            f"<@{member}> ⏰ {reminder.text} Start with `/interview start`, or "
            "`/practice queue` to find a partner."
        )
        guild = guild_id_of(conversation)
        if guild is not None:
            # Set up where no DM could be opened: try a DM again now; failing that, the server
            # channel gets a bare nudge, never the member's private note.
            try:
                dm = await self.bot.create_dm(discord.Object(id=member))
                await dm.send(full, allowed_mentions=mention)
                return
            except discord.HTTPException as exc:
                log.info("still no DM with %s (%s); a bare reminder in the channel", member, exc)
            full = f"<@{member}>, you asked me to remind you to practise now."
        room = self.bot.get_partial_messageable(room_id(conversation), guild_id=guild)
        await room.send(full, allowed_mentions=mention)

    async def deliver_reminders_once(self, now: float | None = None) -> int:
        return await schedule.deliver_due_reminders(
            self.store, self.send_reminder, time.time() if now is None else now
        )

    @practice.command(name="schedule", description="Remind me to practise at a time (+ .ics)")
    @app_commands.describe(
        when="e.g. 2026-12-01 18:00, tomorrow 18:00, friday 7pm, in 2h",
        zone="Your time zone, e.g. Europe/Berlin (remembered for next time)",
        note="What you want to practise (shown in the reminder)",
    )
    async def schedule_reminder(
        self,
        interaction: discord.Interaction,
        when: app_commands.Range[str, 1, 60],
        zone: app_commands.Range[str, 1, 60] | None = None,
        note: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        user = user_ref(interaction.user)
        now = time.time()
        try:
            if zone:
                zone_name = await prefs.set_time_zone(self.store, user.key, zone, now=now)
            else:
                zone_name = await prefs.time_zone(self.store, user.key)
            schedule.parse_when(when, zone_name, now)  # refuse bad input before anything else
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        destination = await self._dm_room(interaction)
        try:
            scheduled = await schedule.create_reminder(
                self.store,
                user_key=user.key,
                conversation_key=destination,
                when_text=when,
                zone_name=zone_name,
                now=now,
                note=note or "",
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        ics = schedule.reminder_ics(scheduled.reminder, zone_name)
        await self._reply(
            interaction,
            scheduled.confirmation(),
            file=discord.File(io.BytesIO(ics), filename="interview-practice.ics"),
        )

    async def _dm_room(self, interaction: discord.Interaction) -> str:
        """Reminders go to the member's DM (DMs stay private); here if no DM can be opened."""
        try:
            dm = await interaction.user.create_dm()
            return conversation_for(None, dm.id).key
        except discord.HTTPException as exc:
            log.info("no DM with %s (%s); the reminder goes to this channel", interaction.user, exc)
            assert interaction.channel_id is not None
            return conversation_for(interaction.guild_id, interaction.channel_id).key

    @practice.command(name="reminders", description="Your scheduled practice reminders")
    async def reminders(self, interaction: discord.Interaction) -> None:
        user = user_ref(interaction.user)
        pending = await self.store.reminders_for_user(user.key)
        zone_name = await prefs.time_zone(self.store, user.key)
        text = schedule.reminder_list(pending, zone_name)
        if pending:
            text += "\nCancel one with `/practice cancel id:…`."
        await self._reply(interaction, text)

    @practice.command(name="cancel", description="Cancel one of your reminders")
    @app_commands.describe(id="The reminder's id from /practice reminders")
    async def cancel(
        self, interaction: discord.Interaction, id: app_commands.Range[str, 1, 64]
    ) -> None:
        cancelled = await self.store.cancel_reminder(id.strip(), user_ref(interaction.user).key)
        await self._reply(
            interaction,
            "Reminder cancelled." if cancelled else f"You have no waiting reminder `{id}`.",
        )

    # ------------------------------------------------------------------ leaderboard
    @practice.command(name="leaderboard", description="This week's practice streaks on this server")
    async def board(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            await self._reply(interaction, "The leaderboard is per server: use it in a server.")
            return
        server = await self._server(interaction.guild_id)
        text = await leaderboard.leaderboard_text(
            self.store, server, f"discord:{interaction.guild_id}:", time.time(), mention="<@{}>"
        )
        if not server.leaderboard:
            await self._reply(interaction, text)
            return
        await interaction.response.send_message(  # public, but nobody is pinged
            text, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: commands.Bot) -> None:
    if not isinstance(bot, InterviewBot):
        raise TypeError("the practice cog runs on adapters.discord.client.InterviewBot")
    await bot.add_cog(PracticeCog(bot))
