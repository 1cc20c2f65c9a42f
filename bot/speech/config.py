"""Speech settings, read from the environment.

These belong in ``bot/settings.py`` (with TOML keys and the one combined error message); they live
here until the core owners move them, so the speech package can be configured today.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.speech.errors import SpeechUnavailable

TTS_ENGINES = ("auto", "edge", "piper", "espeak")


class SpeechConfigError(SpeechUnavailable):
    """One or more speech variables are invalid; the message lists all of them."""


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
    def from_env(cls, env: Mapping[str, str] | None = None) -> SpeechConfig:
        """Every speech variable at once; all problems in one ``SpeechConfigError``."""
        source = os.environ if env is None else env
        problems: list[str] = []
        values: dict[str, object] = {}

        def number(var: str, key: str, kind: type[int] | type[float], low: float) -> None:
            raw = source.get(var, "").strip()
            if not raw:
                return
            try:
                value = kind(raw)
            except ValueError:
                problems.append(f"{var}={raw!r} is not a {kind.__name__}")
                return
            if value < low:
                problems.append(f"{var}={raw!r} must be at least {low}")
                return
            values[key] = value

        def text(var: str, key: str, choices: tuple[str, ...] = ()) -> None:
            raw = source.get(var, "").strip()
            if not raw:
                return
            if choices and raw.lower() not in choices:
                problems.append(f"{var}={raw!r} must be one of {', '.join(choices)}")
                return
            values[key] = raw.lower() if choices else raw

        text("STT_MODEL", "stt_model")
        text("STT_COMPUTE_TYPE", "stt_compute_type")
        number("STT_THREADS", "stt_threads", int, 0)
        number("STT_BEAM_SIZE", "stt_beam_size", int, 1)
        text("STT_LANGUAGE", "stt_language")
        number("STT_MAX_AUDIO_SECONDS", "max_audio_s", float, 1)
        text("TTS_ENGINE", "tts_engine", TTS_ENGINES)
        text("TTS_VOICE", "edge_voice")
        text("PIPER_VOICE", "piper_voice")
        text("ESPEAK_VOICE", "espeak_voice")
        number("TTS_CACHE_ITEMS", "tts_cache_items", int, 0)
        number("VOICE_END_SILENCE", "end_silence_s", float, 0.2)
        number("VOICE_MIN_ANSWER", "min_answer_s", float, 0)
        number("VOICE_THINK_EXTENSION", "think_extension_s", float, 0)
        number("VOICE_MAX_ANSWER", "max_answer_s", float, 5)
        if problems:
            raise SpeechConfigError("Invalid speech settings: " + "; ".join(problems))
        return cls(**values)  # type: ignore[arg-type]
