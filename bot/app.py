"""Wiring: Settings -> store, analyser, planner -> engine. Adapters call ``build_engine``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.analysis import analyse, load_taxonomy
from bot.brain import OfflineBrain
from bot.domain import JobProfile
from bot.engine import EngineLimits, InterviewEngine
from bot.planning.bank import load_bank
from bot.planning.planner import Planner
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


async def analyse_off_loop(text: str) -> JobProfile:
    """Analysis is CPU work (tens of ms per posting): keep it off the event loop."""
    return await asyncio.to_thread(analyse, text)


@asynccontextmanager
async def build_engine(settings: Settings) -> AsyncIterator[InterviewEngine]:
    """An engine over an open store; the store is closed when the block exits, even on error."""
    store = SQLiteStore(settings.database_file)
    await store.open()
    # Load the taxonomy now, off the loop, so the first user does not wait for it.
    await asyncio.to_thread(load_taxonomy)
    try:
        engine = InterviewEngine(
            store,
            OfflineBrain(analyse_off_loop, Planner(load_bank())),
            limits=EngineLimits(
                max_jd_bytes=settings.max_jd_bytes,
                max_jd_chars=settings.max_jd_chars,
                max_answer_chars=settings.max_answer_chars,
            ),
        )
        yield engine
    finally:
        await store.close()
