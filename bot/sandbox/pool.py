"""A concurrency limit and a queue in front of any :class:`bot.ports.CodeRunner`.

Why a separate layer: the chat must say "running your code…" while a submission waits for a
slot (2 cores: 2 runs at once), and the same limit applies to the remote runner, whose server
has its own queue we cannot see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.observability import observe_sandbox
from bot.ports import CodeRunner, RunLimits, RunResult

DEFAULT_LIMITS = RunLimits()


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """``state`` is ``queued`` (with how many runs are ahead), ``running`` or ``done``."""

    state: str
    ahead: int = 0
    ticket: str = ""


Listener = Callable[[QueueEvent], Awaitable[None] | None]


class RunnerPool:
    """At most ``concurrency`` runs at once; the rest wait in FIFO order.

    ``on_event`` (or the per-call ``listener``) hears ``queued``/``running``/``done`` for each
    run so an adapter can show a typing indicator or "running your code…".
    """

    def __init__(
        self, runner: CodeRunner, concurrency: int = 2, on_event: Listener | None = None
    ) -> None:
        self.runner = runner
        self.concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)
        self._waiting = 0
        self._running = 0
        self._on_event = on_event

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def running(self) -> int:
        return self._running

    async def run(
        self,
        code: str,
        language: str,
        stdin: str = "",
        limits: RunLimits = DEFAULT_LIMITS,
        *,
        listener: Listener | None = None,
        ticket: str = "",
    ) -> RunResult:
        if self._sem.locked():
            await self._emit(listener, QueueEvent("queued", self._waiting, ticket))
        self._waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        try:
            await self._emit(listener, QueueEvent("running", 0, ticket))
            started, status = time.perf_counter(), "error"
            try:
                result = await self.runner.run(code, language, stdin, limits)
                status = result.status
                return result
            finally:
                observe_sandbox(time.perf_counter() - started, status)  # /metrics (issue 12)
        finally:
            self._running -= 1
            self._sem.release()
            await self._emit(listener, QueueEvent("done", 0, ticket))

    async def _emit(self, listener: Listener | None, event: QueueEvent) -> None:
        for callback in (self._on_event, listener):
            if callback is not None:
                result = callback(event)
                if asyncio.iscoroutine(result):
                    await result
