"""The chat process's side of the work queue: enqueue a job on arq/Redis and wait for its result.

``QueuedCodeRunner`` and ``QueuedSpeechToText`` implement the same ports as the in-process
sandbox and recogniser, so the engine and adapters cannot tell where the work ran. Every wait is
bounded by ``work_timeout_s``; Redis being down, no worker running, or a late result raise the
port's usual "unavailable" error (see ``errors.py``) within that bound, never a hang or a crash.

Before enqueueing we look for the workers' heartbeat key (arq refreshes it every
``HEARTBEAT_S``): with no worker running, the candidate hears so at once instead of after the
full time-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import DeserializationError, ResultNotFound, SerializationError
from redis.exceptions import RedisError

from bot.observability import observe_queue
from bot.ports import AudioClip, RunLimits, RunResult, Transcript
from bot.speech.config import SpeechConfig
from bot.speech.errors import AudioError, AudioProblem, SpeechUnavailable
from bot.workqueue import codec
from bot.workqueue.errors import (
    CodeQueueUnavailable,
    SpeechQueueUnavailable,
    WorkQueueUnavailable,
)

log = logging.getLogger(__name__)

QUEUE_NAME = "interview-bot:work"
HEALTH_KEY = QUEUE_NAME + ":health-check"
HEARTBEAT_S = 5.0
CONNECT_TIMEOUT_S = 2
POLL_S = 0.05  # result polling; with the worker's poll, the bulk of the queue's overhead
DEFAULT_LIMITS = RunLimits()
DEFAULT_MAX_AUDIO_BYTES = SpeechConfig().max_audio_bytes  # 50 MiB, as in this process


def redis_settings(url: str, *, connect_timeout_s: int = CONNECT_TIMEOUT_S) -> RedisSettings:
    """arq's settings for ``url`` with no connection retries: a chat turn must not wait out
    arq's default five one-second retries when Redis is down."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = connect_timeout_s
    settings.conn_retries = 0
    return settings


def describe_redis(url: str) -> str:
    """``redis://host:port/db`` without credentials, for messages and logs."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or 'localhost'}{port}{parts.path}"


class WorkQueue:
    """One arq connection pool, opened on first use and reopened after Redis comes back."""

    def __init__(
        self,
        redis_url: str,
        *,
        timeout_s: float,
        queue_name: str = QUEUE_NAME,
        check_worker: bool = True,
    ) -> None:
        self.redis_url = redis_url
        self.where = describe_redis(redis_url)
        self.timeout_s = timeout_s
        self.queue_name = queue_name
        self.health_key = queue_name + ":health-check"
        self.check_worker = check_worker
        self._pool: ArqRedis | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> ArqRedis:
        async with self._lock:
            if self._pool is None:
                self._pool = await create_pool(
                    redis_settings(self.redis_url),
                    job_serializer=codec.dumps,
                    job_deserializer=codec.loads,
                    default_queue_name=self.queue_name,
                )
            return self._pool

    async def _drop_pool(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(RedisError, OSError):
                await pool.aclose()

    async def call(
        self, function: str, *args: Any, error: Callable[[str, str], WorkQueueUnavailable]
    ) -> dict[str, Any]:
        """Run ``function(*args)`` on a worker and return its result dict; raise ``error(message,
        reason)`` when no result comes."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with asyncio.timeout(self.timeout_s):
                pool = await self._connected()
                if self.check_worker and not await pool.exists(self.health_key):
                    outcome = "no_worker"
                    raise error(
                        f"no work-queue worker is running on {self.where} "
                        "(start one with: interview-bot worker)",
                        outcome,
                    )
                job = await pool.enqueue_job(
                    function, *args, _queue_name=self.queue_name, _expires=self.timeout_s
                )
                if job is None:  # only possible with a fixed job id, which we never pass
                    outcome = "worker_error"
                    raise error("the work queue refused the job", outcome)
                result = await job.result(poll_delay=POLL_S)
        except WorkQueueUnavailable:
            raise
        except TimeoutError as exc:
            outcome = "timeout"
            raise error(
                f"no result from the work queue within {self.timeout_s:g} s", outcome
            ) from exc
        except (RedisError, OSError) as exc:
            outcome = "redis"
            await self._drop_pool()
            raise error(f"Redis at {self.where} is unreachable ({exc})", outcome) from exc
        except (SerializationError, DeserializationError, ResultNotFound) as exc:
            outcome = "worker_error"
            raise error(f"the worker failed on this job ({exc})", outcome) from exc
        finally:
            observe_queue(function, time.perf_counter() - started, outcome)
        if not isinstance(result, dict):
            outcome = "worker_error"
            raise error(f"the worker sent an unexpected result ({type(result).__name__})", outcome)
        return result

    async def aclose(self) -> None:
        await self._drop_pool()


@dataclass(frozen=True, slots=True)
class QueueReport:
    """What ``QueuedCodeRunner.check`` found; ``notes`` are logged as warnings at start."""

    notes: tuple[str, ...] = ()


class QueuedCodeRunner:
    """``CodeRunner`` whose runs happen in the sandbox of an ``interview-bot worker``."""

    def __init__(self, queue: WorkQueue) -> None:
        self.queue = queue

    async def check(self) -> QueueReport:
        """Called where the local sandbox runs its self-check (``build_coding_round``): tells
        the operator at start when Redis or a worker is missing. It never turns coding rounds
        off, because a worker started later serves them; until then code answers get the usual
        "couldn't run your code just now"."""
        try:
            pool = await self.queue._connected()
            alive = bool(await pool.exists(self.queue.health_key))
        except (RedisError, OSError) as exc:
            return QueueReport((f"work queue: Redis at {self.queue.where} is unreachable ({exc})",))
        if not alive:
            return QueueReport(("work queue: no worker is running yet (interview-bot worker)",))
        return QueueReport()

    async def run(
        self, code: str, language: str, stdin: str = "", limits: RunLimits = DEFAULT_LIMITS
    ) -> RunResult:
        answer = await self.queue.call(
            "run_code",
            code,
            language,
            stdin,
            codec.limits_to_json(limits),
            error=CodeQueueUnavailable,
        )
        if answer.get("ok"):
            return codec.result_from_json(answer["result"])
        raise CodeQueueUnavailable(
            f"the worker could not run the code: {answer.get('message', '')}",
            str(answer.get("error", "worker_error")),
        )

    async def aclose(self) -> None:
        await self.queue.aclose()


class QueuedSpeechToText:
    """``SpeechToText`` whose recognition happens on an ``interview-bot worker``.

    Encoded clips (an upload as it came) travel as they are and the worker decodes them within
    its own limits; ``max_bytes`` is checked here too, so an oversized or empty upload is
    refused without a trip through Redis. A recording the worker could not use comes back as
    the same ``AudioError`` (problem and message for the candidate) that in-process recognition
    raises."""

    def __init__(self, queue: WorkQueue, *, max_bytes: int = DEFAULT_MAX_AUDIO_BYTES) -> None:
        self.queue = queue
        self.max_bytes = max_bytes

    def _check_size(self, clip: AudioClip) -> None:
        """The size rules of ``bot.speech.audio.decode``, with its messages."""
        size = len(clip.data)
        if size == 0:
            raise AudioError(AudioProblem.EMPTY, "The recording is empty. Please record it again.")
        if clip.format != "s16le" and size > self.max_bytes:
            raise AudioError(
                AudioProblem.TOO_LARGE,
                f"The file is {size / 1e6:.0f} MB; recordings can be at most "
                f"{self.max_bytes / 1e6:.0f} MB. Send a shorter answer.",
            )

    async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript:
        self._check_size(clip)
        answer = await self.queue.call(
            "transcribe",
            codec.clip_to_json(clip),
            [str(v) for v in vocabulary],
            error=SpeechQueueUnavailable,
        )
        if answer.get("ok"):
            return codec.transcript_from_json(answer["transcript"])
        if answer.get("error") == "audio":
            try:
                problem = AudioProblem(str(answer.get("problem")))
            except ValueError:
                problem = AudioProblem.DAMAGED
            raise AudioError(
                problem, str(answer.get("user_message", "")), str(answer.get("detail", ""))
            )
        if answer.get("error") == "speech_unavailable":
            raise SpeechUnavailable(f"on the worker: {answer.get('message', '')}")
        raise SpeechQueueUnavailable(
            f"the worker could not transcribe: {answer.get('message', '')}", "worker_error"
        )

    async def aclose(self) -> None:
        await self.queue.aclose()


def work_queue(redis_url: str | None, timeout_s: float) -> WorkQueue:
    if not redis_url:
        raise WorkQueueUnavailable("work_queue=redis needs REDIS_URL", "redis")
    return WorkQueue(redis_url, timeout_s=timeout_s)


async def redis_health(redis_url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> tuple[bool, str]:
    """(reachable, detail) for a worker's ``/healthz``: a worker without Redis does nothing."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    started = time.perf_counter()
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        return False, f"Redis at {describe_redis(redis_url)} is unreachable ({exc})"
    finally:
        await client.aclose()
    return True, f"answered in {(time.perf_counter() - started) * 1000:.0f} ms"
