"""Speech to text with the packaged tiny.en model: synthesized speech in, key words out;
vocabulary biasing; model hash verification; broken audio gets typed errors."""

from __future__ import annotations

import os
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ports import AudioClip
from bot.settings import SettingsError, load_settings
from bot.speech import audio
from bot.speech.config import SpeechConfig, SpeechConfigError
from bot.speech.errors import AudioError, AudioProblem, ModelIntegrityError
from bot.speech.models import WHISPER_TINY_EN, ModelFiles, verify
from bot.speech.stt import WhisperSTT, resolve_model, vocabulary_prompt
from tests.test_speech_support import (
    espeak_clip,
    espeak_wav,
    hits,
    needs_audio,
    needs_stt,
    silence,
)


@pytest.fixture(scope="module")
def stt() -> Iterator[WhisperSTT]:
    engine = WhisperSTT(SpeechConfig(stt_threads=2))
    engine.load()
    yield engine
    engine.close()


@needs_stt
def test_packaged_model_is_the_default_and_verified() -> None:
    model, expected = resolve_model(SpeechConfig())
    assert expected is WHISPER_TINY_EN
    assert Path(model, "model.bin").is_file()


@needs_stt
async def test_transcribes_synthesized_speech(stt: WhisperSTT) -> None:
    clip = espeak_clip("I would use a queue to decouple the services and retry failed messages.")
    transcript = await stt.transcribe(clip)
    assert hits(transcript.text, ["queue", "services", "messages"]) >= 2, transcript.text
    assert transcript.model == "tiny.en" and transcript.language == "en"
    assert transcript.words, "word timestamps are kept"
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= transcript.duration + 0.5 for w in transcript.words)


@needs_stt
async def test_vocabulary_biasing_spells_the_job_skills(stt: WhisperSTT) -> None:
    wav = espeak_wav("I deployed the service on Kubernetes with a PostgreSQL database.")
    clip = AudioClip(wav, 0, format="wav")  # an encoded file, decoded by ffmpeg
    biased = await stt.transcribe(clip, ["Kubernetes", "PostgreSQL", "Rust"])
    assert hits(biased.text, ["Kubernetes", "PostgreSQL"]) == 2, biased.text


def test_vocabulary_prompt_is_bounded_and_deduplicated() -> None:
    prompt = vocabulary_prompt(["Rust", "rust", " Go\n", *[f"skill{i}" for i in range(99)]])
    assert prompt.count("Rust") == 1 and "Go" in prompt and "\n" not in prompt
    assert len(prompt) <= 400 and prompt.endswith(".")
    assert "Umm" in vocabulary_prompt([]), "fillers are primed so delivery metrics can count them"


@needs_stt
def test_tampered_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = WHISPER_TINY_EN.locate()
    assert original is not None
    copy = tmp_path / "model"
    copy.mkdir()
    for name in WHISPER_TINY_EN.sha256:
        (copy / name).symlink_to(original / name)
    (copy / "config.json").unlink()
    (copy / "config.json").write_bytes((original / "config.json").read_bytes() + b" ")
    with pytest.raises(ModelIntegrityError, match=r"config\.json"):
        WhisperSTT(model=str(copy), expected=WHISPER_TINY_EN).load()
    # The default resolution verifies too: a tampered installed package is refused.
    monkeypatch.setattr(ModelFiles, "locate", lambda self: copy)
    with pytest.raises(ModelIntegrityError, match="refusing"):
        resolve_model(SpeechConfig())
    (copy / "config.json").unlink()
    (copy / "config.json").symlink_to(original / "config.json")
    verify(copy, WHISPER_TINY_EN)  # the untouched files pass
    (copy / "vocabulary.txt").unlink()
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify(copy, WHISPER_TINY_EN)


@needs_stt
async def test_silence_is_a_clear_error(stt: WhisperSTT) -> None:
    with pytest.raises(AudioError) as caught:
        await stt.transcribe(AudioClip(silence(3.0), 16_000))
    assert caught.value.problem is AudioProblem.SILENT
    assert "silent" in caught.value.user_message


@needs_audio
@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", AudioProblem.EMPTY),
        (b"This is a text file renamed to answer.mp3\n" * 50, AudioProblem.UNSUPPORTED),
        (bytes(range(256)) * 40, AudioProblem.UNSUPPORTED),
    ],
)
def test_broken_audio_is_typed(data: bytes, problem: AudioProblem) -> None:
    with pytest.raises(AudioError) as caught:
        audio.decode(data)
    assert caught.value.problem is problem
    assert caught.value.user_message


@needs_audio
def test_truncated_m4a_is_damaged(tmp_path: Path) -> None:
    source = tmp_path / "answer.wav"
    source.write_bytes(espeak_wav("A short answer that will be cut off."))
    m4a = tmp_path / "answer.m4a"
    audio.write_audio(audio.read_wav(source.read_bytes()), m4a)
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(m4a.read_bytes()[: m4a.stat().st_size // 2])
    with pytest.raises(AudioError) as caught:
        audio.decode(cut)
    assert caught.value.problem is AudioProblem.DAMAGED


@needs_audio
def test_two_hour_recording_is_too_long_and_fast(tmp_path: Path) -> None:
    """A real 2-hour file (4 kHz 8-bit silence, 29 MB) is refused after decoding the first
    ten minutes only."""
    path = tmp_path / "two-hours.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(4000)
        out.writeframes(b"\x80" * (4000 * 7200))
    with pytest.raises(AudioError) as caught:
        audio.decode(path, max_seconds=600)
    assert caught.value.problem is AudioProblem.TOO_LONG
    assert "10 min" in caught.value.user_message
    with pytest.raises(AudioError) as big:
        audio.decode(path, max_bytes=1_000_000)
    assert big.value.problem is AudioProblem.TOO_LARGE


def test_speech_config_lists_every_problem() -> None:
    env = {"TTS_ENGINE": "polly", "STT_THREADS": "many", "VOICE_END_SILENCE": "0"}
    with pytest.raises(SpeechConfigError) as caught:
        SpeechConfig.from_env(env)
    message = str(caught.value)
    assert "TTS_ENGINE" in message and "STT_THREADS" in message and "VOICE_END_SILENCE" in message
    assert isinstance(caught.value, SettingsError), "the one combined settings error"
    config = SpeechConfig.from_env({"TTS_ENGINE": "piper", "VOICE_END_SILENCE": "2.5"})
    assert config.tts_engine == "piper" and config.end_silence_s == 2.5
    assert SpeechConfig.from_env({}).threads == min(4, os.cpu_count() or 1)


def test_speech_config_comes_from_settings(tmp_path: Path) -> None:
    """TOML keys and env vars both reach the speech pipeline through ``Settings``."""
    toml = tmp_path / "bot.toml"
    toml.write_text("[interview_bot]\nstt_beam_size = 3\nvoice_end_silence_s = 2.2\n")
    settings = load_settings({"TTS_ENGINE": "espeak", "STT_MODEL": "/models/base"}, toml)
    config = SpeechConfig.from_settings(settings)
    assert (config.stt_beam_size, config.end_silence_s) == (3, 2.2)
    assert (config.tts_engine, config.stt_model) == ("espeak", "/models/base")
    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_MAX_ANSWER": "1", "STT_BEAM_SIZE": "0"})
    assert "voice_max_answer_s" in str(caught.value) and "stt_beam_size" in str(caught.value)
