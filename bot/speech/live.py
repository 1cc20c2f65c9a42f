"""Listening to a live answer: segments closed at the candidate's pauses are transcribed while
they are still speaking.

Why: recognising a whole answer after it ends costs the recogniser's real-time factor times the
answer's length (about 2 s for a 10 s answer on 2 cores), which was most of a voice turn's latency.
Cutting at the candidate's own pauses (VAD) and transcribing each closed segment in the background
leaves only the words after the last pause at the decision, and usually nothing: a segment closes
after ``segment_pause_s`` of silence, long before the end-of-answer window (1.8 s) runs out.
Cuts fall in silence, never inside a word, so whisper still sees whole phrases.

The same object serves every live transport (a Discord voice channel today): feed it 16 kHz mono
s16le as it arrives, stop when ``feed`` returns the end of the answer, then ``finish``. Give it
``WhisperSTT.segments()``: whisper then encodes each segment's own length instead of a padded 30 s
window, which is what lets a segment be recognised within the pause that follows it on 2 cores.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ports import AudioClip, SpeechToText, Transcript, Word
from bot.speech import audio
from bot.speech.errors import AudioError, AudioProblem
from bot.speech.turns import EndOfAnswer, EndOfAnswerPolicy, TurnConfig

log = logging.getLogger(__name__)

BYTES_PER_S = audio.STT_RATE * 2
TRAILING_SILENCE_S = 0.2


class FrameDetector(Protocol):
    """Voice activity: (frame end time in s from the first byte fed, speech?) per frame."""

    def frames(self, pcm: bytes) -> list[tuple[float, bool]]: ...


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of the answer between pauses; ``start`` in seconds from the first byte."""

    start: float
    transcript: Transcript | None


PartialCallback = Callable[[str], Awaitable[None]]


class LiveAnswer:
    """One answer being spoken: VAD frames drive the end-of-answer policy and close segments;
    closed segments go to the recogniser at once (its own worker serialises them).

    ``segment_pause_s``: silence that closes a segment (shorter than the end-of-answer window, so
    the last segment is usually recognised before the decision); ``min_segment_s``: shorter
    stretches wait for more speech, because whisper guesses badly on a word or two; past
    ``long_segment_s`` any short pause closes the segment (whisper's window is 30 s).
    ``on_partial`` gets the text so far after each segment (the thread's edited message).
    """

    def __init__(
        self,
        stt: SpeechToText,
        vad: FrameDetector,
        *,
        vocabulary: Sequence[str] = (),
        turns: TurnConfig | None = None,
        segment_pause_s: float = 0.5,
        min_segment_s: float = 1.0,
        long_segment_s: float = 20.0,
        on_partial: PartialCallback | None = None,
    ) -> None:
        self.stt = stt
        self.vad = vad
        self.vocabulary = tuple(vocabulary)
        self.policy = EndOfAnswerPolicy(turns or TurnConfig())
        self.segment_pause_s = segment_pause_s
        self.min_segment_s = min_segment_s
        self.long_segment_s = long_segment_s
        self.on_partial = on_partial
        self.ended: EndOfAnswer | None = None
        self._pcm = bytearray()
        self._cut = 0.0  # start (s) of the open segment
        self._speech_in_segment = False
        self._silence_since: float | None = None
        self._jobs: list[tuple[float, asyncio.Task[Transcript | None]]] = []
        self._heard: list[str] = []

    @property
    def seconds(self) -> float:
        return len(self._pcm) / BYTES_PER_S

    @property
    def segments_started(self) -> int:
        return len(self._jobs)

    async def feed(self, pcm: bytes) -> EndOfAnswer | None:
        """More audio; returns the end of the answer once the policy decides it (then stop)."""
        if self.ended is not None:
            return self.ended
        self._pcm += pcm[: len(pcm) - len(pcm) % 2]
        frames = await asyncio.to_thread(self.vad.frames, pcm)
        for t, speech in frames:
            end = self.policy.feed(t, speech)
            if end is not None:
                self.ended = end
                return end
            if speech:
                self._speech_in_segment = True
                self._silence_since = None
                continue
            if self._silence_since is None:
                self._silence_since = t
            length = t - self._cut
            pause = t - self._silence_since
            needed = self.segment_pause_s if length < self.long_segment_s else 0.2
            if self._speech_in_segment and pause >= needed and length >= self.min_segment_s:
                # Cut shortly after the last word: trailing silence makes whisper invent words.
                self._close(min(t, self._silence_since + TRAILING_SILENCE_S))
        return self.policy.ended

    def _close(self, at: float) -> None:
        start, self._cut = self._cut, at
        self._speech_in_segment = False
        data = bytes(self._pcm[int(start * audio.STT_RATE) * 2 : int(at * audio.STT_RATE) * 2])
        task = asyncio.create_task(self._recognise(start, at, data))
        self._jobs.append((start, task))

    async def _recognise(self, start: float, end: float, data: bytes) -> Transcript | None:
        try:
            transcript = await self.stt.transcribe(
                AudioClip(data, audio.STT_RATE, 1), self.vocabulary
            )
        except AudioError as exc:
            if exc.problem not in (AudioProblem.NO_SPEECH, AudioProblem.SILENT):
                log.warning("segment %.1f-%.1f s not recognised: %s", start, end, exc)
            return None
        if transcript.text:
            self._heard.append(transcript.text)
            # A standalone "done"/"next", or "let me think", counts when it is recognised.
            end_now = self.policy.hear(end, transcript.text)
            if end_now is not None and self.ended is None:
                self.ended = end_now
            if self.on_partial is not None:
                try:
                    await self.on_partial(" ".join(self._heard))
                except Exception:  # a failed edit of a chat message must not lose the answer
                    log.exception("partial transcript callback failed")
        return transcript

    async def finish(self) -> Transcript:
        """The whole answer: the open tail recognised (if it holds speech) and every segment
        joined, word times counted from the start of listening. ``AudioError`` (no speech) when
        nothing was said."""
        # Audio after the decision is not part of the answer (it was fed in the same chunk).
        stop = min(self.seconds, self.ended.at) if self.ended is not None else self.seconds
        if self._speech_in_segment and stop - self._cut > 0.05:
            self._close(stop)
        words: list[Word] = []
        texts: list[str] = []
        model, language = "", "en"
        for start, job in self._jobs:
            transcript = await job
            if transcript is None:
                continue
            model, language = transcript.model, transcript.language
            # Whisper sometimes adds a lone "." to a segment; a joined answer should not stutter.
            clean = re.sub(r"([.,])(?:\s*[.,])+", r"\1", transcript.text).strip()
            if re.search(r"\w", clean):
                texts.append(clean)
            words += [
                Word(w.text, round(w.start + start, 3), round(w.end + start, 3))
                for w in transcript.words
            ]
        text = " ".join(texts).strip()
        if not text:
            raise AudioError(
                AudioProblem.NO_SPEECH,
                "I couldn't make out any words. Please answer again, a little closer to the "
                "microphone, or type the answer in the thread.",
            )
        return Transcript(text, tuple(words), language, round(self.seconds, 3), model)

    async def cancel(self) -> None:
        for _, job in self._jobs:
            job.cancel()
        await asyncio.gather(*(job for _, job in self._jobs), return_exceptions=True)
