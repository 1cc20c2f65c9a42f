"""Typed failures of the work queue, shaped like the failures callers already handle.

Why the double inheritance: the coding round and ``run-code`` already turn a
``SandboxUnavailable`` into a clear message, and the voice adapters already fall back to text on
a ``SpeechUnavailable``. A queue that is down (Redis unreachable, no worker, a time-out) is, to
them, exactly that: the sandbox or the recogniser cannot run right now. So each port raises a
class that is both a ``WorkQueueUnavailable`` (for code that cares about the queue) and the
error its callers already catch, and nothing new has to be taught to the engine or adapters.
"""

from __future__ import annotations

from bot.sandbox.selfcheck import SandboxUnavailable
from bot.speech.errors import SpeechUnavailable


class WorkQueueUnavailable(RuntimeError):
    """The queue could not deliver a result: Redis is unreachable, no worker is running, the
    worker failed, or no result came within ``work_timeout_s``. ``reason`` is one of
    ``redis``, ``no_worker``, ``timeout``, ``worker_error``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CodeQueueUnavailable(WorkQueueUnavailable, SandboxUnavailable):
    """A sandbox run sent to the queue did not come back."""


class SpeechQueueUnavailable(WorkQueueUnavailable, SpeechUnavailable):
    """A transcription sent to the queue did not come back."""
