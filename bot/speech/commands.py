"""``interview-bot transcribe`` and ``interview-bot say``: the speech stack from the command line,
for users checking their set-up and for our own end-to-end checks.

Exit codes follow the CLI's: 0 ok, 1 bad input (an unusable recording), 2 speech unavailable here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.ports import AudioClip, Transcript
from bot.speech import audio
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, SpeechUnavailable
from bot.speech.metrics import delivery_metrics
from bot.speech.stt import WhisperSTT
from bot.speech.tts import build_tts


def transcript_json(transcript: Transcript) -> dict[str, Any]:
    """The ``transcribe --json`` contract: text, words (word/start/end), language, model,
    duration, plus delivery metrics."""
    metrics = delivery_metrics(transcript.words)
    return {
        "text": transcript.text,
        "words": [{"word": w.text, "start": w.start, "end": w.end} for w in transcript.words],
        "language": transcript.language,
        "model": transcript.model,
        "duration": transcript.duration,
        "delivery": {
            "words_per_minute": metrics.words_per_minute,
            "fillers_per_minute": metrics.fillers_per_minute,
            "long_pauses": metrics.long_pauses,
        },
    }


def transcribe_file(path: Path, vocabulary: Sequence[str] = ()) -> tuple[int, dict[str, Any]]:
    """(exit code, JSON-ready dict): the transcript, or ``{"error", "problem"}``."""
    try:
        config = SpeechConfig.from_env()
        stt = WhisperSTT(config)
        try:
            data = path.read_bytes()
        except OSError as exc:
            return 1, {"error": f"Cannot read {path}: {exc.strerror}", "problem": "unreadable"}
        clip = AudioClip(data, 0, 1, format=path.suffix.lstrip(".").lower() or "file")
        transcript = stt.transcribe_sync(clip, vocabulary)
    except AudioError as exc:
        return 1, {"error": exc.user_message, "problem": exc.problem.value}
    except SpeechUnavailable as exc:
        return 2, {"error": str(exc), "problem": "unavailable"}
    return 0, transcript_json(transcript)


async def say(text: str, output: Path, engine: str | None = None) -> tuple[int, str]:
    """Synthesize ``text`` into ``output`` (.wav, or anything ffmpeg encodes)."""
    try:
        tts = build_tts(SpeechConfig.from_env(), engine)
        clip = await tts.synthesize(text)
        audio.write_audio(clip, output)
    except AudioError as exc:
        return 1, exc.user_message
    except SpeechUnavailable as exc:
        return 2, str(exc)
    seconds = audio.clip_seconds(clip)
    return 0, f"{output} · {seconds:.1f} s · {tts.last_engine}"


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
