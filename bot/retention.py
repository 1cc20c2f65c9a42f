"""Retention: transcripts expire ``retention_days`` after their interview was last active.

Adapters run ``retention_task`` around their main loop: it purges once at start (a bot that was
down for a month catches up at once) and then every ``interval_s``. It is an asyncio task rather
than a cron job so a single ``interview-bot discord`` process needs nothing else to honour the
promise ``bot.privacy`` makes. A failed purge is logged and retried next interval, never fatal:
an unreachable database must not take the interview bot down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from bot.ports import Store

log = logging.getLogger(__name__)

DAY_S = 86_400.0
DEFAULT_INTERVAL_S = 6 * 3600.0


def cutoff(retention_days: int, now: float) -> float | None:
    """Sessions last updated before this moment have expired; None when retention is off (0)."""
    if retention_days <= 0:
        return None
    return now - retention_days * DAY_S


async def purge_expired(
    store: Store, retention_days: int, *, clock: Callable[[], float] = time.time
) -> int:
    """Delete expired sessions now; returns how many went (0 when retention is off)."""
    before = cutoff(retention_days, clock())
    if before is None:
        return 0
    removed = await store.purge_before(before)
    if removed:
        log.info("retention: deleted %d session(s) older than %d day(s)", removed, retention_days)
    return removed


async def retention_loop(
    store: Store,
    retention_days: int,
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    clock: Callable[[], float] = time.time,
) -> None:
    """Purge now and then every ``interval_s`` until cancelled."""
    while True:
        try:
            await purge_expired(store, retention_days, clock=clock)
        except Exception:
            log.exception("retention purge failed; retrying in %.0f s", interval_s)
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def retention_task(
    store: Store,
    retention_days: int,
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Run ``retention_loop`` in the background for the block; cancelled on exit. Yields the task,
    or None when retention is off (nothing to run)."""
    if retention_days <= 0:
        yield None
        return
    task = asyncio.create_task(
        retention_loop(store, retention_days, interval_s=interval_s, clock=clock),
        name="interview-bot retention",
    )
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
