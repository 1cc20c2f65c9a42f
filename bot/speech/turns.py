"""When is an answer over? Voice activity detection plus an interview-tuned policy.

A conversational assistant may reply after half a second of silence; an interviewer must not, since
candidates pause to think. ``EndOfAnswerPolicy`` is pure (fed ``(time, speech?)`` frames and
transcribed utterances, no clocks, no audio) so every rule is tested with synthetic patterns;
``SileroVAD`` turns 16 kHz audio into those frames with the silero ONNX model bundled inside
faster-whisper (onnxruntime only, no torch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.speech.config import SpeechConfig

FRAME_SAMPLES = 512  # silero's window at 16 kHz: 32 ms
FRAME_S = FRAME_SAMPLES / 16_000
_CONTEXT = 64

_THINKING = re.compile(
    r"\b(?:let me think|let me see|give me a (?:moment|minute|second|sec)|"
    r"one (?:moment|minute|second|sec)|hold on|just a (?:moment|minute|second|sec))\b",
    re.IGNORECASE,
)
# A spoken command only counts as an utterance of its own ("...so I got it done" is an answer).
_DONE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|um+|uh+|right)\W+)*(?:next(?: question)?|done|i'?m done|"
    r"that'?s (?:it|all)|i'?m finished|finished|move on)\W*$",
    re.IGNORECASE,
)


class EndReason(StrEnum):
    SILENCE = "silence"
    SPOKEN_COMMAND = "spoken_command"
    MAX_LENGTH = "max_length"
    NO_SPEECH = "no_speech"


@dataclass(frozen=True, slots=True)
class EndOfAnswer:
    at: float
    reason: EndReason


@dataclass(frozen=True, slots=True)
class TurnConfig:
    end_silence_s: float = 1.8
    min_answer_s: float = 5.0
    think_extension_s: float = 8.0
    max_answer_s: float = 300.0
    no_speech_s: float = 30.0

    @classmethod
    def from_speech(cls, config: SpeechConfig) -> TurnConfig:
        return cls(
            end_silence_s=config.end_silence_s,
            min_answer_s=config.min_answer_s,
            think_extension_s=config.think_extension_s,
            max_answer_s=config.max_answer_s,
        )


def is_done_command(text: str) -> bool:
    return bool(_DONE.match(text.strip()))


def is_thinking(text: str) -> bool:
    return bool(_THINKING.search(text))


class EndOfAnswerPolicy:
    """Decides the end of one answer from frames timed from the question's end (``start``).

    Rules, in order: past ``max_answer_s`` the answer ends; a standalone "next"/"done" ends it at
    once; nothing ends it before ``min_answer_s``; otherwise ``end_silence_s`` of silence after
    speech ends it, or ``think_extension_s`` when the candidate said "let me think" (until they
    speak again); a candidate who never speaks is released after ``no_speech_s``.
    """

    def __init__(self, config: TurnConfig | None = None, start: float = 0.0) -> None:
        self.config = config or TurnConfig()
        self.start = start
        self.last_speech: float | None = None
        self.ended: EndOfAnswer | None = None
        self._thinking_since: float | None = None
        self._was_speech = False

    def _end(self, at: float, reason: EndReason) -> EndOfAnswer:
        self.ended = EndOfAnswer(round(at, 3), reason)
        return self.ended

    @property
    def silence_window(self) -> float:
        if self._thinking_since is not None:
            return max(self.config.end_silence_s, self.config.think_extension_s)
        return self.config.end_silence_s

    def feed(self, t: float, speech: bool) -> EndOfAnswer | None:
        """One VAD frame ending at ``t``; returns the end of the answer once it is decided."""
        if self.ended is not None:
            return self.ended
        cfg = self.config
        elapsed = t - self.start
        if elapsed >= cfg.max_answer_s:
            return self._end(t, EndReason.MAX_LENGTH)
        if speech:
            onset = not self._was_speech
            if onset and self._thinking_since is not None and t > self._thinking_since:
                self._thinking_since = None  # they are answering again: normal patience
            self.last_speech = t
            self._was_speech = True
            return None
        self._was_speech = False
        if self.last_speech is None:
            if elapsed >= max(cfg.no_speech_s, cfg.min_answer_s):
                return self._end(t, EndReason.NO_SPEECH)
            return None
        if elapsed < cfg.min_answer_s:
            return None
        if t - self.last_speech >= self.silence_window:
            return self._end(t, EndReason.SILENCE)
        return None

    def hear(self, t: float, text: str) -> EndOfAnswer | None:
        """An utterance transcribed (or typed) at ``t``: commands and thinking phrases."""
        if self.ended is not None:
            return self.ended
        if is_done_command(text):
            return self._end(t, EndReason.SPOKEN_COMMAND)
        if is_thinking(text):
            self._thinking_since = t
        return None


def decide(
    frames: Iterable[tuple[float, bool]],
    utterances: Iterable[tuple[float, str]] = (),
    config: TurnConfig | None = None,
) -> EndOfAnswer | None:
    """Run the policy over a whole recording: frames and utterances merged in time order
    (an utterance is considered at its end time, as a live recogniser would deliver it)."""
    policy = EndOfAnswerPolicy(config)
    events: list[tuple[float, int, object]] = [(t, 1, s) for t, s in frames]
    events += [(t, 0, text) for t, text in utterances]
    for t, kind, value in sorted(events, key=lambda e: (e[0], e[1])):
        result = policy.hear(t, str(value)) if kind == 0 else policy.feed(t, bool(value))
        if result is not None:
            return result
    return None


class SileroVAD:
    """Streaming speech/no-speech frames from 16 kHz mono s16le, keeping silero's recurrent state
    across calls (so live audio can be fed in any chunk size). Hysteresis as in silero's own
    utilities: speech starts above ``threshold`` and stops below ``threshold - 0.15``."""

    def __init__(self, threshold: float = 0.5) -> None:
        try:
            from faster_whisper.vad import (  # type: ignore[import-untyped,unused-ignore]
                get_vad_model,
            )
        except ImportError as exc:
            from bot.speech.errors import SpeechUnavailable

            raise SpeechUnavailable("faster-whisper (bundled silero VAD) is not installed") from exc
        self._session: Any = get_vad_model().session
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        import numpy as np

        self._state = np.zeros((1, 1, 128), dtype=np.float32), np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = b""
        self._t = 0.0
        self._speaking = False

    def probabilities(self, pcm: bytes) -> list[tuple[float, float]]:
        """(frame end time, speech probability) for every complete 32 ms window in ``pcm``."""
        import numpy as np

        data = self._pending + pcm
        usable = len(data) - len(data) % (FRAME_SAMPLES * 2)
        self._pending = data[usable:]
        out: list[tuple[float, float]] = []
        samples = np.frombuffer(data[:usable], dtype=np.int16).astype(np.float32) / 32768.0
        h, c = self._state
        for i in range(0, len(samples), FRAME_SAMPLES):
            window = samples[i : i + FRAME_SAMPLES]
            batch = np.concatenate([self._context, window])[None, :]
            prob, h, c = self._session.run(None, {"input": batch, "h": h, "c": c})
            self._context = window[-_CONTEXT:]
            self._t += FRAME_S
            out.append((round(self._t, 4), float(np.asarray(prob).reshape(-1)[0])))
        self._state = h, c
        return out

    def frames(self, pcm: bytes) -> list[tuple[float, bool]]:
        """(frame end time, speech?) with hysteresis."""
        result: list[tuple[float, bool]] = []
        for t, prob in self.probabilities(pcm):
            if prob >= self.threshold:
                self._speaking = True
            elif prob < self.threshold - 0.15:
                self._speaking = False
            result.append((t, self._speaking))
        return result
