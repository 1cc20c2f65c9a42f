"""The speech pipeline's settings, taken from the application ``Settings``.

Speech variables (``STT_MODEL``, ``TTS_ENGINE``, ``VOICE_END_SILENCE``...) are declared and
validated in ``bot/settings.py`` with everything else, so a bad value shows up in the one combined
configuration error; this dataclass is the speech package's view of them, plus internal limits
that are not user settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import Settings, SettingsError, load_settings
from bot.speech.errors import SpeechUnavailable

TTS_ENGINES = ("auto", "edge", "piper", "espeak")


class SpeechConfigError(SpeechUnavailable, SettingsError):
    """The settings are invalid; the message lists every problem and where it came from."""


@dataclass(frozen=True, slots=True)
class SpeechConfig:
    stt_model: str = ""  # "" = the packaged tiny.en when installed, else faster-whisper's tiny.en
    stt_compute_type: str = "int8"
    stt_threads: int = 0  # 0 = min(4, CPUs)
    stt_beam_size: int = 1
    stt_language: str = "en"
    max_audio_s: float = 600.0
    max_audio_bytes: int = 50 * 1024 * 1024
    decode_timeout_s: float = 30.0
    tts_engine: str = "auto"
    edge_voice: str = "en-US-AriaNeural"
    edge_timeout_s: float = 8.0
    piper_voice: str = ""  # "" = the packaged en_US-joe-medium voice
    espeak_voice: str = "en-us"
    tts_cache_items: int = 128
    end_silence_s: float = 1.8
    min_answer_s: float = 5.0
    think_extension_s: float = 8.0
    max_answer_s: float = 300.0

    @property
    def threads(self) -> int:
        return self.stt_threads or min(4, os.cpu_count() or 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> SpeechConfig:
        """The speech part of the validated application settings (env vars and TOML keys are
        defined and checked once, in ``bot/settings.py``)."""
        return cls(
            stt_model=settings.stt_model,
            stt_compute_type=settings.stt_compute_type,
            stt_threads=settings.stt_threads,
            stt_beam_size=settings.stt_beam_size,
            stt_language=settings.stt_language,
            max_audio_s=settings.stt_max_audio_s,
            tts_engine=settings.tts_engine,
            edge_voice=settings.tts_voice,
            piper_voice=settings.piper_voice,
            espeak_voice=settings.espeak_voice,
            tts_cache_items=settings.tts_cache_items,
            end_silence_s=settings.voice_end_silence_s,
            min_answer_s=settings.voice_min_answer_s,
            think_extension_s=settings.voice_think_extension_s,
            max_answer_s=settings.voice_max_answer_s,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SpeechConfig:
        """For callers without ``Settings`` at hand (the transcribe/say commands): the settings
        loaded from ``env`` (and the config file it names). Every invalid setting, speech or not,
        is listed in one ``SpeechConfigError``, which is also a ``SettingsError``."""
        try:
            return cls.from_settings(load_settings(os.environ if env is None else env))
        except SettingsError as exc:
            raise SpeechConfigError(str(exc)) from exc
