"""``/interview``: slash commands, buttons and thread messages -> engine events -> Discord messages.

Translate and transport only: what to ask, how to grade and what to say come from the engine's
``Reply``s; this cog decides where they go (a private thread or the DM), how they look (embeds,
buttons) and who may act (the candidate only).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.client import InterviewBot
from adapters.discord.glue import (
    BoundedDict,
    ChannelSink,
    InteractionFollowup,
    InteractionSink,
    Sink,
    conversation_for,
    deliver,
    guild_id_of,
    latest_active,
    open_sessions,
    parse_conversation_key,
    room_id,
    room_mention,
    user_id_of,
    user_ref,
)
from adapters.discord.group import (
    add_to_thread,
    comparison_message,
    remove_from_thread,
    room_sessions,
    score_prompt,
)
from adapters.discord.render import (
    Outgoing,
    Section,
    build_embeds,
    clip_label,
    has_code,
    render_replies,
    split_text,
)
from adapters.discord.views import (
    AnswerModal,
    ButtonAction,
    ConfirmView,
    GroupButton,
    JobDescriptionModal,
    ScoreNoteModal,
    action_view,
    group_view,
    score_view,
)
from bot.access import AccessDenied, can_view
from bot.commands import event_for_text
from bot.community import participants, peer, prefs, scoring
from bot.community.errors import CommunityError
from bot.community.scope import ScopeSettings, load_scope_settings, scope_key
from bot.domain import Recap
from bot.engine import InterviewEngine
from bot.events import (
    Attachment,
    Command,
    ConversationRef,
    EventKind,
    IncomingEvent,
    Reply,
    ReplyKind,
    UserRef,
)
from bot.intake import IntakeError
from bot.ports import SessionRecord
from bot.privacy import forget_summary, privacy_statement
from bot.progress import resolve_focus
from bot.render import score_text
from bot.settings import Settings
from bot.share import create_share, revoke_shares

log = logging.getLogger(__name__)

JD_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx")
LENGTHS = ("short", "standard", "long")
DOWNLOAD_TIMEOUT_S = 20.0
REATTACH_MAX_AGE_S = 7 * 24 * 3600
REATTACH_LIMIT = 200
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: interviews get paused and resumed
VOICE_NOTE = (
    "For a spoken interview, press Begin, join a voice channel and run `/interview voice` in the "
    "thread (listening is experimental; typing always works)."
)
NO_VOICE_NOTE = "Voice interviews aren't allowed on this server; we'll do this one in text."
# A second start within this many seconds of a briefing being created is a double submit.
DOUBLE_SUBMIT_S = 10.0
GROUP_KINDS = ("score", "note", "notes", "compare", "swap")
SUMMARY_EXTRAS = ("coding", "length")
BUTTON_COMMANDS = {
    "hint": Command.HINT,
    "repeat": Command.REPEAT,
    "skip": Command.SKIP,
    "end": Command.END,
    "pause": Command.PAUSE,
    "resume": Command.RESUME,
}


@dataclass(frozen=True, slots=True)
class JobSource:
    """The job description as given, kept (in memory) so the summary's buttons can re-plan."""

    text: str = ""
    attachment: Attachment | None = None
    options: dict[str, str] = field(default_factory=dict)


def _reference() -> str:
    return uuid.uuid4().hex[:8]


def chart_png(recap: Recap) -> bytes | None:
    """The competency chart as PNG (``bot.evaluation.chart``), or None: no chart is never a
    failed recap (module missing, nothing to draw, or drawing failed)."""
    try:
        from bot.evaluation.chart import competency_chart
    except ImportError:
        return None
    try:
        return competency_chart(recap)
    except Exception:
        log.exception("chart rendering failed; sending the recap without it")
        return None


def _thread_like(channel: Any) -> bool | None:
    """True for threads, False for other guild channels, None when unknown (uncached)."""
    if isinstance(channel, discord.Thread):
        return True
    kind = getattr(channel, "type", None)
    if kind is None:
        return None
    return kind in (
        discord.ChannelType.private_thread,
        discord.ChannelType.public_thread,
        discord.ChannelType.news_thread,
    )


ReplyListener = Callable[[list[Reply], UserRef, ConversationRef], Awaitable[None]]


class InterviewCog(commands.Cog, name="Interview"):
    interview = app_commands.Group(
        name="interview",
        description="Mock interviews built from a job description",
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )

    def __init__(self, bot: InterviewBot) -> None:
        self.bot = bot
        self.engine: InterviewEngine = bot.engine
        self.default_length = bot.default_length
        self._rooms: BoundedDict[str, int] = BoundedDict(10_000)  # room key -> candidate id
        self._told: BoundedDict[tuple[str, int, str], float] = BoundedDict(10_000)
        self._reattached = False
        # One start at a time per user, so a double click cannot open two rooms and sessions.
        self._starting: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        # Called after replies are shown in a room (the voice cog speaks questions with it).
        self.reply_listeners: list[ReplyListener] = []

    async def cog_load(self) -> None:
        self.bot.interview_actions = self  # read by the buttons and modals
        self.bot.group_actions.update(
            score=self._group_score,
            note=self._group_note,
            notes=self._group_notes,
            compare=self._group_compare,
            swap=self._group_swap,
        )

    async def cog_unload(self) -> None:
        if self.bot.interview_actions is self:
            self.bot.interview_actions = None
        for kind in GROUP_KINDS:
            self.bot.group_actions.pop(kind, None)

    @property
    def host(self) -> Settings:
        return self.bot.settings or Settings()

    async def server_settings(self, guild_id: int | None) -> ScopeSettings:
        """This server's ``/interview-admin`` settings (the defaults in DMs)."""
        if guild_id is None:
            return ScopeSettings()
        return await load_scope_settings(self.engine.store, scope_key("discord", str(guild_id)))

    # ------------------------------------------------------------------ helpers
    @property
    def reads_messages(self) -> bool:
        return self.bot.intents.message_content

    def _footer(self, conversation: ConversationRef) -> str:
        if guild_id_of(conversation) is None:
            return "Type your answer here · buttons: hint, repeat, skip, end"
        if self.reads_messages:
            return "Reply in this thread with your answer · buttons: hint, repeat, skip, end"
        return "Answer with /interview answer · buttons: hint, repeat, skip, end"

    def _room(self, conversation: ConversationRef) -> discord.abc.Messageable:
        return self.bot.get_partial_messageable(
            room_id(conversation), guild_id=guild_id_of(conversation)
        )

    def _here(self, interaction: discord.Interaction) -> ConversationRef:
        assert interaction.channel_id is not None
        return conversation_for(interaction.guild_id, interaction.channel_id)

    async def _labels(
        self, user: UserRef, conversation: ConversationRef, actions: set[str]
    ) -> dict[str, str]:
        """Button labels that depend on the session: the coding toggle, the length, "Focus on …"."""
        labels: dict[str, str] = {}
        store = self.engine.store
        if actions & {"coding", "length"}:
            record = await store.active_session(user.key, conversation.key)
            if record is not None and record.state == "briefing":
                options = record.plan.options
                included = any(q.type.value == "coding" for q in record.plan.questions)
                labels["coding"] = "Skip coding" if included else "Include coding"
                labels["length"] = f"Change length ({options.length})"
        if "focus" in actions:
            labels["focus"] = ""
            for record in await store.sessions_for_user(user.key, limit=10):
                if record.conversation_key == conversation.key and record.recap is not None:
                    focus = record.recap.next_focus[:3]
                    if focus:
                        labels["focus"] = clip_label("Focus on " + ", ".join(focus), 80)
                    break
        return labels

    async def _send(
        self,
        sink: Sink,
        replies: list[Reply],
        user: UserRef,
        conversation: ConversationRef,
        *,
        content: str = "",
        code_notice: bool = False,
    ) -> None:
        chart = None
        recap = next((r.recap for r in replies if r.recap is not None), None)
        if recap is not None:
            chart = await asyncio.to_thread(chart_png, recap)
        messages = render_replies(
            replies,
            summary_actions=SUMMARY_EXTRAS,
            question_footer=self._footer(conversation),
            chart=chart,
            code_notice=code_notice,
        )
        if content:
            messages = _prefix(messages, content)
        wanted = {action for message in messages for action in message.actions}
        labels = await self._labels(user, conversation, wanted)
        owner = int(user.user_id)
        session_id = next((r.session_id for r in replies if r.session_id), "")
        record = await self.engine.store.load_session(session_id) if session_id else None
        guests = await self.engine.store.participants(record.id) if record else []
        peer_mode = any(g.role == participants.INTERVIEWER for g in guests)

        def view_for(actions: tuple[str, ...]) -> discord.ui.View | None:
            view = action_view(actions, owner, conversation, labels)
            if view is not None and peer_mode and record is not None and "hint" in actions:
                view.add_item(GroupButton("notes", record.id))  # the interviewer's, privately
            return view

        await deliver(sink, messages, view_for)
        if record is not None and guests and recap is not None:
            await self._send_comparison(sink, record)
        for listener in self.reply_listeners:
            try:
                await listener(replies, user, conversation)
            except Exception:
                log.exception("reply listener failed")

    async def deliver_answer(self, event: IncomingEvent) -> list[Reply]:
        """An answer from another input (the voice cog's transcript), handled and shown in the
        room like a typed one."""
        replies = await self._handle(event)
        await self._send(
            ChannelSink(self._room(event.conversation)), replies, event.user, event.conversation
        )
        return replies

    async def _send_comparison(self, sink: Sink, record: SessionRecord) -> None:
        """After the recap of a session with guests: the bot-vs-observers comparison so far, with
        a button to see it again once the last answers are scored."""
        scores = await self.engine.store.peer_scores(record.id)
        fresh = await self.engine.store.load_session(record.id) or record
        message = comparison_message(scoring.compare(fresh, scores)) or Outgoing(
            content="Observers can still score the answers above; the comparison with the "
            "bot's scores is one click away."
        )
        await sink.send(message, group_view(("compare", record.id, "")))

    async def _handle(self, event: IncomingEvent) -> list[Reply]:
        started = time.perf_counter()
        replies = await self.engine.handle(event)
        log.debug(
            "%s %s in %s: %d reply(ies) in %.0f ms",
            event.kind,
            event.command or "",
            event.conversation.key,
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return replies

    async def _target(self, user: UserRef, here: ConversationRef) -> ConversationRef | None:
        """The room a command acts on: this one if it has the user's open session, else their
        most recent open Discord session anywhere."""
        if await self.engine.store.active_session(user.key, here.key) is not None:
            return here
        record = await latest_active(self.engine.store, user.key)
        return parse_conversation_key(record.conversation_key) if record else None

    async def report_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Log the details under a reference id; tell the user briefly and privately."""
        reference = _reference()
        log.error("interaction failed [ref %s]", reference, exc_info=error)
        text = (
            f"Sorry, something went wrong on my side (ref `{reference}`). Your progress is saved; "
            "try again in a moment."
        )
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about error %s", reference)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        await self.report_error(interaction, original)

    def _once(self, conversation: ConversationRef, user_id: int, topic: str) -> bool:
        """True the first time (per process) this user is told about ``topic`` in this room."""
        key = (conversation.key, user_id, topic)
        if key in self._told:
            return False
        self._told[key] = time.time()
        return True

    # ------------------------------------------------------------------ job description in
    def _max_jd_bytes(self) -> int:
        return self.engine.limits.intake.max_bytes

    async def _read_source(
        self, text: str, attachment: discord.Attachment | None, options: dict[str, str]
    ) -> JobSource:
        """The JD as given. Attachments get the cheap checks (type, size) before and after the
        download; reading and judging the content is the engine's intake. Raises ``IntakeError``
        with the message for the user."""
        if attachment is None:
            return JobSource(text=text, options=options)
        max_bytes = self._max_jd_bytes()
        suffix = Path(attachment.filename).suffix.lower()
        if suffix not in JD_SUFFIXES:
            raise IntakeError(
                f"{attachment.filename}: attach the job description as .txt, .md, .pdf or .docx, "
                "or paste it with the `text` option."
            )
        if attachment.size > max_bytes:
            raise IntakeError(
                f"{attachment.filename} is {attachment.size / 1024 / 1024:.1f} MB; the limit is "
                f"{max_bytes / 1024 / 1024:.1f} MB. A job description is usually under 20 kB: "
                "paste the text instead."
            )
        try:
            data = await asyncio.wait_for(attachment.read(), DOWNLOAD_TIMEOUT_S)
        except (TimeoutError, discord.HTTPException) as exc:
            log.warning("downloading %s failed: %s", attachment.filename, exc)
            raise IntakeError(
                f"I couldn't download {attachment.filename} from Discord. Try again, or paste "
                "the text."
            ) from exc
        if len(data) > max_bytes:
            raise IntakeError(
                f"{attachment.filename} is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                f"{max_bytes / 1024 / 1024:.1f} MB."
            )
        return JobSource(
            attachment=Attachment(attachment.filename, data, attachment.content_type or ""),
            options=options,
        )

    def _start_event(
        self, user: UserRef, conversation: ConversationRef, source: JobSource
    ) -> IncomingEvent:
        return IncomingEvent(
            EventKind.COMMAND,
            user,
            conversation,
            text=source.text,
            command=Command.START,
            options=dict(source.options),
            attachment=source.attachment,
        )

    # ------------------------------------------------------------------ rooms
    async def _open_room(
        self, interaction: discord.Interaction, user: UserRef
    ) -> tuple[ConversationRef, discord.Thread | None, str]:
        """A private thread for the session (guilds) or the DM; returns (room, thread, note)."""
        if interaction.guild_id is None:
            assert interaction.channel_id is not None
            return conversation_for(None, interaction.channel_id), None, ""
        channel = interaction.channel
        if isinstance(channel, discord.Thread):
            if self._rooms.get(conversation_for(interaction.guild_id, channel.id).key) == int(
                user.user_id
            ):
                return conversation_for(interaction.guild_id, channel.id), channel, ""
            channel = channel.parent
        if isinstance(channel, discord.TextChannel):
            try:
                thread = await channel.create_thread(
                    name=clip_label(f"Interview · {user.display_name}", 100),
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                    reason=f"interview-bot session for {user.user_id}",
                )
                await thread.add_user(discord.Object(id=int(user.user_id)))
                return conversation_for(interaction.guild_id, thread.id), thread, ""
            except discord.HTTPException as exc:
                log.warning("could not open a private thread in %s: %s", channel.id, exc)
        dm = await interaction.user.create_dm()
        return (
            conversation_for(None, dm.id),
            None,
            "I couldn't open a private thread here, so we'll do this in your DMs.",
        )

    async def _close_room(self, conversation: ConversationRef) -> None:
        """Archive an interview thread nobody needs any more (never a DM)."""
        if guild_id_of(conversation) is None:
            return
        try:
            channel = self.bot.get_channel(room_id(conversation)) or await self.bot.fetch_channel(
                room_id(conversation)
            )
            if isinstance(channel, discord.Thread):
                await channel.edit(archived=True)
        except discord.HTTPException as exc:
            log.info("could not archive %s: %s", conversation.key, exc)

    # ------------------------------------------------------------------ /interview start
    @interview.command(name="start", description="Start a mock interview from a job description")
    @app_commands.describe(
        jd="The job description as a file (.txt, .md, .pdf, .docx)",
        text="Or paste the job description (long posts: leave both empty for a bigger box)",
        length="How many questions: short 5, standard 8, long 12",
        coding="Include a coding question (run in a sandbox when available)",
        voice="Remind me how to do it by voice (/interview voice once it begins)",
        focus="Skills or competencies to focus on, comma-separated; weakest = your weakest areas",
    )
    async def start(
        self,
        interaction: discord.Interaction,
        jd: discord.Attachment | None = None,
        text: app_commands.Range[str, 1, 6000] | None = None,
        length: Literal["short", "standard", "long"] | None = None,
        coding: Literal["yes", "no", "auto"] = "auto",
        voice: bool = False,
        focus: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        server = await self.server_settings(interaction.guild_id)
        channel = interaction.channel
        if not server.channel_allowed(interaction.channel_id, getattr(channel, "parent_id", None)):
            await interaction.response.send_message(_not_here(server), ephemeral=True)
            return
        notes: tuple[str, ...] = ()
        if voice and not server.voice_allowed:
            voice, notes = False, (NO_VOICE_NOTE,)
        options = {
            "length": length or server.default_length or self.default_length,
            "coding": coding,
        }
        if focus:  # "weakest" becomes this user's weakest areas (spaced practice)
            options["focus"] = await resolve_focus(
                self.engine.store, user_ref(interaction.user).key, focus
            )
        if jd is None and not text:

            async def submitted(
                modal_interaction: discord.Interaction,
                pasted: str,
                upload: discord.Attachment | None,
            ) -> None:
                await self._start_flow(
                    modal_interaction, pasted, upload, options, voice, extra_notes=notes
                )

            await interaction.response.send_modal(JobDescriptionModal(submitted))
            return
        await self._start_flow(interaction, text or "", jd, options, voice, extra_notes=notes)

    async def _start_flow(
        self,
        interaction: discord.Interaction,
        text: str,
        attachment: discord.Attachment | None,
        options: dict[str, str],
        voice: bool,
        *,
        extra_notes: tuple[str, ...] = (),
    ) -> None:
        in_guild = interaction.guild_id is not None
        await interaction.response.defer(ephemeral=in_guild, thinking=True)
        sink = InteractionSink(interaction, ephemeral=in_guild)
        user = user_ref(interaction.user)
        if not text.strip() and attachment is None:
            await sink.send(
                Outgoing(content="⚠️ Paste the job description or upload the file, then submit."),
                None,
            )
            return
        try:
            source = await self._read_source(text, attachment, options)
        except IntakeError as exc:
            await sink.send(Outgoing(content=f"⚠️ {exc}"), None)
            return
        notes = [*extra_notes, *([VOICE_NOTE] if voice else [])]
        lock = self._starting.setdefault(user.key, asyncio.Lock())
        async with lock:  # a double submit waits here, then finds the first one's session
            await self._start_locked(interaction, sink, user, source, notes, in_guild)

    async def _start_locked(
        self,
        interaction: discord.Interaction,
        sink: InteractionSink,
        user: UserRef,
        source: JobSource,
        notes: list[str],
        in_guild: bool,
    ) -> None:
        existing = await latest_active(self.engine.store, user.key)
        thread: discord.Thread | None = None
        created = False
        if existing is not None:
            conversation = parse_conversation_key(existing.conversation_key)
            assert conversation is not None
            if existing.state == "briefing" and time.time() - existing.created_at < DOUBLE_SUBMIT_S:
                await sink.send(
                    Outgoing(
                        content=f"Your interview is already being set up in "
                        f"{room_mention(conversation)}."
                    ),
                    None,
                )
                return
            if existing.state != "briefing":
                await sink.send(
                    Outgoing(
                        content=f"You already have an interview running in "
                        f"{room_mention(conversation)}: answer there, or `/interview end` it "
                        "first to start a new one."
                    ),
                    None,
                )
                return
        else:
            try:
                conversation, thread, note = await self._open_room(interaction, user)
            except discord.HTTPException as exc:
                log.warning("no room for %s: %s", user.key, exc)
                await sink.send(
                    Outgoing(
                        content="⚠️ I couldn't open a private thread here or send you a DM. Allow "
                        "DMs from this server's members, or ask an admin to let me create "
                        "private threads in this channel."
                    ),
                    None,
                )
                return
            created = thread is not None and conversation.thread_id != str(interaction.channel_id)
            if note:
                notes.append(note)
        replies = await self._handle(self._start_event(user, conversation, source))
        if not replies or replies[-1].kind is ReplyKind.ERROR:
            if created:
                await self._close_room(conversation)
            await deliver(sink, render_replies(replies), lambda actions: None)
            return
        self._rooms[conversation.key] = int(user.user_id)
        summary = next((r for r in replies if r.profile is not None), None)
        if thread is not None and summary is not None and summary.profile is not None:
            await self._rename(thread, summary.profile.title)
        if in_guild and guild_id_of(conversation) is not None:
            notes.append(f"Your interview room: {room_mention(conversation)} — questions go there.")
        elif in_guild:
            notes.append("Questions will come in our DM.")
        await self._send(sink, replies, user, conversation, content="\n".join(notes))

    async def _rename(self, thread: discord.Thread, role: str) -> None:
        name = clip_label(f"{role} interview", 100)
        if thread.name == name:
            return
        try:
            await thread.edit(name=name)
        except discord.HTTPException as exc:
            log.info("could not rename thread %s: %s", thread.id, exc)

    # ------------------------------------------------------------------ buttons
    async def handle_action(self, interaction: discord.Interaction, action: ButtonAction) -> None:
        try:
            await self._action(interaction, action)
        except Exception as exc:
            await self.report_error(interaction, exc)

    async def _action(self, interaction: discord.Interaction, action: ButtonAction) -> None:
        if interaction.user.id != action.owner_id:
            await interaction.response.send_message(
                f"These buttons belong to <@{action.owner_id}>'s interview. Start your own with "
                "`/interview start`.",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        user = user_ref(interaction.user)
        conversation = action.conversation
        name = action.action
        if name in ("begin", "cancel"):
            await interaction.response.defer()
            before = await self.engine.store.active_session(user.key, conversation.key)
            command = Command.BEGIN if name == "begin" else Command.CANCEL
            replies = await self._handle(IncomingEvent.do(user, conversation, command))
            after = await self.engine.store.active_session(user.key, conversation.key)
            briefed = before is not None and before.state == "briefing"
            if briefed and name == "begin" and after is not None and after.state != "briefing":
                here = room_id(conversation) == interaction.channel_id
                status = "Started — good luck!"
                if not here:
                    status = f"Started in {room_mention(conversation)} — good luck!"
                await interaction.edit_original_response(content=status, view=None)
                await self._send(ChannelSink(self._room(conversation)), replies, user, conversation)
                return
            if briefed and name == "cancel" and after is None:
                text = "\n".join(r.text for r in replies)
                await interaction.edit_original_response(content=text, embeds=[], view=None)
                if room_id(conversation) != interaction.channel_id:
                    await self._close_room(conversation)
                return
            await self._send(InteractionFollowup(interaction), replies, user, conversation)
            return
        if name in ("coding", "length"):
            await interaction.response.defer()
            await self._replan(interaction, user, conversation, name)
            return
        if name in ("retake", "focus"):
            await interaction.response.defer(thinking=True)
            await self._retake(interaction, user, conversation, focus=name == "focus")
            return
        simple = BUTTON_COMMANDS.get(name)
        if simple is None:
            await interaction.response.send_message(
                "That button is no longer used.", ephemeral=True
            )
            return
        await interaction.response.defer(thinking=True)
        before = await self.engine.store.active_session(user.key, conversation.key)
        replies = await self._handle(IncomingEvent.do(user, conversation, simple))
        if before is not None:
            await self._prompt_scores(before, conversation)
        await self._send(InteractionSink(interaction, ephemeral=False), replies, user, conversation)

    async def _replan(
        self,
        interaction: discord.Interaction,
        user: UserRef,
        conversation: ConversationRef,
        which: str,
    ) -> None:
        """Summary buttons: the core re-plans the same session (no need for the JD again)."""
        record = await self.engine.store.active_session(user.key, conversation.key)
        if record is None or record.state != "briefing":
            await interaction.followup.send(
                "This interview has already started (or ended), so its plan can't change now.",
                ephemeral=True,
            )
            return
        current = record.plan.options
        options: dict[str, str] = {}
        if which == "length":
            options["length"] = LENGTHS[(LENGTHS.index(current.length) + 1) % len(LENGTHS)]
        else:
            included = any(q.type.value == "coding" for q in record.plan.questions)
            options["coding"] = "no" if included else "yes"
        replies = await self._handle(
            IncomingEvent.do(user, conversation, Command.CONFIGURE, **options)
        )
        await self._send(InteractionSink(interaction, ephemeral=True), replies, user, conversation)

    async def _retake(
        self,
        interaction: discord.Interaction,
        user: UserRef,
        conversation: ConversationRef,
        *,
        focus: bool,
    ) -> None:
        """Retake / Focus: the core starts over from the stored job profile, so this works after
        a restart too; "focus" re-plans toward the last recap's next focus."""
        options = {"focus": "next"} if focus else {}
        replies = await self._handle(
            IncomingEvent.do(user, conversation, Command.RETAKE, **options)
        )
        await self._send(InteractionSink(interaction, ephemeral=False), replies, user, conversation)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        channel = message.channel
        guild_id = message.guild.id if message.guild else getattr(channel, "guild_id", None)
        if guild_id is not None and _thread_like(channel) is False:
            return
        conversation = conversation_for(guild_id, channel.id)
        try:
            await self._on_room_message(message, conversation)
        except Exception:
            reference = _reference()
            log.exception("message %s failed [ref %s]", message.id, reference)
            try:
                await channel.send(
                    f"Sorry, something went wrong on my side (ref `{reference}`). Your answer "
                    "may not have been recorded: please send it again in a moment."
                )
            except discord.HTTPException:
                log.warning("could not report error %s", reference)

    async def _on_room_message(
        self, message: discord.Message, conversation: ConversationRef
    ) -> None:
        user = user_ref(message.author)
        record = await self.engine.store.active_session(user.key, conversation.key)
        if record is None:
            owner = self._rooms.get(conversation.key)
            if (
                owner is not None
                and owner != message.author.id
                and await self._guest_here(owner, user, conversation)
            ):
                return  # an observer or the interviewer talking in the thread: fine
            if (
                owner is not None
                and owner != message.author.id
                and self._once(conversation, message.author.id, "stranger")
            ):
                await message.reply(
                    f"This is <@{owner}>'s practice interview, so only they can answer here. "
                    "Start your own with `/interview start`.",
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            return
        self._rooms[conversation.key] = message.author.id
        text = message.content
        if not text.strip():
            in_guild = guild_id_of(conversation) is not None
            if message.attachments:
                await message.reply(
                    "I read answers as text only for now: please type it (code in ``` blocks).",
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            elif (
                in_guild
                and not self.reads_messages
                and self._once(conversation, message.author.id, "no-content")
            ):
                await message.reply(
                    "I can't read messages in threads on this server (the bot runs without the "
                    "Message Content intent). Answer with `/interview answer` instead.",
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            return
        async with message.channel.typing():
            replies = await self._handle(event_for_text(user, conversation, text))
        recorded = not any(r.kind is ReplyKind.ERROR for r in replies) and record.state in (
            "asking",
            "follow_up",
            "paused",
        )
        await self._prompt_scores(record, conversation)
        await self._send(
            ChannelSink(message.channel),
            replies,
            user,
            conversation,
            code_notice=recorded and has_code(text) and _advanced(replies),
        )

    # ------------------------------------------------------------------ other commands
    async def _run(
        self,
        interaction: discord.Interaction,
        command: Command,
        text: str = "",
        *,
        private: bool = False,
    ) -> None:
        user = user_ref(interaction.user)
        here = self._here(interaction)
        target = await self._target(user, here)
        if target is None:
            await interaction.response.send_message(
                "You have no interview running. Start one with `/interview start`.",
                ephemeral=True,
            )
            return
        in_place = target.key == here.key
        ephemeral = private or (not in_place and interaction.guild_id is not None)
        if interaction.response.is_done():
            sink: Sink = InteractionFollowup(interaction, ephemeral=ephemeral)
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            sink = InteractionSink(interaction, ephemeral=ephemeral)
        before = await self.engine.store.active_session(user.key, target.key)
        replies = await self._handle(IncomingEvent.do(user, target, command, text))
        code_notice = command is Command.ANSWER and has_code(text) and _advanced(replies)
        if before is not None:  # an answer, or a skip/end after one, completes a question
            await self._prompt_scores(before, target)
        if in_place or private:
            await self._send(sink, replies, user, target, code_notice=code_notice)
            return
        await self._send(
            ChannelSink(self._room(target)), replies, user, target, code_notice=code_notice
        )
        await sink.send(Outgoing(content=f"Done — see {room_mention(target)}."), None)

    @interview.command(name="answer", description="Answer the current question")
    @app_commands.describe(text="Your answer (leave empty for a bigger box)")
    async def answer(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 6000] | None = None,
    ) -> None:
        if text:
            await self._run(interaction, Command.ANSWER, text)
            return

        async def submitted(
            modal_interaction: discord.Interaction, typed: str, _: discord.Attachment | None
        ) -> None:
            await self._run(modal_interaction, Command.ANSWER, typed)

        await interaction.response.send_modal(AnswerModal(submitted))

    @interview.command(name="status", description="Where your interview stands")
    async def status(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, Command.STATUS, private=True)

    @interview.command(name="end", description="End your interview now and get the recap")
    async def end(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, Command.END)

    @interview.command(name="resume", description="Continue your paused or interrupted interview")
    async def resume(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, Command.RESUME)

    @interview.command(name="history", description="Your past interviews")
    async def history(self, interaction: discord.Interaction) -> None:
        user = user_ref(interaction.user)
        records = [
            r
            for r in await self.engine.store.sessions_for_user(user.key, limit=15)
            if r.state != "cancelled"
        ]
        if not records:
            await interaction.response.send_message(
                "No interviews yet. Start one with `/interview start`.", ephemeral=True
            )
            return
        sections = []
        for record in records:
            answered = len({t.question_index for t in record.turns if t.answer})
            score = (
                f"overall {score_text(record.recap.overall)}"
                if record.recap is not None
                else record.state.replace("_", " ")
            )
            when = f"<t:{int(record.created_at)}:d>"
            sections.append(
                Section(
                    record.profile.title,
                    f"{when} · {score} · {answered} of {len(record.plan.questions)} answered",
                )
            )
        embeds = build_embeds("Your interviews", "", sections)
        await interaction.response.send_message(embeds=embeds[:10], ephemeral=True)

    @interview.command(name="forget", description="Delete all your interviews and answers")
    async def forget(self, interaction: discord.Interaction) -> None:
        user = user_ref(interaction.user)

        async def confirmed(button_interaction: discord.Interaction) -> None:
            removed = await self.engine.store.forget_user(user.key)
            for key in [k for k, owner in self._rooms.items() if owner == interaction.user.id]:
                self._rooms.pop(key, None)
            await button_interaction.response.edit_message(
                content=forget_summary(removed), view=None
            )

        await interaction.response.send_message(
            "Delete all your interviews, answers and recaps? This cannot be undone.",
            view=ConfirmView(interaction.user.id, confirmed),
            ephemeral=True,
        )

    @interview.command(
        name="privacy", description="What is stored about you, how long, how to delete it"
    )
    async def privacy(self, interaction: discord.Interaction) -> None:
        server = await self.server_settings(interaction.guild_id)
        opted_in = await prefs.audio_opt_in(self.engine.store, user_ref(interaction.user).key)
        text = privacy_statement(
            self.host,
            audio_opt_in=opted_in,
            scope_retention_days=server.effective_retention_days(self.host)
            if server.retention_days is not None
            else None,
        )
        await interaction.response.send_message(text, ephemeral=True)

    # ------------------------------------------------------------------ group practice
    async def _guest_here(self, owner: int, user: UserRef, conversation: ConversationRef) -> bool:
        record = await self.engine.store.active_session(f"discord:{owner}", conversation.key)
        if record is None:
            return False
        return await participants.role_in(self.engine.store, record, user.key) is not None

    async def _prompt_scores(self, before: SessionRecord, conversation: ConversationRef) -> None:
        """Once the candidate's answer to a question is complete (the engine moved on), guests get
        a message to score it from, before the next question appears."""
        if before.state not in ("asking", "follow_up", "paused"):
            return
        store = self.engine.store
        if not await store.participants(before.id):
            return
        after = await store.load_session(before.id)
        if after is None:
            return
        index = before.cursor
        moved = after.cursor > index or after.state == "finished"
        if not moved or not any(t.question_index == index and t.answer for t in after.turns):
            return
        try:
            await ChannelSink(self._room(conversation)).send(
                score_prompt(after, index), score_view(after.id, index)
            )
        except discord.HTTPException as exc:
            log.warning("could not post the score prompt in %s: %s", conversation.key, exc)

    async def _reply(self, interaction: discord.Interaction, text: str, **extra: Any) -> None:
        """A private answer to whoever acted, whether or not the interaction was deferred."""
        for part in split_text(text, 2000) or [""]:
            if interaction.response.is_done():
                await interaction.followup.send(
                    part, ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **extra
                )
            else:
                await interaction.response.send_message(
                    part, ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **extra
                )
            extra = {}

    async def _session_for(
        self, user: UserRef, here: ConversationRef, *, open_only: bool = True
    ) -> SessionRecord | None:
        """The session a group command is about: one in this room the user is in (as candidate
        or guest), else the user's latest open Discord session."""
        for record in await room_sessions(self.engine.store, user.key, here):
            if record.state != "cancelled" and (not open_only or record.state in OPEN):
                return record
        return await latest_active(self.engine.store, user.key)

    async def _load_for(
        self, interaction: discord.Interaction, session_id: str
    ) -> SessionRecord | None:
        """The session a group button names, if the clicker is its candidate or guest. A missing
        session and someone else's get the same refusal (as ``bot.access`` does): a forged
        button id must not tell whether a session exists."""
        record = await self.engine.store.load_session(session_id)
        user_key = user_ref(interaction.user).key
        if record is None or not await can_view(self.engine.store, record, user_key):
            await self._reply(interaction, NOT_YOURS)
            return None
        return record

    async def _group_score(self, interaction: discord.Interaction, score: str, target: str) -> None:
        session_id, _, index = target.rpartition("-")
        record = await self._load_for(interaction, session_id)
        if record is not None and index.isdigit():
            await self._record_score(interaction, record, int(index), score, "")

    async def _record_score(
        self,
        interaction: discord.Interaction,
        record: SessionRecord,
        index: int,
        score_text: str,
        note: str,
    ) -> None:
        try:
            score = float(score_text.strip().replace(",", "."))
        except ValueError:
            await self._reply(interaction, "Scores go from 1 to 5 (half points allowed).")
            return
        try:
            await scoring.record_score(
                self.engine.store,
                record,
                scorer=user_ref(interaction.user).key,
                question_index=index,
                score=score,
                note=note,
                now=time.time(),
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        anchor = record.plan.questions[index].rubric.anchor_for(score)
        await self._reply(
            interaction,
            f"Scored answer {index + 1}: {score:g}/5 (“{anchor}”). It shows in the recap's "
            "bot-vs-observers comparison; score again to change it.",
        )

    async def _group_note(self, interaction: discord.Interaction, _: str, target: str) -> None:
        session_id, _, index = target.rpartition("-")
        record = await self._load_for(interaction, session_id)
        if record is None or not index.isdigit():
            return
        user = user_ref(interaction.user)
        if await participants.role_in(self.engine.store, record, user.key) is None:
            await self._reply(
                interaction,
                "Only the candidate and the people they invited can score this interview.",
            )
            return
        question = int(index)

        async def submitted(modal_interaction: discord.Interaction, score: str, note: str) -> None:
            await self._record_score(modal_interaction, record, question, score, note)

        await interaction.response.send_modal(ScoreNoteModal(question + 1, submitted))

    async def _group_notes(self, interaction: discord.Interaction, session_id: str, _: str) -> None:
        record = await self._load_for(interaction, session_id)
        if record is None:
            return
        user = user_ref(interaction.user)
        role = await participants.role_in(self.engine.store, record, user.key)
        if role != participants.INTERVIEWER:
            await self._reply(
                interaction,
                "Only the peer interviewer the candidate invited can see the interviewer notes.",
            )
            return
        notes = peer.interviewer_notes(record)
        await self._reply(
            interaction,
            peer.notes_markdown(notes) if notes else "No question is open right now.",
        )

    async def _group_compare(
        self, interaction: discord.Interaction, session_id: str, _: str
    ) -> None:
        record = await self._load_for(interaction, session_id)
        if record is None:
            return
        comparison = scoring.compare(record, await self.engine.store.peer_scores(record.id))
        await self._reply(
            interaction, scoring.comparison_markdown(comparison) or "Nobody has scored yet."
        )

    @interview.command(name="invite", description="Let someone watch and score, or interview you")
    @app_commands.describe(
        user="Who to invite",
        role="observer: watches and scores; interviewer: asks the questions with private notes",
    )
    async def invite(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        role: Literal["observer", "interviewer"] = "observer",
    ) -> None:
        candidate = user_ref(interaction.user)
        if interaction.guild_id is None:
            await self._reply(
                interaction, "Invitations work in server threads; DMs stay DMs (just you and me)."
            )
            return
        if user.bot:
            await self._reply(interaction, "Bots can't be invited to an interview.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = await self._session_for(candidate, self._here(interaction))
        if record is None:
            await self._reply(interaction, "You have no interview running. Start one first.")
            return
        conversation = parse_conversation_key(record.conversation_key)
        if conversation is None or guild_id_of(conversation) is None:
            await self._reply(
                interaction,
                "That interview runs in our DMs, and DMs stay DMs: start one in a server "
                "channel to invite people.",
            )
            return
        try:
            await participants.invite(
                self.engine.store,
                record,
                by=candidate.key,
                invitee=user_ref(user).key,
                role=role,
                now=time.time(),
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        added = await add_to_thread(self.bot, conversation, user.id)
        if role == "interviewer":
            text = (
                f"<@{user.id}> joined as the interviewer. Ask the questions in your own words; "
                "your private notes (what a good answer covers, the rubric, follow-ups) are "
                "behind the Interviewer notes button: only you can open them. Score each "
                "answer when the score buttons appear."
            )
            view: discord.ui.View | None = group_view(("notes", record.id, ""))
        else:
            text = (
                f"<@{user.id}> joined as an observer: they'll score each answer on the same "
                "rubric as the bot, and the recap compares their scores with the bot's."
            )
            view = None
        await ChannelSink(
            self._room(conversation),
            mentions=discord.AllowedMentions(users=[discord.Object(id=user.id)]),
        ).send(Outgoing(content=text), view)
        where = room_mention(conversation)
        await self._reply(
            interaction,
            f"Invited <@{user.id}> as {role} to {where}."
            + ("" if added else " I couldn't add them to the thread; ask a moderator to add them."),
        )

    @interview.command(name="uninvite", description="Remove someone from your interview")
    @app_commands.describe(user="Who to remove (or yourself, to leave someone's interview)")
    async def uninvite(self, interaction: discord.Interaction, user: discord.User) -> None:
        me = user_ref(interaction.user)
        record = await self._session_for(me, self._here(interaction), open_only=False)
        if record is None:
            await self._reply(interaction, "There is no interview here to remove anyone from.")
            return
        try:
            removed = await participants.uninvite(
                self.engine.store, record, by=me.key, user_key=user_ref(user).key
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        if not removed:
            await self._reply(interaction, f"<@{user.id}> wasn't in that interview.")
            return
        conversation = parse_conversation_key(record.conversation_key)
        if conversation is not None:
            await remove_from_thread(self.bot, conversation, user.id)
        await self._reply(interaction, f"Removed <@{user.id}> from the interview.")

    @interview.command(name="swap", description="Peer mode: the interviewer becomes the candidate")
    async def swap(self, interaction: discord.Interaction) -> None:
        """The interviewer running it swaps at once (that is their consent); the candidate
        running it only asks: the interviewer gets an "Accept swap" button in the thread."""
        me = user_ref(interaction.user)
        here = self._here(interaction)
        records = await room_sessions(self.engine.store, me.key, here)
        if not records:
            await self._reply(interaction, "Run this in the thread of the interview to swap.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = records[0]
        try:
            interviewer = await peer.check_swap(
                self.engine.store, record, by=me.key, conversation=here
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        if me.key != interviewer:
            asked = int(interviewer.partition(":")[2])
            view = discord.ui.View(timeout=None)
            view.add_item(GroupButton("swap", record.id, "", label="Accept swap"))
            await ChannelSink(
                self._room(here),
                mentions=discord.AllowedMentions(users=[discord.Object(id=asked)]),
            ).send(
                Outgoing(
                    content=f"<@{asked}>, <@{interaction.user.id}> would like to swap roles: "
                    "you'd be the candidate of a new interview on the same job. Only you can "
                    "accept; nothing starts until you do. Observers are not carried over."
                ),
                view,
            )
            await self._reply(interaction, f"Asked <@{asked}> to accept the swap.")
            return
        await self._do_swap(interaction, record, here)

    async def _group_swap(self, interaction: discord.Interaction, session_id: str, _: str) -> None:
        """The "Accept swap" button: only the session's peer interviewer can press it."""
        record = await self._load_for(interaction, session_id)
        if record is None:
            return
        me = user_ref(interaction.user)
        here = parse_conversation_key(record.conversation_key)
        if await participants.role_in(self.engine.store, record, me.key) != "interviewer":
            await self._reply(interaction, "Only the interviewer who was asked can accept.")
            return
        if here is None:
            await self._reply(interaction, NOT_YOURS)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._do_swap(interaction, record, here)

    async def _do_swap(
        self, interaction: discord.Interaction, record: SessionRecord, here: ConversationRef
    ) -> None:
        me = user_ref(interaction.user)
        try:
            swapped = await peer.swap_roles(
                self.engine, record, by=me.key, conversation=here, now=time.time()
            )
        except CommunityError as exc:
            await self._reply(interaction, str(exc))
            return
        candidate_id = int(swapped.new_candidate.partition(":")[2])
        interviewer_id = int(swapped.new_interviewer.partition(":")[2])
        self._rooms[here.key] = candidate_id
        both = [discord.Object(id=candidate_id), discord.Object(id=interviewer_id)]
        await self._send(
            ChannelSink(self._room(here), mentions=discord.AllowedMentions(users=both)),
            swapped.replies,
            UserRef("discord", str(candidate_id)),
            here,
            content=f"Roles swapped: <@{candidate_id}> is the candidate now and "
            f"<@{interviewer_id}> interviews (notes behind the Interviewer notes button).",
        )
        await self._reply(interaction, "Swapped. The new briefing is in the thread.")

    @interview.command(name="compare", description="Bot scores vs your observers' scores")
    async def compare(self, interaction: discord.Interaction) -> None:
        me = user_ref(interaction.user)
        record = await self._session_for(me, self._here(interaction), open_only=False)
        if record is None:
            recent = await self.engine.store.sessions_for_user(me.key, limit=1)
            record = recent[0] if recent else None
        if record is None:
            await self._reply(interaction, "No interview to compare yet.")
            return
        await self._group_compare(interaction, record.id, "")

    @interview.command(name="share", description="A read-only link to one interview, for a mentor")
    @app_commands.describe(session="Session id from /interview history (default: your latest)")
    async def share(
        self,
        interaction: discord.Interaction,
        session: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        me = user_ref(interaction.user)
        if session is None:
            recent = await self.engine.store.sessions_for_user(me.key, limit=1)
            if not recent:
                await self._reply(interaction, "You have no interviews to share yet.")
                return
            session = recent[0].id
        try:
            link = await create_share(
                self.engine.store, self.host, session, me.key, now=time.time()
            )
        except AccessDenied as exc:
            await self._reply(interaction, str(exc))
            return
        text = (
            f"Read-only link to interview `{link.link.session_id}`, valid until "
            f"<t:{int(link.expires_at)}:f>:\n{link.url}\nAnyone with the link can read this one "
            "interview. Revoke it any time with `/interview unshare`."
        )
        if not link.served:
            text += (
                "\nNote: this bot has no public web address configured (PUBLIC_URL or "
                "HTTP_PORT), so the link opens only once its web server is reachable."
            )
        await self._reply(interaction, text)

    @interview.command(name="unshare", description="Revoke share links (one interview's, or all)")
    @app_commands.describe(session="Session id (default: every link you made)")
    async def unshare(
        self,
        interaction: discord.Interaction,
        session: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        me = user_ref(interaction.user)
        try:
            count = await revoke_shares(
                self.engine.store, me.key, session_id=session, now=time.time()
            )
        except AccessDenied as exc:
            await self._reply(interaction, str(exc))
            return
        await self._reply(interaction, f"Revoked {count} link(s); they now say “revoked”.")

    @interview.command(name="audio", description="Keep recordings of your spoken answers (opt-in)")
    @app_commands.describe(choice="on: keep recordings with their interview; off: never keep them")
    async def audio(self, interaction: discord.Interaction, choice: Literal["on", "off"]) -> None:
        text = await prefs.set_audio_opt_in(
            self.engine.store, user_ref(interaction.user).key, choice == "on", now=time.time()
        )
        await self._reply(interaction, text)

    @interview.command(
        name="recordings", description="Get back the kept recordings of your spoken answers"
    )
    @app_commands.describe(session="Session id (or its first characters) from /interview history")
    async def recordings(
        self, interaction: discord.Interaction, session: app_commands.Range[str, 1, 64]
    ) -> None:
        """The candidate's own clips as private attachments (``prefs.recordings`` refuses
        everyone else, observers included)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            session_id, clips = await prefs.recordings(
                self.engine.store, session, user_ref(interaction.user).key
            )
        except AccessDenied as exc:
            await self._reply(interaction, str(exc))
            return
        if not clips:
            await self._reply(
                interaction,
                f"No recordings are kept for interview `{session_id}` (audio opt-in was off, or "
                "no answer was spoken).",
            )
            return
        fits = [c for c in clips if len(c.data) <= RECORDING_MAX_BYTES]
        too_big = [c.filename for c in clips if len(c.data) > RECORDING_MAX_BYTES]
        note = f" Too large to attach here: {', '.join(too_big)}." if too_big else ""
        for start in range(0, max(len(fits), 1), 10):  # Discord: 10 attachments per message
            batch = fits[start : start + 10]
            await self._reply(
                interaction,
                f"Recordings of interview `{session_id}` (only you can see this).{note}"
                if start == 0
                else "More recordings:",
                files=[discord.File(io.BytesIO(c.data), filename=c.filename) for c in batch],
            )

    # ------------------------------------------------------------------ restart
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._reattached or not self.bot.reattach_on_ready:
            return
        self._reattached = True
        try:
            count = await self.reattach()
            log.info("re-attached to %d open interview(s)", count)
        except Exception:
            log.exception("re-attaching to open interviews failed")

    async def reattach(self, *, now: float | None = None) -> int:
        """Post where each recent open session left off, in its room. Returns how many."""
        now = time.time() if now is None else now
        count = 0
        for record in await open_sessions(self.engine.store, limit=REATTACH_LIMIT):
            conversation = parse_conversation_key(record.conversation_key)
            owner = user_id_of(record.user_key)
            if conversation is None or owner is None:
                continue
            if not self.bot.serves(guild_id_of(conversation)):
                continue  # another shard's process speaks for it (issue 12)
            self._rooms[conversation.key] = owner
            if now - record.updated_at > REATTACH_MAX_AGE_S:
                continue
            replies = await self.engine.current(record.user_key, conversation)
            if not replies:
                continue
            user = UserRef("discord", str(owner))
            sink = ChannelSink(
                self._room(conversation),
                mentions=discord.AllowedMentions(users=[discord.Object(id=owner)]),
            )
            try:
                await self._send(
                    sink,
                    replies,
                    user,
                    conversation,
                    content=f"<@{owner}> I'm back online.",
                )
                count += 1
            except discord.HTTPException as exc:
                log.warning("could not re-attach %s: %s", conversation.key, exc)
        return count


OPEN = ("briefing", "asking", "follow_up", "paused")


# Per attachment; Discord refuses uploads over 10 MiB for most servers.
RECORDING_MAX_BYTES = 8 * 1024 * 1024

# The one refusal for a group button on a session that is gone or not the clicker's.
NOT_YOURS = "Only the candidate and the people they invited can score or see this interview."


def _not_here(server: ScopeSettings) -> str:
    channels = ", ".join(f"<#{c}>" for c in server.allowed_channels)
    return (
        f"Interviews aren't enabled in this channel. On this server, use: {channels}. "
        "(Or DM me to practise privately.)"
    )


def _advanced(replies: list[Reply]) -> bool:
    """The answer was taken: the engine moved on (next question, follow-up or recap)."""
    return any(r.kind in (ReplyKind.QUESTION, ReplyKind.RECAP) for r in replies)


def _prefix(messages: list[Outgoing], content: str) -> list[Outgoing]:
    if not messages:
        return [Outgoing(content=part) for part in split_text(content, 2000)]
    first = messages[0]
    merged = f"{content}\n\n{first.content}".strip() if first.content else content
    if len(merged) <= 2000:
        first.content = merged
        return messages
    return [Outgoing(content=part) for part in split_text(content, 2000)] + messages


async def setup(bot: commands.Bot) -> None:
    if not isinstance(bot, InterviewBot):
        raise TypeError("the interview cog runs on adapters.discord.client.InterviewBot")
    await bot.add_cog(InterviewCog(bot))
