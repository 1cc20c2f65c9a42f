"""One call from a recorded answer to what the engine takes: transcript text plus delivery.

For adapters that receive an answer as a finished recording (an audio clip uploaded to Slack, an
audio file in the console): ``transcribe_answer(stt, clip, vocabulary)`` decodes whatever was
uploaded (WAV, MP3, OGG/Opus, M4A, WebM: anything ffmpeg reads), recognises it with the job's
skills as vocabulary (in this process or on a work-queue worker, whichever ``stt`` is: build it
with ``bot.workqueue.speech_to_text_for``) and measures the delivery; then hand the engine
``IncomingEvent.spoken(user, conversation, answer.text, answer.delivery)``.

Errors: ``AudioError`` for a recording we cannot use (``user_message`` tells the candidate what was
wrong and to answer again; the question stays open), ``SpeechUnavailable`` when voice is not
installed or configured here, or the work queue did not answer (Redis down, no worker, too late:
``SpeechQueueUnavailable`` is a ``SpeechUnavailable``): fall back to asking for a typed answer,
nothing recorded. Live audio (a voice channel)
uses ``bot.speech.live.LiveAnswer`` instead and ends with ``spoken_answer(transcript)``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import Delivery, Importance, JobProfile
from bot.ports import AudioClip, SpeechToText, Transcript
from bot.speech.metrics import delivery_metrics
from bot.speech.stt import WhisperSTT

# A recording that is only a command ("next question", "repeat that") acts as the command; a
# leading "and"/"so"/"um" (people say it, and tiny.en sometimes hears it) does not change that.
_LEAD = r"^\W*(?:(?:and|so|ok(?:ay)?|um+|uh+|right|well)\W+)*"
_SPOKEN_COMMANDS = (
    (re.compile(_LEAD + r"(?:next(?: question)?|skip(?: (?:it|this|this one))?|pass)\W*$", re.I), "/skip"),
    (re.compile(_LEAD + r"(?:repeat|(?:can you |could you )?repeat (?:it|that|the question))\W*$", re.I), "/repeat"),
    (re.compile(_LEAD + r"(?:(?:a |can i (?:have|get) a )?hint(?: please)?)\W*$", re.I), "/hint"),
    (re.compile(_LEAD + r"(?:end|stop) (?:the )?interview\W*$", re.I), "/end"),
)  # fmt: skip


def spoken_command(text: str) -> str | None:
    """The typed command a spoken-only command stands for ("next question" -> "/skip")."""
    for pattern, command in _SPOKEN_COMMANDS:
        if pattern.match(text.strip()):
            return command
    return None


def speech_vocabulary(profile: JobProfile) -> list[str]:
    """The job's technical skills, required ones first: the terms worth biasing recognition
    towards (the prompt is short, see ``stt.MAX_VOCABULARY``; soft skills are ordinary words)."""
    rank = {Importance.REQUIRED: 0, Importance.PREFERRED: 1}
    skills = sorted(profile.technical_skills, key=lambda s: rank.get(s.importance, 2))
    return [s.name for s in skills]


@dataclass(frozen=True, slots=True)
class SpokenAnswer:
    """``text``: what to hand the engine (a command such as "/skip" when that is all that was
    said); ``transcript`` keeps the words with timings; ``delivery`` is ``None`` for commands."""

    text: str
    transcript: Transcript
    delivery: Delivery | None

    @property
    def is_command(self) -> bool:
        return self.text.startswith("/")


def spoken_answer(transcript: Transcript) -> SpokenAnswer:
    command = spoken_command(transcript.text)
    if command is not None:
        return SpokenAnswer(command, transcript, None)
    return SpokenAnswer(
        transcript.text, transcript, delivery_metrics(transcript.words).as_delivery()
    )


async def transcribe_answer(
    stt: SpeechToText, clip: AudioClip, vocabulary: Sequence[str] = ()
) -> SpokenAnswer:
    """Decode, recognise and measure one recorded answer. ``clip`` may be raw PCM or an uploaded
    file (``AudioClip(data, 0, format="ogg")``; the format is a hint, ffmpeg sniffs the content).

    With the recogniser in this process (``WhisperSTT``) the clip is decoded here, off the event
    loop and off the model's own thread, within the configured size/length limits. Any other
    ``SpeechToText`` (the work queue's) gets the clip as uploaded: the worker decodes it within the
    same limits, and an encoded clip is a fraction of the size of its PCM on the way there."""
    if isinstance(stt, WhisperSTT):
        clip = await asyncio.to_thread(stt.decode, clip)
    transcript = await stt.transcribe(clip, vocabulary)
    return spoken_answer(transcript)
