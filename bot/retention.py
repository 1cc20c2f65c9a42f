"""Retention: transcripts expire ``retention_days`` after their interview was last active.

Adapters run ``retention_task`` around their main loop: it purges once at start (a bot that was
down for a month catches up at once) and then every ``interval_s``. It is an asyncio task rather
than a cron job so a single ``interview-bot discord`` process needs nothing else to honour the
promise ``bot.privacy`` makes. A failed purge is logged and retried next interval, never fatal:
an unreachable database must not take the interview bot down with it.

Each round also applies the servers' own, shorter periods (``/interview admin retention=7``,
``bot.community.scope.retention_overrides``) and deletes share links that have been dead
(expired or revoked) for ``SHARE_LINK_GRACE_DAYS``: otherwise they stayed as long as their
session. So the task runs even when the host keeps transcripts forever (``retention_days`` 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from bot.community.scope import retention_overrides
from bot.ports import Store

log = logging.getLogger(__name__)

DAY_S = 86_400.0
DEFAULT_INTERVAL_S = 6 * 3600.0
# A dead share link is kept this long so its owner still sees "expired" rather than "unknown",
# then deleted.
SHARE_LINK_GRACE_DAYS = 30


def cutoff(retention_days: int, now: float) -> float | None:
    """Sessions last updated before this moment have expired; None when retention is off (0)."""
    if retention_days <= 0:
        return None
    return now - retention_days * DAY_S


async def purge_expired(
    store: Store, retention_days: int, *, clock: Callable[[], float] = time.time
) -> int:
    """Delete expired sessions now, by the host's period and then by each server's shorter one;
    drop long-dead share links. Returns how many sessions went. A server whose purge fails is
    logged and retried next round without holding up the others."""
    now = clock()
    removed = 0
    before = cutoff(retention_days, now)
    if before is not None:
        removed = await store.purge_before(before)
        if removed:
            log.info(
                "retention: deleted %d session(s) older than %d day(s)", removed, retention_days
            )
    for override in await retention_overrides(store, retention_days):
        try:
            gone = await store.purge_scope_before(
                override.conversation_prefix, now - override.days * DAY_S
            )
        except Exception:
            log.exception("retention purge for %s failed; retrying next round", override.scope)
            continue
        if gone:
            log.info(
                "retention: deleted %d session(s) of %s older than its %d day(s)",
                gone,
                override.scope,
                override.days,
            )
        removed += gone
    links = await store.purge_share_links_before(now - SHARE_LINK_GRACE_DAYS * DAY_S)
    if links:
        log.info(
            "retention: deleted %d share link(s) dead for %d+ days", links, SHARE_LINK_GRACE_DAYS
        )
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
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``retention_loop`` in the background for the block; cancelled on exit. Runs even with
    ``retention_days`` 0 (the host keeps transcripts): servers' own periods and dead share links
    still expire."""
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
