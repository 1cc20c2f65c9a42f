"""The voice paths end to end: Discord's send source and the Opus frame path, voice receive's
clear refusal, ``transcribe --json`` / ``say`` as subprocesses, and the audio-file console."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ports import AudioClip
from bot.speech import audio
from tests.test_speech_support import espeak_wav, hits, needs_audio, needs_stt

discord = pytest.importorskip("discord")
voice = pytest.importorskip("adapters.discord.voice")

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "adapters.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STT_", "TTS_", "LLM_"))}
    env.update(
        INTERVIEW_BOT_DATA_DIR=str(tmp_path / "data"),
        TTS_ENGINE="espeak",
        STT_THREADS="2",
        HF_HUB_OFFLINE="1",
    )
    return env


def test_audio_source_yields_20ms_frames() -> None:
    pcm = bytes(range(256)) * 30  # 7680 bytes: two frames exactly, then 1 byte short of a third
    source = voice.PCMFrames(pcm + b"\x01\x02\x03\x04" * 100)
    frames = []
    while frame := source.read():
        frames.append(frame)
    assert [len(f) for f in frames] == [3840, 3840, 3840]
    assert frames[0] + frames[1] == pcm
    assert frames[2].endswith(b"\x00" * 100), "the last frame is padded with silence"
    assert not source.is_opus() and voice.FRAME_BYTES == 3840


@needs_stt
async def test_speech_through_opus_frames_is_understood() -> None:
    """TTS -> 48 kHz stereo 20 ms frames (what Discord plays) -> Opus packets -> decoded back ->
    recogniser: the frame path a voice channel carries, both ways."""
    opus = discord.opus
    if not opus.is_loaded() and not opus._load_default():
        pytest.skip("libopus is not available")
    clip = audio.read_wav(espeak_wav("I migrated the database to PostgreSQL without downtime."))
    source = voice.PCMFrames.from_clip(clip)
    encoder, decoder = opus.Encoder(), opus.Decoder()
    decoded = bytearray()
    packets = 0
    while frame := source.read():
        packet = encoder.encode(frame, encoder.SAMPLES_PER_FRAME)
        assert 0 < len(packet) < len(frame)
        packets += 1
        decoded += decoder.decode(packet)
    assert packets == pytest.approx(source.duration_s * 50, abs=1)
    from bot.speech.stt import WhisperSTT

    stt = WhisperSTT()
    try:
        transcript = await stt.transcribe(AudioClip(bytes(decoded), 48_000, 2), ["PostgreSQL"])
    finally:
        stt.close()
    assert hits(transcript.text, ["migrated", "database", "PostgreSQL", "downtime"]) >= 3


async def test_voice_receive_is_refused_clearly() -> None:
    receiver = voice.UnavailableReceiver()
    with pytest.raises(voice.VoiceReceiveUnavailable, match="answer in the thread"):
        receiver.listen(object(), 1)
    await receiver.stop()


@needs_stt
def test_say_and_transcribe_commands(tmp_path: Path) -> None:
    out = tmp_path / "q.wav"
    text = "Describe a time you improved the reliability of a service."
    said = subprocess.run(
        [*CLI, "say", text, "-o", str(out), "--engine", "espeak"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert said.returncode == 0, said.stderr
    assert "espeak" in said.stdout and out.read_bytes()[:4] == b"RIFF"
    done = subprocess.run(
        [*CLI, "transcribe", str(out), "--json", "--vocabulary", "reliability"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"text", "words", "language", "model", "duration"} <= set(data)
    assert hits(data["text"], ["time", "improved", "reliability", "service"]) >= 3
    assert data["model"] == "tiny.en" and data["language"] == "en"
    assert all({"word", "start", "end"} == set(w) for w in data["words"])
    bad = tmp_path / "notes.mp3"
    bad.write_text("not audio at all\n" * 20)
    refused = subprocess.run(
        [*CLI, "transcribe", str(bad), "--json"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["problem"] == "unsupported"


@needs_stt
@needs_audio
def test_console_with_audio_answers_end_to_end(tmp_path: Path) -> None:
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "01-first.wav").write_bytes(
        espeak_wav(
            "In my last job I built a payment service in Python with PostgreSQL and Kafka. "
            "I designed the schema, wrote the consumers and cut the latency by half."
        )
    )
    second = tmp_path / "second.wav"
    second.write_bytes(espeak_wav("Next question."))
    audio.write_audio(audio.read_wav(second.read_bytes()), answers / "02-second.mp3")
    (answers / "notes.txt").write_text("ignored: not audio")
    questions = tmp_path / "questions"
    session = tmp_path / "session.json"
    done = subprocess.run(
        [
            *CLI,
            "--db",
            str(tmp_path / "bot.sqlite3"),
            "console",
            "--sample",
            "backend-engineer-senior",
            "--length",
            "short",
            "--voice-in",
            str(answers),
            "--voice-out",
            str(questions),
            "--json",
            str(session),
        ],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[01-first.wav]" in done.stdout and "wpm" in done.stdout
    spoken = sorted(p.name for p in questions.iterdir())
    assert len(spoken) >= 2 and spoken[0].startswith("01-") and spoken[0].endswith(".wav")
    assert audio.decode(questions / spoken[0]).data
    turns = json.loads(session.read_text())["turns"]
    assert hits(turns[0]["answer"], ["payment", "Python", "PostgreSQL", "Kafka"]) >= 3
    # A recording saying only "next question" acts as /skip: the next planned question follows.
    after = done.stdout.split("[02-second.mp3]", 1)[1]
    assert "Question 2 of" in after
