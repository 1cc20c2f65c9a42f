"""Typed failures of the speech pipeline.

Two kinds, because adapters react differently: an ``AudioError`` is about one recording (tell the
candidate what was wrong with it and ask again), a ``SpeechUnavailable`` is about this installation
(a missing package, model or ffmpeg; fall back to text and tell the operator).
"""

from __future__ import annotations

from enum import StrEnum


class AudioProblem(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    DAMAGED = "damaged"
    SILENT = "silent"
    NO_SPEECH = "no_speech"
    TOO_LONG = "too_long"
    TIMEOUT = "timeout"


class AudioError(Exception):
    """A recording we cannot use. ``user_message`` is safe to show the candidate as it is."""

    def __init__(self, problem: AudioProblem, user_message: str, detail: str = "") -> None:
        super().__init__(user_message if not detail else f"{user_message} ({detail})")
        self.problem = problem
        self.user_message = user_message
        self.detail = detail


class SpeechUnavailable(RuntimeError):
    """The speech stack cannot run here (not installed, misconfigured, or failed a check)."""


class ModelIntegrityError(SpeechUnavailable):
    """Model files whose SHA-256 differs from the hashes recorded in ``bot/speech/models.py``:
    a third-party weight package was altered, so we refuse to load it."""
