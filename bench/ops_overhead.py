"""Operations cost (issue 12): what the work queue adds to a sandbox run, and what a scrape costs.

    .venv/bin/python bench/ops_overhead.py [--runs 30] [--scrapes 200]

Queue overhead = median wall time of ``print(1)`` run through ``QueuedCodeRunner`` (redis-server
on loopback, an arq worker in a separate process, the worker's real sandbox) minus the median of
the same program through the in-process sandbox; runs are interleaved so machine noise hits both.
Scrape = ``GET /metrics`` and ``GET /healthz`` over loopback against a real SQLite store holding
``--sessions`` open sessions (``sessions_active`` is recounted at most every 10 s, so the cached
and the counting scrape are timed separately).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from adapters.web.server import HttpServer, build_app  # noqa: E402
from bot.observability import metrics  # noqa: E402
from bot.ports import SessionRecord  # noqa: E402
from bot.sandbox.local import LocalRunner  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.sqlite import SQLiteStore  # noqa: E402
from bot.workqueue.client import QueuedCodeRunner, WorkQueue  # noqa: E402
from tests.conftest import CONV, USER  # noqa: E402
from tests.redis_server import free_port, redis_server  # noqa: E402


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):.1f} ms, p90 {p90:.1f} ms"


async def queue_overhead(url: str, runs: int) -> None:
    queue = WorkQueue(url, timeout_s=60)
    queued = QueuedCodeRunner(queue)
    for _ in range(100):  # wait for the worker's heartbeat (10 s at most)
        try:
            await queued.run("print(1)", "python")
            break
        except Exception:
            await asyncio.sleep(0.1)
    local = LocalRunner(slots=1)
    await local.check()
    inline_ms: list[float] = []
    queued_ms: list[float] = []
    for _ in range(runs):
        for runner, out in ((local, inline_ms), (queued, queued_ms)):
            started = time.perf_counter()
            result = await runner.run("print(1)", "python")
            out.append((time.perf_counter() - started) * 1000)
            assert result.status == "ok", result
    local.close()
    await queue.aclose()
    print(f"in-process sandbox run: {_ms(inline_ms)}")
    print(f"queued sandbox run:     {_ms(queued_ms)}")
    overhead = statistics.median(queued_ms) - statistics.median(inline_ms)
    print(f"queue overhead (median difference): {overhead:.1f} ms")


async def scrape_cost(directory: Path, scrapes: int, sessions: int) -> None:
    from bot.analysis import analyse
    from bot.domain import InterviewPlan

    store = SQLiteStore(directory / "bench.sqlite3")
    await store.open()
    profile = analyse("Senior Backend Engineer\n\nPython, PostgreSQL, Kafka, Docker.")
    for n in range(sessions):
        await store.create_session(
            SessionRecord(
                id=f"s{n}",
                user_key=f"{USER.platform}:{n}",
                conversation_key=f"{CONV.key}{n}",
                state="asking",
                profile=profile,
                plan=InterviewPlan(questions=()),
                created_at=1.0,
                updated_at=1.0,
            )
        )
    settings = Settings(data_dir=directory, instance_name="bench")
    timings: dict[str, list[float]] = {"metrics (cached count)": [], "healthz": []}
    counting: list[float] = []
    async with (
        HttpServer(build_app(settings, store), "127.0.0.1", 0) as server,
        aiohttp.ClientSession() as http,
    ):
        for _ in range(scrapes):
            for path, name in (("/metrics", "metrics (cached count)"), ("/healthz", "healthz")):
                out = timings[name]
                started = time.perf_counter()
                async with http.get(server.url + path) as response:
                    await response.read()
                out.append((time.perf_counter() - started) * 1000)
        for _ in range(min(scrapes, 50)):
            metrics()._sessions_counted_at = 0.0  # force a recount
            started = time.perf_counter()
            async with http.get(server.url + "/metrics") as response:
                body = await response.read()
            counting.append((time.perf_counter() - started) * 1000)
    await store.close()
    for name, samples in timings.items():
        print(f"GET {name}: {_ms(samples)}")
    print(f"GET /metrics recounting {sessions} open sessions: {_ms(counting)}")
    print(f"/metrics body: {len(body)} bytes")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis:
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "INTERVIEW_BOT_DATA_DIR": tmp,
            "HTTP_PORT": str(free_port()),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(queue_overhead(redis.url, args.runs))
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        asyncio.run(scrape_cost(Path(tmp), args.scrapes, args.sessions))


if __name__ == "__main__":
    main()
