"""``interview-bot worker``: the arq worker that runs sandboxed code and speech recognition for
chat processes started with ``WORK_QUEUE=redis``.

Why a separate process: a transcription holds a CPU core for seconds and a sandbox run starts a
process tree; moving both off the chat process keeps its event loop answering Discord and Slack
on time, and lets an operator run the heavy work on another machine.

Job functions never raise for expected failures: they answer ``{"ok": false, "error": kind,
...}`` (a recording that cannot be used, a sandbox that cannot run), which the client turns back
into the typed errors the in-process implementations raise. Anything unexpected is logged here
with its traceback and reported as ``worker_error``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from arq.worker import Worker, func

from bot.ports import CodeRunner, SpeechToText
from bot.sandbox.selfcheck import SandboxUnavailable
from bot.settings import Settings
from bot.speech.errors import AudioError, SpeechUnavailable
from bot.workqueue import codec
from bot.workqueue.client import HEARTBEAT_S, POLL_S, QUEUE_NAME, redis_settings

log = logging.getLogger(__name__)

CODE_RUNNER = "code_runner"
SANDBOX_PROBLEM = "sandbox_problem"
STT = "stt"
# Two sandbox runs at once (two cores) plus recognitions queued behind the model's own thread.
MAX_JOBS = 4


async def run_code(
    ctx: dict[str, Any], code: str, language: str, stdin: str, limits: dict[str, Any]
) -> dict[str, Any]:
    runner: CodeRunner | None = ctx.get(CODE_RUNNER)
    if runner is None:
        problem = ctx.get(SANDBOX_PROBLEM) or "no sandbox on this worker"
        return {"ok": False, "error": "sandbox_unavailable", "message": problem}
    try:
        result = await runner.run(code, language, stdin, codec.limits_from_json(limits))
    except SandboxUnavailable as exc:
        return {"ok": False, "error": "sandbox_unavailable", "message": str(exc)}
    except Exception as exc:
        log.exception("run_code job failed")
        return {"ok": False, "error": "worker_error", "message": type(exc).__name__}
    return {"ok": True, "result": codec.result_to_json(result)}


async def transcribe(
    ctx: dict[str, Any], clip: dict[str, Any], vocabulary: Sequence[str]
) -> dict[str, Any]:
    stt: SpeechToText | None = ctx.get(STT)
    if stt is None:
        return {"ok": False, "error": "speech_unavailable", "message": "no recogniser"}
    try:
        audio = codec.clip_from_json(clip)
    except (KeyError, TypeError, ValueError) as exc:
        return {"ok": False, "error": "worker_error", "message": f"bad clip: {exc}"}
    try:
        decode = getattr(stt, "decode", None)
        if audio.format != "s16le" and callable(decode):
            # An upload as it came (Slack's webm, an mp3): ffmpeg on its own thread, within this
            # worker's limits, so it does not hold the model's thread while another job waits.
            audio = await asyncio.to_thread(decode, audio)
        transcript = await stt.transcribe(audio, list(vocabulary))
    except AudioError as exc:
        return {
            "ok": False,
            "error": "audio",
            "problem": exc.problem.value,
            "user_message": exc.user_message,
            "detail": exc.detail,
        }
    except SpeechUnavailable as exc:
        return {"ok": False, "error": "speech_unavailable", "message": str(exc)}
    except Exception as exc:
        log.exception("transcribe job failed")
        return {"ok": False, "error": "worker_error", "message": type(exc).__name__}
    return {"ok": True, "transcript": codec.transcript_to_json(transcript)}


async def default_code_runner() -> tuple[CodeRunner | None, str]:
    """The worker's sandbox behind a pool (concurrency and metrics), or the reason there is
    none; the same self-check the chat process runs before offering coding rounds."""
    from bot.sandbox.commands import make_runner
    from bot.sandbox.pool import RunnerPool

    try:
        runner = make_runner()
        check = getattr(runner, "check", None)
        if check is not None:
            report = await check()
            for note in getattr(report, "notes", ()):
                log.warning("code sandbox: %s", note)
    except SandboxUnavailable as exc:
        log.warning("code sandbox unavailable on this worker: %s", exc)
        return None, str(exc)
    return RunnerPool(runner, concurrency=2), ""


def default_speech_to_text() -> SpeechToText | None:
    """faster-whisper, loaded on the first job; ``None`` when the voice extra is missing."""
    try:
        from bot.speech import build_stt

        return build_stt()
    except SpeechUnavailable as exc:
        log.warning("speech-to-text unavailable on this worker: %s", exc)
        return None


def build_worker(
    settings: Settings,
    *,
    code_runner: CodeRunner | None = None,
    sandbox_problem: str = "",
    stt: SpeechToText | None = None,
    max_jobs: int = MAX_JOBS,
    queue_name: str = QUEUE_NAME,
) -> Worker:
    """An arq ``Worker`` for ``settings.redis_url``; signals are left to the caller."""
    if not settings.redis_url:
        raise ValueError("the worker needs REDIS_URL (redis://host:6379/0)")
    redis = redis_settings(settings.redis_url)
    redis.conn_retries = 5  # a worker may start before Redis: wait a little, unlike a chat turn
    ctx: dict[str, Any] = {CODE_RUNNER: code_runner, SANDBOX_PROBLEM: sandbox_problem, STT: stt}
    return Worker(
        functions=[
            func(run_code, name="run_code", max_tries=1),
            func(transcribe, name="transcribe", max_tries=1),
        ],
        queue_name=queue_name,
        redis_settings=redis,
        handle_signals=False,
        max_jobs=max_jobs,
        job_timeout=settings.work_timeout_s,
        keep_result=settings.work_timeout_s + 60,
        poll_delay=POLL_S,
        health_check_interval=HEARTBEAT_S,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx=ctx,
    )


async def run_worker(settings: Settings) -> None:
    """Run the worker with the default sandbox and recogniser until cancelled."""
    runner, problem = await default_code_runner()
    worker = build_worker(
        settings, code_runner=runner, sandbox_problem=problem, stt=default_speech_to_text()
    )
    log.warning(
        "work-queue worker %s: sandbox %s, speech-to-text %s",
        settings.instance_name,
        "ready" if runner is not None else f"unavailable ({problem})",
        "ready" if worker.ctx.get(STT) is not None else "unavailable",
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()
        close = getattr(getattr(runner, "runner", None), "close", None)
        if callable(close):
            close()
