"""Text to speech: espeak-ng and piper synthesize, the chain falls back (edge-tts offline, a
tampered piper voice), the cache is bounded, output is converted for Discord and files."""

from __future__ import annotations

import wave
from io import BytesIO
from pathlib import Path

import pytest

from bot.ports import AudioClip
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.errors import SpeechUnavailable
from bot.speech.models import PIPER_JOE_MEDIUM, ModelFiles
from bot.speech.tts import (
    EdgeTTS,
    EspeakTTS,
    PiperTTS,
    SpeechSynthesizer,
    build_tts,
    engine_chain,
    speakable,
)
from tests.test_speech_support import needs_audio, needs_piper


class Failing:
    """An engine that fails like edge-tts does offline (no socket is ever opened)."""

    name = "edge"
    voice = "en-US-AriaNeural"

    def __init__(self) -> None:
        self.calls = 0

    async def synthesize(self, text: str) -> AudioClip:
        self.calls += 1
        raise OSError("Cannot connect to host speech.platform.bing.com:443")


class Counting:
    name = "fake"
    voice = "v1"

    def __init__(self) -> None:
        self.calls = 0

    async def synthesize(self, text: str) -> AudioClip:
        self.calls += 1
        return AudioClip(b"\x01\x00" * 1600, 16_000)


@needs_audio
async def test_espeak_speaks() -> None:
    clip = await EspeakTTS().synthesize("-rf is not an option, it is a question.")
    assert clip.format == "s16le" and clip.sample_rate == 22_050 and clip.channels == 1
    assert audio.clip_seconds(clip) > 1.0


@needs_audio
@needs_piper
async def test_piper_speaks_with_the_verified_bundled_voice() -> None:
    piper = PiperTTS()
    clip = await piper.synthesize("Tell me about a project you are proud of.")
    assert clip.sample_rate == 22_050 and audio.clip_seconds(clip) > 1.0
    assert piper.voice == "en_US-joe-medium"


@needs_audio
async def test_offline_edge_falls_back_and_is_skipped_for_a_while() -> None:
    edge, fallback = Failing(), EspeakTTS()
    tts = SpeechSynthesizer([edge, fallback])
    clip = await tts.synthesize("What did you learn?")
    assert tts.last_engine == "espeak" and audio.clip_seconds(clip) > 0.5
    await tts.synthesize("Another question?")
    assert edge.calls == 1, "a failed engine is not retried on every question"


async def test_all_engines_failing_is_speech_unavailable() -> None:
    with pytest.raises(SpeechUnavailable, match="No text-to-speech engine worked"):
        await SpeechSynthesizer([Failing()]).synthesize("Hello")


async def test_cache_is_keyed_and_bounded() -> None:
    engine = Counting()
    tts = SpeechSynthesizer([engine], cache_items=2)
    await tts.synthesize("one")
    await tts.synthesize("one  ")  # same text once whitespace is normalised
    assert engine.calls == 1 and tts.hits == 1
    await tts.synthesize("two")
    await tts.synthesize("three")
    await tts.synthesize("one")  # evicted (least recently used)
    assert engine.calls == 4
    engine.voice = "v2"
    await tts.synthesize("three")  # another voice is another entry
    assert engine.calls == 5


@needs_audio
@needs_piper
async def test_tampered_piper_voice_is_refused_and_espeak_speaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = PIPER_JOE_MEDIUM.locate()
    assert original is not None
    (tmp_path / "en_US-joe-medium.onnx").symlink_to(original / "en_US-joe-medium.onnx")
    config = (original / "en_US-joe-medium.onnx.json").read_text()
    (tmp_path / "en_US-joe-medium.onnx.json").write_text(config.replace("22050", "44100"))
    monkeypatch.setattr(ModelFiles, "locate", lambda self: tmp_path)
    tts = build_tts(SpeechConfig(tts_engine="piper"))
    await tts.synthesize("Why do you want this job?")
    assert tts.last_engine == "espeak"


def test_engine_choice() -> None:
    names = lambda engine: [e.name for e in engine_chain(SpeechConfig(), engine)]  # noqa: E731
    assert names("auto") == ["piper", "espeak"]
    assert names("edge") == ["edge", "piper", "espeak"]
    assert names("espeak") == ["espeak"]
    assert isinstance(engine_chain(SpeechConfig(), "edge")[0], EdgeTTS)


@needs_audio
def test_conversions_for_discord_and_files(tmp_path: Path) -> None:
    clip = AudioClip(b"\x10\x00\xf0\xff" * 11_025, 22_050)  # 1 s, 22.05 kHz mono
    pcm = audio.to_discord(clip)
    assert len(pcm) == pytest.approx(48_000 * 2 * 2, rel=0.01)
    with wave.open(BytesIO(audio.wav_bytes(clip))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (22_050, 1, 22_050)
    mp3 = audio.write_audio(clip, tmp_path / "q.mp3")
    assert audio.decode(mp3).sample_rate == 16_000


def test_speakable_question_text() -> None:
    text = (
        "Question 3 of 8 — Technical · Go\nHow does **Go** schedule goroutines?\n```go\ngo f()\n```"
    )
    assert (
        speakable(text) == "Question 3. How does Go schedule goroutines? (the code is in the chat)"
    )
    assert speakable("Follow-up — What changed?") == "What changed?"
