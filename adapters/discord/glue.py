"""Discord objects <-> core references, and where rendered messages go.

A session lives in a *room*: a private thread (``ConversationRef("discord", guild_id, thread_id)``)
or a DM channel (``ConversationRef("discord", "dm", channel_id)``). The room's id is always in
``thread_id``, so posting never needs anything but that id.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import discord

from adapters.discord.render import CHART_FILENAME, Outgoing
from bot.events import ConversationRef, UserRef
from bot.ports import ACTIVE_STATES, SessionRecord, Store

log = logging.getLogger(__name__)

PLATFORM = "discord"
DM_SCOPE = "dm"
NO_MENTIONS = discord.AllowedMentions.none()

K = TypeVar("K")
V = TypeVar("V")


def user_ref(user: discord.abc.User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.display_name)


def conversation_for(guild_id: int | None, room_id: int) -> ConversationRef:
    return ConversationRef(PLATFORM, str(guild_id) if guild_id else DM_SCOPE, str(room_id))


def parse_conversation_key(key: str) -> ConversationRef | None:
    """``discord:<guild id|dm>:<room id>`` -> the ``ConversationRef``; None for other platforms."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != PLATFORM or not parts[2].isdigit():
        return None
    return ConversationRef(PLATFORM, parts[1], parts[2])


def room_id(conversation: ConversationRef) -> int:
    return int(conversation.thread_id)


def guild_id_of(conversation: ConversationRef) -> int | None:
    scope = str(conversation.channel_id)
    return int(scope) if scope.isdigit() else None


def user_id_of(user_key: str) -> int | None:
    platform, _, user_id = user_key.partition(":")
    return int(user_id) if platform == PLATFORM and user_id.isdigit() else None


def room_mention(conversation: ConversationRef) -> str:
    return "our DMs" if guild_id_of(conversation) is None else f"<#{conversation.thread_id}>"


class BoundedDict(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its oldest entries beyond ``limit`` (in-memory caches stay bounded)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


# ---------------------------------------------------------------------- sessions across rooms
async def open_sessions(store: Store, limit: int = 500) -> list[SessionRecord]:
    """Open Discord sessions, most recent first (for re-attaching after a restart)."""
    return await store.open_sessions(PLATFORM, limit)


async def latest_active(store: Store, user_key: str) -> SessionRecord | None:
    """The user's most recent open Discord session, wherever it lives."""
    for record in await store.sessions_for_user(user_key, limit=20):
        if record.state in ACTIVE_STATES and record.conversation_key.startswith(f"{PLATFORM}:"):
            return record
    return None


# ---------------------------------------------------------------------- sinks
class Sink(Protocol):
    async def send(self, message: Outgoing, view: discord.ui.View | None) -> None: ...


def _file(message: Outgoing) -> discord.File | None:
    if message.chart is None:
        return None
    return discord.File(io.BytesIO(message.chart), filename=CHART_FILENAME)


class ChannelSink:
    """Plain messages in a channel, thread or DM."""

    def __init__(
        self,
        channel: discord.abc.Messageable,
        mentions: discord.AllowedMentions = NO_MENTIONS,
    ) -> None:
        self.channel = channel
        self.mentions = mentions
        self.sent: list[discord.Message] = []

    async def send(self, message: Outgoing, view: discord.ui.View | None) -> None:
        kwargs: dict[str, Any] = {"allowed_mentions": self.mentions}
        if message.content:
            kwargs["content"] = message.content
        if message.embeds:
            kwargs["embeds"] = message.embeds
        if view is not None:
            kwargs["view"] = view
        file = _file(message)
        if file is not None:
            kwargs["file"] = file
        self.sent.append(await self.channel.send(**kwargs))


class InteractionSink:
    """The interaction's own response: the deferred ("thinking…") message is edited into the first
    message, later ones are follow-ups. So progress is one message that changes, not many."""

    def __init__(self, interaction: discord.Interaction, *, ephemeral: bool) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.count = 0

    async def send(self, message: Outgoing, view: discord.ui.View | None) -> None:
        file = _file(message)
        if self.count == 0:
            kwargs: dict[str, Any] = {
                "content": message.content or None,
                "embeds": message.embeds,
                "view": view,
                "allowed_mentions": NO_MENTIONS,
            }
            if file is not None:
                kwargs["attachments"] = [file]
            await self.interaction.edit_original_response(**kwargs)
        else:
            extra: dict[str, Any] = {}
            if view is not None:
                extra["view"] = view
            if file is not None:
                extra["file"] = file
            await self.interaction.followup.send(
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds or discord.utils.MISSING,
                ephemeral=self.ephemeral,
                allowed_mentions=NO_MENTIONS,
                **extra,
            )
        self.count += 1


class InteractionFollowup:
    """Follow-up messages only (the interaction's response was already used)."""

    def __init__(self, interaction: discord.Interaction, *, ephemeral: bool = True) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral

    async def send(self, message: Outgoing, view: discord.ui.View | None) -> None:
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        await self.interaction.followup.send(
            content=message.content or discord.utils.MISSING,
            embeds=message.embeds or discord.utils.MISSING,
            ephemeral=self.ephemeral,
            allowed_mentions=NO_MENTIONS,
            **extra,
        )


async def deliver(
    sink: Sink,
    messages: Sequence[Outgoing],
    view_for: Callable[[tuple[str, ...]], discord.ui.View | None],
) -> None:
    """Send ``messages`` in order; ``view_for(actions)`` builds the buttons for a message."""
    for message in messages:
        if not (message.content or message.embeds):
            continue
        view = view_for(message.actions) if message.actions else None
        await sink.send(message, view)
