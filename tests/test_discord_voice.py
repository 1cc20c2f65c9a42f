"""Discord voice: the receive path (library sink -> DAVE step -> Opus decoder -> VAD -> STT) fed
with real Opus packets, the streaming send source, and ``/interview voice``'s refusals and text
fallbacks in the cog."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from bot.community.scope import scope_key
from bot.engine import InterviewEngine
from bot.events import Command, ConversationRef, IncomingEvent, UserRef
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.live import LiveAnswer
from bot.speech.stt import WhisperSTT
from bot.speech.turns import EndReason, SileroVAD, TurnConfig
from bot.store.sqlite import SQLiteStore
from tests.conftest import JD_TEXT
from tests.test_speech_support import espeak_clip, hits, needs_audio, needs_stt

discord = pytest.importorskip("discord")
voice = pytest.importorskip("adapters.discord.voice")
cog_module = pytest.importorskip("cogs.voice")

CANDIDATE = 4242
STRANGER = 777
GUILD = 9000
THREAD = 9100


def opus_packets(text: str) -> list[bytes]:
    """``text`` spoken by espeak-ng, as Discord carries it: 20 ms Opus packets of 48 kHz stereo."""
    opus = discord.opus
    if not opus.is_loaded() and not opus._load_default():
        pytest.skip("libopus is not available")
    source = voice.PCMFrames.from_clip(espeak_clip(text))
    encoder = opus.Encoder()
    packets = []
    while frame := source.read():
        packets.append(encoder.encode(frame, encoder.SAMPLES_PER_FRAME))
    return packets


class XorDave:
    """Stands in for the connection's davey session: 'encrypts' by XOR and checks it is asked
    for the right user and media type (a real MLS group needs Discord's voice gateway)."""

    ready = True

    def __init__(self) -> None:
        self.calls = 0

    @staticmethod
    def seal(payload: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in payload)

    def decrypt(self, user_id: int, media_type: Any, packet: bytes) -> bytes:
        import davey

        assert media_type == davey.MediaType.audio
        if user_id != CANDIDATE:
            raise RuntimeError("no key for this user")
        self.calls += 1
        return self.seal(packet)

    def can_passthrough(self, user_id: int) -> bool:
        return False


def push_from_thread(sink: Any, packets: list[tuple[int, bytes]]) -> threading.Thread:
    """The library calls ``sink.write`` on its own thread: do the same."""

    def run() -> None:
        for user_id, packet in packets:
            data = SimpleNamespace(opus=packet, packet=None, source=None, pcm=b"")
            sink.write(SimpleNamespace(id=user_id), data)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@needs_stt
async def test_candidate_audio_through_our_receive_path_is_transcribed() -> None:
    """Opus packets of two speakers, DAVE-sealed, through our sink: only the candidate's are
    decrypted, decoded, heard by the VAD and recognised; the answer ends on the silence that
    Discord does not send (filled in on the clock)."""
    pytest.importorskip("discord.ext.voice_recv")
    dave = XorDave()
    candidate = opus_packets("I moved the payments service to Kubernetes last year.")
    stranger = opus_packets("Bananas are yellow and grow in warm places.")
    mixed: list[tuple[int, bytes]] = []
    for i in range(max(len(candidate), len(stranger))):
        if i < len(candidate):
            mixed.append((CANDIDATE, XorDave.seal(candidate[i])))
        if i < len(stranger):
            mixed.append((STRANGER, XorDave.seal(stranger[i])))
    mixed += [(CANDIDATE, voice.OPUS_SILENCE)] * 5  # what clients send before going quiet

    receiver = voice.VoiceRecvReceiver()
    stream = voice.CandidateStream(
        CANDIDATE, asyncio.get_running_loop(), voice.DaveStep(lambda: dave)
    )
    sink = receiver.sink_for(stream)
    assert sink.wants_opus(), "the library must hand us Opus so DAVE comes before decoding"
    stt = WhisperSTT(SpeechConfig(stt_threads=2))
    live = LiveAnswer(
        stt.segments(), SileroVAD(), vocabulary=["Kubernetes"], turns=TurnConfig(min_answer_s=1.0)
    )
    thread = push_from_thread(sink, mixed)
    try:
        chunks = stream.chunks()
        end = None
        async with asyncio.timeout(60):
            async for chunk in chunks:
                end = await live.feed(chunk)
                if end is not None:
                    break
        transcript = await live.finish()
    finally:
        thread.join()
        sink.cleanup()
        stt.close()
    assert end is not None and end.reason is EndReason.SILENCE
    assert dave.calls == len(candidate), "every candidate packet went through the DAVE step"
    assert hits(transcript.text, ["payments", "Kubernetes", "year"]) >= 2, transcript.text
    assert "banana" not in transcript.text.lower(), "only the candidate is transcribed"


@needs_audio
async def test_dave_failures_are_dropped_not_decoded() -> None:
    class Broken(XorDave):
        def decrypt(self, user_id: int, media_type: Any, packet: bytes) -> bytes:
            raise RuntimeError("UnencryptedWhenPassthroughDisabled")

    step = voice.DaveStep(lambda: Broken())
    assert step(CANDIDATE, b"\x01\x02\x03") is None and step.dropped == 1
    assert step(CANDIDATE, voice.OPUS_SILENCE) == voice.OPUS_SILENCE
    passthrough = Broken()
    passthrough.can_passthrough = lambda user_id: True  # type: ignore[method-assign]
    assert voice.DaveStep(lambda: passthrough)(CANDIDATE, b"plain") == b"plain"
    assert voice.DaveStep(lambda: None)(CANDIDATE, b"plain") == b"plain", "no DAVE on this call"

    # Undecodable packets (ciphertext that slipped through) are dropped by the stream.
    stream = voice.CandidateStream(CANDIDATE, asyncio.get_running_loop())
    stream.push(CANDIDATE, b"\xff" * 40)
    stream.push(STRANGER, opus_packets("hello")[0])
    assert stream.packets == 0


def test_streaming_source_yields_whole_20ms_frames_as_pieces_arrive() -> None:
    source = voice.StreamingPCM(wait_s=1.0)
    first, second = bytes(range(256)) * 20, b"\x07\x00" * 3001  # 5120 bytes, then 6002
    source.put(first)
    source.put(second)
    source.finish()
    frames = []
    while frame := source.read():
        frames.append(frame)
    assert all(len(f) == voice.FRAME_BYTES == 3840 for f in frames)
    joined = b"".join(frames)
    assert joined.startswith(first + second[:6000]) and len(frames) == 3
    assert joined[len(first) + 6000 :] == b"\x00" * (len(joined) - len(first) - 6000)
    assert source.read() == b"", "ended for good"


# ------------------------------------------------------------------------------ the cog
class FakeRoom:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, content: str, **_: Any) -> Any:
        self.sent.append(content)
        return SimpleNamespace(edit=self._edit)

    async def _edit(self, content: str) -> None:
        self.sent.append(content)


class FakeVoiceClient:
    """Plays a source the way discord.py's player does: ``read`` until empty, on a thread."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.disconnected = False

    def is_playing(self) -> bool:
        return False

    def stop(self) -> None:
        return None

    def play(self, source: Any, *, after: Any) -> None:
        def run() -> None:
            while frame := source.read():
                self.frames.append(len(frame))
            after(None)

        threading.Thread(target=run).start()

    async def disconnect(self, *, force: bool = False) -> None:
        self.disconnected = True


class FakeChannel:
    name = "Interview room"

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.client = FakeVoiceClient()
        self.connects = 0

    async def connect(self, **_: Any) -> FakeVoiceClient:
        self.connects += 1
        if self.error is not None:
            raise self.error
        return self.client


class NoReceive:
    client_class = object

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]:
        raise voice.VoiceReceiveUnavailable(voice.RECEIVE_UNAVAILABLE)

    async def stop(self) -> None:
        return None


USER = UserRef("discord", str(CANDIDATE), "Candidate")
ROOM = ConversationRef("discord", str(GUILD), str(THREAD))


@pytest.fixture
async def cog(engine: InterviewEngine) -> AsyncIterator[Any]:
    room = FakeRoom()
    bot = SimpleNamespace(
        engine=engine,
        settings=None,
        get_cog=lambda name: None,
        get_partial_messageable=lambda *a, **k: room,
    )
    voice_cog = cog_module.VoiceCog(
        bot, receiver=NoReceive(), config=SpeechConfig(tts_engine="espeak", stt_threads=1)
    )
    voice_cog.room = room
    yield voice_cog
    await voice_cog.cog_unload()


async def started(engine: InterviewEngine) -> None:
    await engine.handle(IncomingEvent.do(USER, ROOM, Command.START, JD_TEXT, auto_begin="yes"))


class ClosedSocket:
    close_code = 4017


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (discord.ConnectionClosed(ClosedSocket(), shard_id=None, code=4017), "close code 4017"),
        (RuntimeError("boom"), "something went wrong (RuntimeError)"),
        (TimeoutError(), "timed out"),
    ],
)
async def test_join_failure_falls_back_to_text_in_the_thread(
    cog: Any, engine: InterviewEngine, error: BaseException, expected: str
) -> None:
    await started(engine)
    channel = FakeChannel(error)
    text = await cog.join(GUILD, USER, ROOM, channel)
    assert channel.connects == 1 and expected in text and "type your answers" in text
    assert cog.room.sent == [text], "the thread says why and how to carry on"
    assert GUILD not in cog.sessions


async def test_voice_not_allowed_on_the_server_is_refused(
    cog: Any, engine: InterviewEngine, store: SQLiteStore
) -> None:
    await started(engine)
    await store.put_scope_settings(scope_key("discord", str(GUILD)), {"voice_allowed": False}, 1.0)
    channel = FakeChannel()
    text = await cog.join(GUILD, USER, ROOM, channel)
    assert text == cog_module.VOICE_OFF and "turned off on this server" in text
    assert channel.connects == 0 and not cog.room.sent


async def test_needs_a_voice_channel_and_a_started_interview(
    cog: Any, engine: InterviewEngine
) -> None:
    assert "has started" in await cog.join(GUILD, USER, ROOM, FakeChannel())
    await started(engine)
    assert "Join a voice channel first" in await cog.join(GUILD, USER, ROOM, None)


@needs_audio
async def test_joined_bot_speaks_the_question_and_says_listening_is_unavailable(
    cog: Any, engine: InterviewEngine
) -> None:
    await started(engine)
    channel = FakeChannel()
    text = await cog.join(GUILD, USER, ROOM, channel)
    assert text == "Joined your voice channel."
    assert channel.client.frames and set(channel.client.frames) == {3840}
    assert len(channel.client.frames) > 50, "a whole question, at least a second of speech"
    await asyncio.sleep(0.1)
    assert any("Voice on in **Interview room**" in m for m in cog.room.sent)
    assert any("please answer in the thread" in m for m in cog.room.sent)
    other = UserRef("discord", "5", "Other")
    assert await cog.join(GUILD, other, ROOM, FakeChannel()) == cog_module.BUSY
    assert "Only the candidate" in await cog.leave(GUILD, user_id=5)
    assert "Left the voice channel" in await cog.leave(GUILD, user_id=CANDIDATE)
    assert channel.client.disconnected and GUILD not in cog.sessions


async def test_interview_voice_command_is_registered_with_discord(
    tmp_path: Any, backend_profile: Any, bank: Any
) -> None:
    """The real bot start-up (fake Discord API on loopback) syncs ``/interview voice`` with its
    join/leave choice, added to the interview cog's group by the voice cog."""
    from tests.fake_discord import FakeDiscord, Harness

    server = FakeDiscord()
    await server.start()
    harness = Harness(server, tmp_path / "bot.sqlite3", backend_profile, bank)
    try:
        await harness.start()
        synced = server.find("PUT", r"/applications/\d+/guilds/\d+/commands$")
        interview = next(c for c in synced[0].json if c["name"] == "interview")
        command = next(o for o in interview["options"] if o["name"] == "voice")
        action = command["options"][0]
        assert action["name"] == "action" and {c["value"] for c in action["choices"]} == {
            "join",
            "leave",
        }
    finally:
        await harness.stop()
        await server.stop()


class FakeInterviewCog:
    """The interview cog's two hooks the voice cog uses, on the real engine."""

    def __init__(self, engine: InterviewEngine) -> None:
        self.engine = engine
        self.reply_listeners: list[Any] = []
        self.events: list[IncomingEvent] = []

    async def deliver_answer(self, event: IncomingEvent) -> list[Any]:
        self.events.append(event)
        replies = await self.engine.handle(event)
        for listener in self.reply_listeners:
            await listener(replies, event.user, event.conversation)
        return replies


class SpeakingCandidate:
    """A receiver whose candidate stays quiet until the bot listens, then answers once."""

    client_class = object

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.cog: Any = None

    async def _chunks(self) -> AsyncIterator[bytes]:
        step = int(0.1 * audio.STT_RATE) * 2
        quiet = b"\x00" * step
        while not self.cog.sessions[GUILD].listening.is_set():
            await asyncio.sleep(0.01)
            yield quiet
        for i in range(0, len(self.answer), step):
            await asyncio.sleep(0)
            yield self.answer[i : i + step]
        while True:
            await asyncio.sleep(0.01)
            yield quiet

    def listen(self, voice_client: Any, user_id: int) -> AsyncIterator[bytes]:
        assert user_id == CANDIDATE
        return self._chunks()

    async def stop(self) -> None:
        return None


@needs_stt
async def test_spoken_answer_reaches_the_engine_with_delivery(
    engine: InterviewEngine, store: SQLiteStore
) -> None:
    """/interview voice end to end in the cog: question spoken, the candidate's audio heard with
    partial transcripts in the thread, the transcript recorded as the answer with delivery
    metrics, and the next question spoken."""
    answer = audio.to_pcm(
        espeak_clip("I owned the payments service in Python and cut the latency in half."),
        audio.STT_RATE,
        1,
    )
    receiver = SpeakingCandidate(answer)
    room = FakeRoom()
    interview = FakeInterviewCog(engine)
    bot = SimpleNamespace(
        engine=engine,
        settings=None,
        get_cog=lambda name: interview if name == "Interview" else None,
        get_partial_messageable=lambda *a, **k: room,
    )
    config = SpeechConfig(tts_engine="espeak", stt_threads=2, min_answer_s=1.0)
    voice_cog = cog_module.VoiceCog(bot, receiver=receiver, config=config)
    receiver.cog = voice_cog
    interview.reply_listeners.append(voice_cog.on_replies)
    await started(engine)
    channel = FakeChannel()
    try:
        assert await voice_cog.join(GUILD, USER, ROOM, channel) == "Joined your voice channel."
        first_question = len(channel.client.frames)
        async with asyncio.timeout(90):
            while not interview.events or len(channel.client.frames) == first_question:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        record = await store.active_session(USER.key, ROOM.key)
        assert record is not None and record.turns
        turn = record.turns[0]
        assert hits(turn.answer, ["payments", "Python", "latency"]) >= 2, turn.answer
        assert turn.delivery is not None and turn.delivery.words >= 8
        assert any(m.startswith("🎙️ (hearing…)") for m in room.sent), "partial transcript"
        assert any(m.startswith("🎙️ I owned") or "payments" in m for m in room.sent)
        assert len(channel.client.frames) > first_question, "the next question was spoken"
    finally:
        await voice_cog.cog_unload()
