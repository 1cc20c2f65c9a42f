"""``interview-bot worker``: the work-queue worker process, with health and metrics over HTTP.

The worker itself is core code (``bot/workqueue/worker.py``); this adapter adds what a process
needs around it: the HTTP server (``HTTP_PORT``: ``/healthz`` and ``/metrics``, where the
sandbox and speech latencies of the work done here show up), signals as a clean stop, and exit
codes (0 stopped by SIGTERM or Ctrl-C; 2 cannot start: no Redis URL, Redis unreachable, the
queue extra missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from bot.settings import Settings


async def run_worker_command(settings: Settings, say: Callable[[str], None]) -> int:
    if not settings.redis_url:
        say(
            "! interview-bot worker needs REDIS_URL, e.g. redis://127.0.0.1:6379/0 (README: Operations)."
        )
        return 2
    try:
        from redis.exceptions import RedisError

        from adapters.web.server import http_server
        from bot.workqueue.client import describe_redis, redis_health
        from bot.workqueue.worker import run_worker
    except ImportError as exc:
        say(f"! The worker needs the queue extra ({exc.name}): pip install 'interview-bot[queue]'")
        return 2
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    stops = (signal.SIGTERM, signal.SIGINT)  # a clean stop either way: jobs cancelled, exit 0
    if task is not None:
        for sig in stops:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, task.cancel)
    try:
        url = settings.redis_url
        checks = {"redis": lambda: redis_health(url)}
        async with http_server(settings, None, checks=checks) as server:
            if server is not None:
                say(f"Health and metrics on {server.url}/healthz and {server.url}/metrics")
            try:
                await run_worker(settings)
            except (RedisError, OSError) as exc:
                say(f"! Could not reach Redis at {describe_redis(settings.redis_url)}: {exc}")
                return 2
    except asyncio.CancelledError:
        return 0
    except OSError as exc:
        say(f"! Could not listen on {settings.http_host}:{settings.http_port}: {exc}")
        return 2
    finally:
        for sig in stops:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return 0
