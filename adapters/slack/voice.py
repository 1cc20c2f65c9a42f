"""Spoken answers on Slack (issue 10): an audio clip the candidate uploads in the interview's
thread becomes the answer.

Slack's own voice clips arrive as ``.webm``/``.mp4`` audio (``subtype: slack_audio``); uploaded
recordings as mp3/m4a/ogg/wav. The clip is transcribed off the event loop (the recogniser's own
worker thread, ffmpeg decoding included; or an ``interview-bot worker`` with ``WORK_QUEUE=redis``)
with the job's skills as vocabulary, so "Kubernetes" and "PostgreSQL" come out right. The bytes
are kept only when the candidate opted in (``/interview audio on``); otherwise they are dropped
once the words are out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from bot.domain import SkillKind
from bot.ports import AudioClip, SessionRecord, SpeechToText
from bot.settings import Settings
from bot.speech.answers import SpokenAnswer, transcribe_answer
from bot.speech.errors import SpeechUnavailable
from bot.speech.metrics import DeliveryMetrics
from bot.speech.stt import WhisperSTT
from bot.workqueue.errors import WorkQueueUnavailable

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {
    ".mp3": "mp3",
    ".m4a": "m4a",
    ".mp4": "m4a",
    ".aac": "m4a",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
    ".webm": "webm",
    ".wav": "wav",
    ".flac": "flac",
}
MAX_HEARD_CHARS = 2500  # what is echoed back; the full transcript is the stored answer
UNAVAILABLE = (
    "I can't listen to recordings on this installation ({reason}). Please type your answer "
    "in this thread instead."
)


def audio_format(name: str, mimetype: str = "", filetype: str = "") -> str | None:
    """The clip's container as the speech package names it, or None when it is not audio."""
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in AUDIO_SUFFIXES and (suffix not in (".mp4", ".webm") or "video" not in mimetype):
        return AUDIO_SUFFIXES[suffix]
    if mimetype.startswith("audio/"):
        kind = mimetype.split("/", 1)[1].split(";")[0]
        return {"mpeg": "mp3", "mp4": "m4a", "x-m4a": "m4a", "x-wav": "wav"}.get(kind, kind)
    if f".{filetype.lower()}" in AUDIO_SUFFIXES:
        return AUDIO_SUFFIXES[f".{filetype.lower()}"]
    return None


def looks_like_audio(file: dict[str, Any]) -> bool:
    """From what a ``message`` event already carries, before ``files.info``."""
    return (
        file.get("subtype") == "slack_audio"
        or audio_format(
            str(file.get("name") or ""),
            str(file.get("mimetype") or ""),
            str(file.get("filetype") or ""),
        )
        is not None
    )


def vocabulary(record: SessionRecord) -> list[str]:
    """The job's hard skills: the words a general recogniser most often gets wrong."""
    return [s.name for s in record.profile.skills if s.kind is not SkillKind.SOFT]


@dataclass(frozen=True, slots=True)
class HeardAnswer:
    spoken: SpokenAnswer

    @property
    def text(self) -> str:
        """What the engine gets: the transcript, or the command a spoken "next question" means."""
        return self.spoken.text

    def echo(self) -> str:
        """What the candidate sees before the answer is graded: they can tell at once whether
        the bot understood them."""
        text = self.spoken.transcript.text
        if len(text) > MAX_HEARD_CHARS:
            text = text[:MAX_HEARD_CHARS].rsplit(" ", 1)[0] + " …"
        return f"I heard: “{text}”"

    def delivery_line(self) -> str:
        delivery = self.spoken.delivery
        if delivery is None:
            return "Taken as a command, not an answer."
        return "Delivery: " + DeliveryMetrics(**delivery.model_dump()).summary()


class Listener:
    """The recogniser, built on first use: a bot that never gets a clip never loads a model,
    and a missing speech extra is a message to the candidate, not a failed start.

    ``bot.workqueue.speech_to_text_for`` chooses it: faster-whisper in this process, or, with
    ``WORK_QUEUE=redis``, a worker that gets the clip as uploaded (issue 12)."""

    def __init__(self, stt: SpeechToText | None = None, settings: Settings | None = None) -> None:
        self._stt = stt
        self._settings = settings
        self._lock = asyncio.Lock()

    async def _recogniser(self) -> SpeechToText:
        async with self._lock:
            if self._stt is None:
                from bot.settings import load_settings
                from bot.workqueue import speech_to_text_for

                settings = self._settings

                def build() -> SpeechToText:  # reads settings files and checks model files
                    return speech_to_text_for(settings if settings is not None else load_settings())

                self._stt = await asyncio.to_thread(build)
            return self._stt

    async def hear(self, data: bytes, fmt: str, words: list[str]) -> HeardAnswer:
        """Raises ``AudioError`` (the recording: say what was wrong) or ``SpeechUnavailable``
        (this installation, or a work queue that did not answer: ask for a typed answer).
        Decoding and recognition both run off the event loop (or on a worker)."""
        try:
            stt = await self._recogniser()
        except SpeechUnavailable:
            raise
        except Exception as exc:  # a broken optional dependency must not look like a bad clip
            raise SpeechUnavailable(f"speech recognition failed to load: {exc}") from exc
        return HeardAnswer(await transcribe_answer(stt, AudioClip(data, 0, 1, format=fmt), words))

    async def aclose(self) -> None:
        stt, self._stt = self._stt, None
        if isinstance(stt, WhisperSTT):
            stt.close()
        aclose = getattr(stt, "aclose", None)
        if callable(aclose):
            await aclose()


def unavailable_message(exc: SpeechUnavailable) -> str:
    """What the candidate reads when no recogniser answered: type instead. A work queue that
    is down, has no worker or ran late is named plainly (its own message has URLs and details
    that belong in the log)."""
    if isinstance(exc, WorkQueueUnavailable):
        reason = "the speech worker is not answering just now"
    else:
        reason = str(exc).split(":")[0]
    return UNAVAILABLE.format(reason=reason)
