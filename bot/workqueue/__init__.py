"""Heavy work off the chat process (issue 12): sandbox runs and speech recognition on arq
workers through Redis when ``WORK_QUEUE=redis``; in this process otherwise (the default).

The two ``*_for(settings)`` functions are the one place that chooses. arq (the ``queue`` extra)
is imported only when the queue is configured, so the default install never needs it.
"""

from __future__ import annotations

from bot.ports import CodeRunner, SpeechToText
from bot.settings import Settings
from bot.workqueue.errors import CodeQueueUnavailable, SpeechQueueUnavailable, WorkQueueUnavailable

__all__ = [
    "CodeQueueUnavailable",
    "SpeechQueueUnavailable",
    "WorkQueueUnavailable",
    "code_runner_for",
    "http_status",
    "queue_status",
    "queued",
    "speech_to_text_for",
]


def queued(settings: Settings) -> bool:
    return settings.work_queue == "redis"


def code_runner_for(settings: Settings) -> CodeRunner:
    """Runs on a worker through Redis (``WORK_QUEUE=redis``), else this machine's sandbox (or
    the Piston executor, as ``make_runner`` decides)."""
    if queued(settings):
        from bot.workqueue.client import QueuedCodeRunner, work_queue

        return QueuedCodeRunner(work_queue(settings.redis_url, settings.work_timeout_s))
    from bot.sandbox.commands import make_runner

    return make_runner()


def speech_to_text_for(settings: Settings) -> SpeechToText:
    """Recognition on a worker through Redis (``WORK_QUEUE=redis``), else faster-whisper here.

    Not wired into the voice adapters yet: they build ``WhisperSTT`` themselves and
    ``bot.speech.answers.transcribe_answer`` calls its ``decode`` before ``transcribe``. To use
    the queue there, build the recogniser with this function and let ``transcribe_answer`` take
    any ``SpeechToText`` (a queued clip is decoded, within the same limits, on the worker)."""
    if queued(settings):
        from bot.workqueue.client import QueuedSpeechToText, work_queue

        return QueuedSpeechToText(work_queue(settings.redis_url, settings.work_timeout_s))
    from bot.speech import build_stt

    return build_stt()


async def queue_status(settings: Settings) -> tuple[str, str]:
    """(status, details) for ``interview-bot doctor``: where heavy work runs and whether a
    worker would take it now."""
    if not queued(settings):
        return "inline", "sandbox runs and speech-to-text in this process (WORK_QUEUE=inline)"
    try:
        from bot.workqueue.client import QueuedCodeRunner, work_queue
    except ImportError as exc:
        return "not installed", f"WORK_QUEUE=redis needs the queue extra ({exc.name})"
    queue = work_queue(settings.redis_url, settings.work_timeout_s)
    try:
        report = await QueuedCodeRunner(queue).check()
    finally:
        await queue.aclose()
    if report.notes:
        return "NOT ready", "; ".join(report.notes)
    return "ready", f"{queue.where} · a worker is running · jobs wait at most {queue.timeout_s:g} s"


def http_status(settings: Settings) -> tuple[str, str]:
    """(status, details) for ``interview-bot doctor``."""
    if settings.http_port is None:
        return "off", "set HTTP_PORT to serve /healthz, /metrics and share pages"
    where = f"http://{settings.http_host}:{settings.http_port}"
    return "on", f"{where}/healthz · {where}/metrics · logs as {settings.log_format}"
