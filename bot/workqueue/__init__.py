"""Heavy work off the chat process (issue 12): sandbox runs and speech recognition of recorded
answers on arq workers through Redis when ``WORK_QUEUE=redis``; in this process otherwise (the
default). Discord's live voice always recognises in-process (``speech_to_text_for`` says why).

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


# Shown by ``doctor`` with the queue on: the one piece of heavy work that stays in-process.
LIVE_VOICE_NOTE = "Discord live voice still recognises in this process (per-segment latency)"


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

    For recorded answers (Slack voice clips, ``console --voice-in``), which go through
    ``bot.speech.answers.transcribe_answer``: a queued clip travels as uploaded and the worker
    decodes it. Discord's live voice keeps ``WhisperSTT`` in the chat process whatever this
    says: it recognises short segments while the candidate is still speaking, and a Redis round
    trip per segment would cost the latency that design exists for (see ``cogs/voice.py``)."""
    from bot.speech.config import SpeechConfig

    config = SpeechConfig.from_settings(settings)
    if queued(settings):
        from bot.workqueue.client import QueuedSpeechToText, work_queue

        queue = work_queue(settings.redis_url, settings.work_timeout_s)
        return QueuedSpeechToText(queue, max_bytes=config.max_audio_bytes)
    from bot.speech import build_stt

    return build_stt(config)


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
        return "NOT ready", "; ".join((*report.notes, LIVE_VOICE_NOTE))
    return "ready", (
        f"{queue.where} · a worker is running · jobs wait at most {queue.timeout_s:g} s"
        f" · {LIVE_VOICE_NOTE}"
    )


def http_status(settings: Settings) -> tuple[str, str]:
    """(status, details) for ``interview-bot doctor``."""
    if settings.http_port is None:
        return "off", "set HTTP_PORT to serve /healthz, /metrics and share pages"
    where = f"http://{settings.http_host}:{settings.http_port}"
    return "on", f"{where}/healthz · {where}/metrics · logs as {settings.log_format}"
