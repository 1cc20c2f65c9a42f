"""The low-latency voice path: answers recognised segment by segment while they are spoken, and
questions spoken sentence by sentence with the plan's next question prepared in advance."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.engine import InterviewEngine
from bot.events import IncomingEvent, ReplyKind
from bot.ports import AudioClip, Transcript, Word
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, AudioProblem
from bot.speech.live import LiveAnswer
from bot.speech.speaker import QuestionVoice, next_question_text, sentences
from bot.speech.stt import WhisperSTT
from bot.speech.turns import EndReason, SileroVAD, TurnConfig
from bot.store.sqlite import SQLiteStore
from tests.conftest import CONV, USER, start_event
from tests.test_speech_support import espeak_clip, hits, needs_stt, silence

SECOND = audio.STT_RATE * 2


class ScriptedVAD:
    """Speech wherever the PCM is non-zero (exact, so segmentation rules are tested alone)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.pending = b""

    def frames(self, pcm: bytes) -> list[tuple[float, bool]]:
        out = []
        step = 512 * 2
        data = self.pending + pcm
        usable = len(data) - len(data) % step
        self.pending = data[usable:]
        for i in range(0, usable, step):
            self.t += 0.032
            out.append((round(self.t, 4), any(data[i : i + step])))
        return out


class RecordingSTT:
    """Returns one word per segment, timed at the segment's start, and records what it got."""

    def __init__(self) -> None:
        self.clips: list[float] = []

    async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript:
        await asyncio.sleep(0)
        seconds = audio.clip_seconds(clip)
        if not any(clip.data):
            raise AudioError(AudioProblem.SILENT, "silent")
        self.clips.append(round(seconds, 2))
        word = f"part{len(self.clips)}"
        return Transcript(word, (Word(word, 0.1, 0.5),), "en", seconds, "fake")


def tone(seconds: float) -> bytes:
    return b"\x10\x27" * int(seconds * audio.STT_RATE)


async def feed_all(live: LiveAnswer, pcm: bytes, chunk_s: float = 0.1) -> None:
    step = int(chunk_s * audio.STT_RATE) * 2
    for i in range(0, len(pcm), step):
        if await live.feed(pcm[i : i + step]) is not None:
            return


async def test_segments_close_at_pauses_and_only_the_tail_is_left() -> None:
    stt = RecordingSTT()
    partials: list[str] = []

    async def partial(text: str) -> None:
        partials.append(text)

    live = LiveAnswer(
        stt,
        ScriptedVAD(),
        turns=TurnConfig(end_silence_s=1.5, min_answer_s=1.0),
        on_partial=partial,
    )
    # 2 s speech, 0.7 s pause, 0.4 s speech (too short alone), 0.3 s pause (too short to cut),
    # 1.6 s speech, then silence until the policy ends the answer.
    pcm = tone(2) + silence(0.7) + tone(0.4) + silence(0.3) + tone(1.6) + silence(3)
    await feed_all(live, pcm)
    assert live.ended is not None and live.ended.reason is EndReason.SILENCE
    before_finish = live.segments_started
    transcript = await live.finish()
    assert before_finish == 2, "both segments were sent before the decision: no tail left"
    assert live.segments_started == 2
    assert stt.clips[0] == pytest.approx(2.2, abs=0.1), "cut 0.2 s after the last word"
    assert transcript.text == "part1 part2"
    assert partials == ["part1", "part1 part2"]
    # Word times count from the start of listening, so delivery sees real gaps.
    assert transcript.words[1].start == pytest.approx(stt.clips[0] + 0.1, abs=0.05)


async def test_unfinished_speech_at_the_decision_is_recognised_as_the_tail() -> None:
    stt = RecordingSTT()
    live = LiveAnswer(stt, ScriptedVAD(), turns=TurnConfig(max_answer_s=6, min_answer_s=0))
    await feed_all(live, tone(7))
    assert live.ended is not None and live.ended.reason is EndReason.MAX_LENGTH
    assert live.segments_started == 0
    transcript = await live.finish()
    assert transcript.text == "part1" and stt.clips == [pytest.approx(6.0, abs=0.1)]


async def test_silence_only_is_no_speech() -> None:
    live = LiveAnswer(RecordingSTT(), ScriptedVAD(), turns=TurnConfig(min_answer_s=0))
    await feed_all(live, silence(2))
    with pytest.raises(AudioError) as caught:
        await live.finish()
    assert caught.value.problem is AudioProblem.NO_SPEECH


@needs_stt
async def test_live_answer_with_silero_and_whisper() -> None:
    """Real VAD and tiny.en on espeak speech with natural pauses: the answer is recognised in
    segments during the answer and the job's vocabulary still applies."""
    parts = [
        "I moved our payments service to Kubernetes.",
        "We kept the ledger in PostgreSQL.",
        "Deploys got twice as fast.",
    ]
    pcm = b"".join(
        audio.to_pcm(espeak_clip(p), audio.STT_RATE, 1) + silence(0.9) for p in parts
    ) + silence(2.5)
    stt = WhisperSTT(SpeechConfig(stt_threads=2))
    try:
        live = LiveAnswer(
            stt.segments(),
            SileroVAD(),
            vocabulary=["Kubernetes", "PostgreSQL"],
            turns=TurnConfig(min_answer_s=1.0),
        )
        step = SECOND // 10
        for i in range(0, len(pcm), step):
            if await live.feed(pcm[i : i + step]) is not None:
                break
        assert live.ended is not None and live.ended.reason is EndReason.SILENCE
        assert live.segments_started >= 2
        transcript = await live.finish()
    finally:
        stt.close()
    assert hits(transcript.text, ["Kubernetes", "PostgreSQL", "ledger", "fast"]) >= 3
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts) and starts[-1] > 4.0


def test_sentences_split_for_early_playback() -> None:
    text = "Question 3 of 8 — Behavioral · Ownership\nTell me about a time. So. What did you do?"
    assert sentences(text) == ["Question 3.", "Tell me about a time.", "So. What did you do?"]
    assert sentences("One short line") == ["One short line"]


class CountingTTS:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def synthesize(self, text: str) -> AudioClip:
        self.calls.append(text)
        await asyncio.sleep(0.01)
        return AudioClip(text.encode()[:8].ljust(8, b"\x01"), 16_000)


async def test_question_voice_prefetches_once_and_streams_in_order() -> None:
    tts = CountingTTS()
    voice = QuestionVoice(tts, convert=lambda clip: clip.data)
    voice.prefetch("Question 2.\nDescribe a design you owned. How did it scale?")
    chunks = [
        c async for c in voice.stream("Question 2.\nDescribe a design you owned. How did it scale?")
    ]
    assert tts.calls == ["Question 2.", "Describe a design you owned.", "How did it scale?"]
    assert chunks == [b"Question", b"Describe", b"How did "]
    await voice.render("Question 2.\nAnything else?")  # the header is cached too
    assert tts.calls[-1] == "Anything else?" and tts.calls.count("Question 2.") == 1
    voice.close()


async def test_predicted_next_question_is_what_the_engine_asks(
    engine: InterviewEngine, store: SQLiteStore
) -> None:
    await engine.handle(start_event(auto_begin="yes"))
    matched = 0
    for _ in range(12):
        session = await store.active_session(USER.key, CONV.key)
        if session is None:
            break
        predicted = next_question_text(session)
        replies = await engine.handle(
            IncomingEvent.say(
                USER,
                CONV,
                "At my last job I owned the payments service in Python; I measured latency, "
                "added an index and cut p95 from 900 ms to 120 ms, which saved the launch.",
            )
        )
        question = next((r for r in replies if r.kind is ReplyKind.QUESTION), None)
        if question is None or question.follow_up:
            continue
        assert question.text == predicted
        matched += 1
    assert matched >= 2


def test_in_process_resampling_keeps_level_and_length() -> None:
    import numpy as np

    tone_22k = (np.sin(np.arange(22_050) * 2 * np.pi * 440 / 22_050) * 12_000).astype(np.int16)
    pcm = audio.to_discord(AudioClip(tone_22k.tobytes(), 22_050, 1))
    stereo = np.frombuffer(pcm, np.int16).reshape(-1, 2)
    assert len(stereo) == pytest.approx(48_000, abs=50)
    assert (stereo[:, 0] == stereo[:, 1]).all()
    assert abs(int(np.abs(stereo).max()) - 12_000) < 300, "no 3 dB drop from remixing"


def test_short_window_covers_the_content_plus_a_margin() -> None:
    import numpy as np

    from bot.speech.stt import short_window_frames

    features = np.zeros((80, 3000), np.float32)
    features[:, :250] = -0.5  # 2.5 s of log-mel content, then faster-whisper's zero padding
    assert short_window_frames(features) == 1000, "at least 10 s: shorter windows loop"
    features[:, :1501] = -0.5
    assert short_window_frames(features[None]) == 1802, "content + 3 s, even"
    features[:, :2950] = -0.5
    assert short_window_frames(features) == 3000, "never more than whisper's window"
    assert short_window_frames(np.zeros((80, 3000), np.float32)) == 3000, "unknown: the full window"


def test_looped_text_is_recognised_for_a_full_window_retry() -> None:
    from bot.speech.stt import looks_looped

    assert looks_looped("I profiled the service. " * 6)
    assert not looks_looped(
        "In my previous team our deploys failed every week. My task was to make them reliable, "
        "so I added a staging check and wrote a rollback script in Python."
    )


async def test_stray_punctuation_segments_do_not_reach_the_answer() -> None:
    class Dotty(RecordingSTT):
        async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript:
            first = await super().transcribe(clip, vocabulary)
            text = f"{first.text}. ." if len(self.clips) == 1 else ". . ."
            return Transcript(text, first.words, "en", first.duration, "fake")

    live = LiveAnswer(Dotty(), ScriptedVAD(), turns=TurnConfig(end_silence_s=1.5, min_answer_s=1))
    await feed_all(live, tone(2) + silence(0.7) + tone(1.5) + silence(3))
    assert (await live.finish()).text == "part1."
