"""Discord plumbing for group practice: which session a command in a room is about, letting
guests into private threads, and the messages observers score from.

The rules (who may invite, score, see notes) live in ``bot.community``; this module only finds
Discord objects and builds messages.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord.glue import guild_id_of, room_id
from adapters.discord.render import GOLD, GREY, Outgoing, build_embeds
from bot.community.scoring import Comparison, comparison_markdown, scale_text
from bot.events import ConversationRef
from bot.ports import ACTIVE_STATES, SessionRecord, Store

log = logging.getLogger(__name__)

ROOM_SCAN = 20  # sessions read per user when looking for the one in this room


async def room_sessions(
    store: Store, user_key: str, conversation: ConversationRef
) -> list[SessionRecord]:
    """Sessions in this room that ``user_key`` is in (as candidate or guest), open ones first,
    then the most recent."""
    found: dict[str, SessionRecord] = {}
    for record in await store.sessions_for_user(user_key, limit=ROOM_SCAN):
        if record.conversation_key == conversation.key:
            found[record.id] = record
    for session_id in await store.sessions_participating(user_key, limit=ROOM_SCAN):
        if session_id in found:
            continue
        guest_of = await store.load_session(session_id)
        if guest_of is not None and guest_of.conversation_key == conversation.key:
            found[guest_of.id] = guest_of
    records = sorted(found.values(), key=lambda r: r.updated_at, reverse=True)
    return sorted(records, key=lambda r: r.state not in ACTIVE_STATES)


async def _thread(bot: discord.Client, conversation: ConversationRef) -> discord.Thread | None:
    if guild_id_of(conversation) is None:
        return None
    channel = bot.get_channel(room_id(conversation))
    if channel is None:
        try:
            channel = await bot.fetch_channel(room_id(conversation))
        except discord.HTTPException as exc:
            log.info("could not fetch room %s: %s", conversation.key, exc)
            return None
    return channel if isinstance(channel, discord.Thread) else None


async def add_to_thread(bot: discord.Client, conversation: ConversationRef, user_id: int) -> bool:
    """Add a guest to the session's private thread (so they can see it); False if that failed."""
    thread = await _thread(bot, conversation)
    if thread is None:
        return False
    try:
        await thread.add_user(discord.Object(id=user_id))
        return True
    except discord.HTTPException as exc:
        log.warning("could not add %s to %s: %s", user_id, conversation.key, exc)
        return False


async def remove_from_thread(
    bot: discord.Client, conversation: ConversationRef, user_id: int
) -> None:
    """Take a removed guest out of the private thread, so they stop seeing new messages."""
    thread = await _thread(bot, conversation)
    if thread is None:
        return
    try:
        await thread.remove_user(discord.Object(id=user_id))
    except discord.HTTPException as exc:
        log.warning("could not remove %s from %s: %s", user_id, conversation.key, exc)


def score_prompt(record: SessionRecord, question_index: int) -> Outgoing:
    """The message observers score one answer from: the question and the rubric's anchors."""
    question = record.plan.questions[question_index]
    embeds = build_embeds(
        f"Score answer {question_index + 1} of {len(record.plan.questions)}",
        f"*{question.text}*\n\n{scale_text(question)}",
        colour=GOLD,
        footer="Observers and the interviewer: pick 1-5 on the bot's rubric. Only people "
        "the candidate invited can score; your score is private until the recap.",
    )
    return Outgoing(embeds=embeds)


def comparison_message(comparison: Comparison) -> Outgoing | None:
    text = comparison_markdown(comparison)
    if not text:
        return None
    title, _, body = text.partition("\n")
    return Outgoing(embeds=build_embeds(title.replace("**", ""), body, colour=GREY))
