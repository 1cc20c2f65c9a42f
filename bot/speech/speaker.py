"""Questions spoken sentence by sentence, the likely next one prepared while the candidate answers.

Why: synthesising a whole question and converting it for the transport before the first frame
plays cost about a second on 2 cores. Two things remove most of it: the first sentence plays while
the rest is synthesised (speech is produced faster than it is spoken), and the plan's next question
is known while the candidate is still answering, so it is synthesised and converted then; only an
unforeseeable follow-up is synthesised at the decision, and then only its first sentence waits.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from bot.ports import AudioClip, SessionRecord, TextToSpeech
from bot.render import question_header
from bot.speech import audio
from bot.speech.tts import speakable

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.?!;:])\s+(?=\S)")
MIN_SENTENCE_CHARS = 8


def sentences(text: str) -> list[str]:
    """Speakable text split after sentence punctuation; fragments shorter than
    ``MIN_SENTENCE_CHARS`` join the next one (a lone "So." is not worth its own synthesis)."""
    out: list[str] = []
    carry = ""
    for part in _SENTENCE_END.split(speakable(text)):
        part = f"{carry} {part}".strip() if carry else part.strip()
        if len(part) < MIN_SENTENCE_CHARS and not re.fullmatch(r"Question \d+\.", part):
            carry = part
            continue
        carry = ""
        if part:
            out.append(part)
    if carry:
        if out:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out


def next_question_text(session: SessionRecord) -> str | None:
    """What the engine will most likely ask after the current answer: the plan's next question,
    worded as ``InterviewEngine`` words it. ``None`` at the last question. A follow-up may come
    instead; then the prepared audio simply waits in the cache for its turn."""
    if session.state not in ("asking", "follow_up"):
        return None
    index = session.cursor + 1
    questions = session.plan.questions
    if index >= len(questions):
        return None
    question = questions[index]
    return f"{question_header(question, index + 1, len(questions))}\n{question.text}"


class QuestionVoice:
    """Text -> transport-ready PCM per sentence (48 kHz stereo s16le for Discord by default),
    cached and de-duplicated: a prefetch still running is awaited, not repeated."""

    def __init__(
        self,
        tts: TextToSpeech,
        convert: Callable[[AudioClip], bytes] = audio.to_discord,
        cache_items: int = 64,
    ) -> None:
        self.tts = tts
        self.convert = convert
        self.cache_items = cache_items
        self._jobs: OrderedDict[str, asyncio.Task[bytes]] = OrderedDict()

    async def _render(self, sentence: str) -> bytes:
        clip = await self.tts.synthesize(sentence)
        return await asyncio.to_thread(self.convert, clip)

    def _job(self, sentence: str) -> asyncio.Task[bytes]:
        job = self._jobs.get(sentence)
        if job is not None and not (job.done() and (job.cancelled() or job.exception())):
            self._jobs.move_to_end(sentence)
            return job
        job = asyncio.create_task(self._render(sentence))
        self._jobs[sentence] = job
        while len(self._jobs) > self.cache_items:
            _, old = self._jobs.popitem(last=False)
            if not old.done():
                old.cancel()
        return job

    def prefetch(self, text: str) -> None:
        """Start synthesising ``text`` in the background (failures surface when it is spoken)."""
        for sentence in sentences(text):
            job = self._job(sentence)
            job.add_done_callback(lambda j: j.cancelled() or j.exception())

    async def stream(self, text: str) -> AsyncIterator[bytes]:
        """PCM of each sentence in order, as soon as it is ready; every sentence is queued at
        once, so later ones are synthesised while earlier ones play."""
        jobs = [self._job(sentence) for sentence in sentences(text)]
        for job in jobs:
            yield await asyncio.shield(job)

    async def render(self, text: str) -> bytes:
        return b"".join([chunk async for chunk in self.stream(text)])

    def close(self) -> None:
        for job in self._jobs.values():
            if not job.done():
                job.cancel()
        self._jobs.clear()
