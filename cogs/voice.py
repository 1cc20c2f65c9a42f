"""``/interview voice``: the interview spoken in the candidate's voice channel (issue #10).

The bot joins the candidate's current voice channel, speaks each question (sentence by sentence,
the plan's next question prepared while the candidate answers), listens to the candidate only,
posts what it hears to the thread as an edited message, and hands the final transcript to the
engine with its delivery metrics, exactly like a typed answer. One voice session per server
(Discord allows one voice connection per guild). Voice receive is experimental: whenever joining
or listening fails (close code 4017, a missing library, anything) the interview carries on in the
thread and the thread says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.glue import conversation_for, guild_id_of, room_id, user_ref
from adapters.discord.voice import (
    DAVE_CLOSE_CODE,
    StreamingPCM,
    VoiceReceiver,
    VoiceReceiveUnavailable,
    build_receiver,
)
from bot.commands import event_for_text
from bot.community.scope import ScopeSettings, load_scope_settings, scope_key
from bot.events import ConversationRef, IncomingEvent, Reply, ReplyKind, UserRef
from bot.speech.answers import speech_vocabulary, spoken_answer
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, SpeechUnavailable
from bot.speech.live import LiveAnswer
from bot.speech.metrics import delivery_metrics
from bot.speech.speaker import QuestionVoice, next_question_text
from bot.speech.stt import WhisperSTT
from bot.speech.tts import build_tts
from bot.speech.turns import SileroVAD, TurnConfig

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 20.0
TEXT_FALLBACK = "Carry on here in the thread: type your answers as usual."
VOICE_OFF = (
    "Voice interviews are turned off on this server (a server admin can allow them with "
    "`/interview-admin`). " + TEXT_FALLBACK
)
BUSY = (
    "Someone else is in a voice interview on this server right now (Discord allows the bot one "
    "voice channel per server). " + TEXT_FALLBACK
)


def join_failure_message(exc: BaseException) -> str:
    """What the candidate reads when the bot cannot join: the reason in plain words."""
    if isinstance(exc, discord.ConnectionClosed) and exc.code == DAVE_CLOSE_CODE:
        reason = (
            "Discord requires end-to-end encrypted voice (DAVE, close code 4017) and the "
            "connection was refused"
        )
    elif isinstance(exc, asyncio.TimeoutError | TimeoutError):
        reason = "the voice connection timed out"
    elif isinstance(exc, discord.ClientException):
        reason = f"Discord refused the connection ({exc})"
    elif isinstance(exc, RuntimeError | ImportError) and "davey" in str(exc).lower():
        reason = "this bot lacks the end-to-end voice encryption library (davey)"
    else:
        reason = f"something went wrong ({type(exc).__name__})"
    return f"🎙️ I couldn't join your voice channel: {reason}. {TEXT_FALLBACK}"


@dataclass
class GuildVoice:
    """One voice interview: who, where, and the tasks that speak and listen."""

    guild_id: int
    user: UserRef
    conversation: ConversationRef
    client: Any
    vocabulary: tuple[str, ...] = ()
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    listener: asyncio.Task[None] | None = None
    submitting: asyncio.Task[None] | None = None
    speaking: asyncio.Lock = field(default_factory=asyncio.Lock)


class VoiceCog(commands.Cog, name="Voice"):
    def __init__(
        self,
        bot: Any,
        *,
        receiver: VoiceReceiver | None = None,
        config: SpeechConfig | None = None,
    ) -> None:
        self.bot = bot
        self.sessions: dict[int, GuildVoice] = {}
        self._receiver = receiver
        self._config = config
        self._stt: WhisperSTT | None = None
        self._voice: QuestionVoice | None = None
        self._command: app_commands.Command[Any, ..., None] | None = None

    # ------------------------------------------------------------------ wiring
    @property
    def interview(self) -> Any:
        return self.bot.get_cog("Interview")

    async def cog_load(self) -> None:
        interview = self.interview
        if interview is None:
            log.warning("voice cog loaded without the interview cog: /interview voice is absent")
            return
        interview.reply_listeners.append(self.on_replies)

        @app_commands.describe(action="join (default) or leave the voice channel")
        async def voice(
            interaction: discord.Interaction, action: Literal["join", "leave"] = "join"
        ) -> None:
            await self.voice_command(interaction, action)

        self._command = app_commands.Command(
            name="voice",
            description="Do the interview by voice in your current voice channel (experimental)",
            callback=voice,
        )
        interview.interview.add_command(self._command)

    async def cog_unload(self) -> None:
        interview = self.interview
        if interview is not None:
            with contextlib.suppress(ValueError):
                interview.reply_listeners.remove(self.on_replies)
            if self._command is not None:
                interview.interview.remove_command(self._command.name)
        for guild_id in list(self.sessions):
            await self.leave(guild_id)
        if self._stt is not None:
            self._stt.close()
        if self._voice is not None:
            self._voice.close()

    @property
    def config(self) -> SpeechConfig:
        if self._config is None:
            settings = getattr(self.bot, "settings", None)
            self._config = SpeechConfig.from_settings(settings) if settings else SpeechConfig()
        return self._config

    @property
    def receiver(self) -> VoiceReceiver:
        if self._receiver is None:
            self._receiver = build_receiver()
        return self._receiver

    def speech(self) -> tuple[WhisperSTT, QuestionVoice]:
        """Recogniser and voice, built on first use (``SpeechUnavailable`` when not installed).

        Always faster-whisper in this process, even with ``WORK_QUEUE=redis`` (issue 12): live
        answers are recognised segment by segment while the candidate speaks, so the transcript
        is ready moments after they stop; a Redis round trip and a worker's queue per segment
        would add to every one of them. Recorded answers (Slack clips, console files) do go to
        the queue (``bot.workqueue.speech_to_text_for``); ``doctor`` says which stays here."""
        if self._stt is None:
            self._stt = WhisperSTT(self.config)
        if self._voice is None:
            self._voice = QuestionVoice(build_tts(self.config))
        return self._stt, self._voice

    async def server_settings(self, guild_id: int) -> ScopeSettings:
        return await load_scope_settings(self.bot.engine.store, scope_key("discord", str(guild_id)))

    # ------------------------------------------------------------------ the command
    async def voice_command(self, interaction: discord.Interaction, action: str) -> None:
        if interaction.guild_id is None or interaction.channel_id is None:
            await interaction.response.send_message(
                "Voice interviews happen in a server's voice channel; in DMs, answer in text.",
                ephemeral=True,
            )
            return
        if action == "leave":
            text = await self.leave(interaction.guild_id, user_id=interaction.user.id)
            await interaction.response.send_message(text, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        member = interaction.user
        voice_state = getattr(member, "voice", None)
        text = await self.join(
            interaction.guild_id,
            user_ref(member),
            conversation_for(interaction.guild_id, interaction.channel_id),
            getattr(voice_state, "channel", None),
        )
        await interaction.followup.send(text, ephemeral=True)

    def _room(self, conversation: ConversationRef) -> Any:
        return self.bot.get_partial_messageable(
            room_id(conversation), guild_id=guild_id_of(conversation)
        )

    async def _post(self, conversation: ConversationRef, text: str) -> Any:
        try:
            return await self._room(conversation).send(
                text, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.warning("could not post to %s", conversation.key)
            return None

    async def join(
        self,
        guild_id: int,
        user: UserRef,
        conversation: ConversationRef,
        channel: Any,
    ) -> str:
        """Join ``channel`` for ``user``'s interview in ``conversation``; the returned text is the
        private reply to the command. Failures after the checks are also posted to the thread,
        since the interview carries on there."""
        if not (await self.server_settings(guild_id)).voice_allowed:
            return VOICE_OFF
        current = self.sessions.get(guild_id)
        if current is not None:
            if current.user.key == user.key:
                return "I'm already in your voice channel. `/interview voice action:leave` to stop."
            return BUSY
        record = await self.bot.engine.store.active_session(user.key, conversation.key)
        if record is None or record.state not in ("asking", "follow_up"):
            return (
                "Run `/interview voice` in the thread of an interview that has started (after "
                "you press Begin)."
            )
        if channel is None:
            return "Join a voice channel first, then run `/interview voice` again."
        try:
            self.speech()
        except SpeechUnavailable as exc:
            return f"Voice isn't set up on this bot ({exc}). {TEXT_FALLBACK}"
        try:
            client = await channel.connect(
                cls=self.receiver.client_class, timeout=CONNECT_TIMEOUT_S, reconnect=False
            )
        except Exception as exc:  # 4017, timeouts, permissions, missing libraries: all to text
            log.warning("voice join failed in guild %s: %r", guild_id, exc)
            message = join_failure_message(exc)
            await self._post(conversation, message)
            return message
        session = GuildVoice(
            guild_id,
            user,
            conversation,
            client,
            vocabulary=tuple(speech_vocabulary(record.profile)),
        )
        self.sessions[guild_id] = session
        session.listener = asyncio.create_task(self._listen(session))
        await self._post(
            conversation,
            f"🎙️ Voice on in **{getattr(channel, 'name', 'your voice channel')}**: I'll speak the "
            "questions and listen to you only. Pause for a moment when you're done, or say "
            "“next”. Typing here still works. (Voice listening is experimental.)",
        )
        replies = await self.bot.engine.current(user.key, conversation)
        await self.on_replies(replies, user, conversation)
        return "Joined your voice channel."

    async def leave(self, guild_id: int, *, user_id: int | None = None) -> str:
        session = self.sessions.get(guild_id)
        if session is None:
            return "I'm not in a voice channel on this server."
        if user_id is not None and session.user.user_id != str(user_id):
            return "Only the candidate in the voice interview can end it."
        self.sessions.pop(guild_id, None)
        if session.listener is not None:
            session.listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await session.listener
        with contextlib.suppress(Exception):
            await self.receiver.stop()
        with contextlib.suppress(Exception):
            await session.client.disconnect(force=True)
        return "Left the voice channel. The interview carries on in the thread."

    # ------------------------------------------------------------------ speaking
    async def on_replies(
        self, replies: list[Reply], user: UserRef, conversation: ConversationRef
    ) -> None:
        """The interview cog's hook: speak new questions; leave when the recap arrives."""
        guild_id = guild_id_of(conversation)
        session = self.sessions.get(guild_id) if guild_id is not None else None
        if session is None or session.conversation.key != conversation.key:
            return
        if any(r.kind is ReplyKind.RECAP for r in replies) or not any(
            r.kind is ReplyKind.QUESTION for r in replies
        ):
            if any(r.kind is ReplyKind.RECAP for r in replies):
                await self.leave(session.guild_id)
            return
        question = next(r for r in replies if r.kind is ReplyKind.QUESTION)
        await self.speak(session, question.text)

    async def speak(self, session: GuildVoice, text: str) -> None:
        """Play ``text`` sentence by sentence, then listen; prepare the plan's next question."""
        _, voice = self.speech()
        async with session.speaking:
            session.listening.clear()
            try:
                await self._play(session.client, voice, text)
            except Exception:
                log.exception("speaking in guild %s failed", session.guild_id)
                await self._post(
                    session.conversation,
                    "🎙️ I couldn't speak that question (see it above). "
                    "You can still answer by voice or in text.",
                )
            finally:
                session.listening.set()
        record = await self.bot.engine.store.active_session(
            session.user.key, session.conversation.key
        )
        upcoming = next_question_text(record) if record is not None else None
        if upcoming:
            voice.prefetch(upcoming)

    @staticmethod
    async def _play(client: Any, voice: QuestionVoice, text: str) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished(error: Exception | None) -> None:
            def settle() -> None:
                if done.done():
                    return
                if error is not None:
                    done.set_exception(error)
                else:
                    done.set_result(None)

            loop.call_soon_threadsafe(settle)

        source = StreamingPCM()
        started = False
        try:
            async for pcm in voice.stream(text):
                source.put(pcm)
                if not started:
                    if client.is_playing():
                        client.stop()
                    client.play(source, after=finished)
                    started = True
        finally:
            source.finish()
        if started:
            await done

    # ------------------------------------------------------------------ listening
    async def _listen(self, session: GuildVoice) -> None:
        """Answer after answer from the candidate's audio until the session ends."""
        stt, _ = self.speech()
        try:
            chunks = self.receiver.listen(session.client, int(session.user.user_id)).__aiter__()
        except VoiceReceiveUnavailable as exc:
            await self._post(session.conversation, f"🎙️ {exc}.".replace("..", "."))
            return
        turns = TurnConfig.from_speech(self.config)
        try:
            while session.guild_id in self.sessions:
                while not session.listening.is_set():
                    # The bot is speaking: keep draining, so what was said over the question
                    # never counts as the answer (the stream yields at least every 0.15 s).
                    await chunks.__anext__()
                await self._one_answer(session, stt, chunks, turns)
        except StopAsyncIteration:
            await self._post(
                session.conversation,
                "🎙️ I stopped hearing the voice channel. " + TEXT_FALLBACK,
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("voice listening failed in guild %s", session.guild_id)
            await self._post(
                session.conversation,
                "🎙️ Listening in the voice channel failed (it is experimental). " + TEXT_FALLBACK,
            )

    async def _one_answer(
        self, session: GuildVoice, stt: WhisperSTT, chunks: Any, turns: TurnConfig
    ) -> None:
        partial: dict[str, Any] = {}

        async def show(text: str) -> None:
            message = partial.get("message")
            content = f"🎙️ (hearing…) {text}"[:1900]
            if message is None:
                partial["message"] = await self._post(session.conversation, content)
            else:
                await message.edit(content=content)

        live = LiveAnswer(
            stt.segments(), SileroVAD(), vocabulary=session.vocabulary, turns=turns, on_partial=show
        )
        try:
            while True:
                chunk = await chunks.__anext__()
                if not session.listening.is_set():
                    continue  # the bot is speaking: the candidate's audio is not an answer yet
                if await live.feed(chunk) is not None:
                    break
            try:
                transcript = await live.finish()
            except AudioError:
                return  # nothing said (the policy released a silent turn): keep listening
        finally:
            await live.cancel()
        answer = spoken_answer(transcript)
        line = f"🎙️ {transcript.text}"
        if answer.delivery is not None:
            line += f"\n-# {delivery_metrics(transcript.words).summary()}"
        message = partial.get("message")
        if message is not None:
            with contextlib.suppress(discord.HTTPException):
                await message.edit(content=line[:1900])
        else:
            await self._post(session.conversation, line[:1900])
        session.listening.clear()
        event = (
            event_for_text(session.user, session.conversation, answer.text)
            if answer.is_command
            else IncomingEvent.spoken(
                session.user, session.conversation, answer.text, answer.delivery
            )
        )
        # Handled on its own task: the next question is spoken from the interview cog's hook,
        # while this task keeps draining the candidate's audio.
        session.submitting = asyncio.create_task(self._submit(session, event))

    async def _submit(self, session: GuildVoice, event: IncomingEvent) -> None:
        try:
            await self.interview.deliver_answer(event)
        except Exception:
            log.exception("voice answer in %s failed", session.conversation.key)
            await self._post(
                session.conversation,
                "🎙️ Sorry, I couldn't record that answer. Please say it again or type it here.",
            )
        finally:
            if session.guild_id in self.sessions and not session.speaking.locked():
                session.listening.set()  # nothing was spoken (a notice, an error): listen again


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(VoiceCog(bot))
