"""Wiring: Settings -> store, analyser, planner -> engine. Adapters call ``build_engine``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.analysis import analyse, load_taxonomy
from bot.brain import Brain, OfflineBrain
from bot.domain import JobProfile
from bot.engine import EngineLimits, InterviewEngine
from bot.intake import IntakeLimits
from bot.observability import configure_logging as setup_logging
from bot.planning.bank import load_bank
from bot.planning.planner import Planner
from bot.sandbox.commands import make_runner
from bot.sandbox.pool import RunnerPool
from bot.sandbox.round import CodingRound
from bot.sandbox.selfcheck import SandboxUnavailable
from bot.settings import Settings
from bot.store import open_store
from bot.workqueue import code_runner_for

log = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    """Text or JSON lines (``INTERVIEW_BOT_LOG_FORMAT``), secrets scrubbed: bot.observability."""
    setup_logging(settings)


async def analyse_off_loop(text: str) -> JobProfile:
    """Analysis is CPU work (tens of ms per posting): keep it off the event loop."""
    return await asyncio.to_thread(analyse, text)


async def build_coding_round(settings: Settings | None = None) -> CodingRound | None:
    """Exercises judged in the sandbox, or ``None`` (walkthrough questions) when it can't run.

    The self-check runs once here so a machine without a safe sandbox is known at start, with
    the reason logged, rather than on a candidate's first code answer.
    """
    try:
        # WORK_QUEUE=redis: runs go to an ``interview-bot worker`` (issue 12).
        runner = code_runner_for(settings) if settings is not None else make_runner()
        check = getattr(runner, "check", None)
        if check is not None:
            report = await check()
            for note in getattr(report, "notes", ()):
                log.warning("code sandbox: %s", note)
    except SandboxUnavailable as exc:
        log.warning("%s", exc)
        return None
    except Exception:
        # Anything unexpected in the self-check means we can't vouch for the sandbox.
        log.exception("code sandbox self-check failed; coding rounds are walkthroughs")
        return None
    return CodingRound.load(RunnerPool(runner, concurrency=2))


def build_brain(settings: Settings, coding: CodingRound | None = None) -> Brain:
    """The offline brain, wrapped by ``LLMBrain`` when an endpoint is configured.

    ``bot.llm`` imports ``openai`` only inside ``build_brain``, so with nothing configured the
    ``llm`` extra need not be installed; if it is missing while configured, say so and stay offline.
    """
    offline = OfflineBrain(analyse_off_loop, Planner(load_bank()), coding)
    from bot.llm import llm_configured

    if not llm_configured(settings):
        return offline
    try:
        from bot.llm import build_brain as build_llm_brain

        brain = build_llm_brain(settings, offline)
    except ImportError as exc:
        log.warning("LLM configured but the llm extra is not installed (%s); staying offline", exc)
        return offline
    log.info(
        "LLM interviewer: model %s at %s",
        brain.client.model or "(server default)",
        brain.client.display_url,
    )
    return brain


@asynccontextmanager
async def build_engine(settings: Settings) -> AsyncIterator[InterviewEngine]:
    """An engine over an open store; the store is closed when the block exits, even on error."""
    store = await open_store(settings)
    brain: Brain | None = None
    coding: CodingRound | None = None
    try:
        # Load the taxonomy now, off the loop, so the first user does not wait for it.
        await asyncio.to_thread(load_taxonomy)
        coding = await build_coding_round(settings)
        brain = build_brain(settings, coding)
        engine = InterviewEngine(
            store,
            brain,
            limits=EngineLimits(
                max_answer_chars=settings.max_answer_chars,
                intake=IntakeLimits.from_settings(settings),
            ),
            owner=settings.instance_name,
        )
        try:
            yield engine
        finally:
            # Give sessions back before the store closes, so another process can take them now.
            await engine.aclose()
    finally:
        closer = getattr(brain, "aclose", None)
        if closer is not None:
            await closer()
        if coding is not None:
            coding.close()
        await store.close()
