"""Sharing and export cost (issue 11): what opening a share link and exporting a PDF take.

    .venv/bin/python bench/share_export.py [--requests 50] [--pdfs 10]

Page = ``GET /s/{token}`` over loopback against the real route and a real SQLite store: HMAC
check, link and session lookup on every request, the rendered page from the route's cache after
the first view. Render = ``session_page`` itself (chart drawn with matplotlib), what a first view
adds. Refused = the same with a tampered token (HMAC only: no store access). PDF = the whole
``session_pdf`` (chart included), sequentially, after one warm-up each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from adapters.web.share_routes import share_routes  # noqa: E402
from bot.export.pdf import session_pdf  # noqa: E402
from bot.planning.bank import load_bank  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.share import create_share  # noqa: E402
from bot.store.sqlite import SQLiteStore  # noqa: E402
from bot.web.share_page import session_page  # noqa: E402
from tests.sharing import save, shared_record  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms"


async def timed_gets(
    session: aiohttp.ClientSession, url: str, count: int
) -> tuple[list[float], int, int]:
    times: list[float] = []
    status = size = 0
    for _ in range(count + 1):
        started = time.perf_counter()
        async with session.get(url) as response:
            body = await response.read()
            status, size = response.status, len(body)
        times.append((time.perf_counter() - started) * 1000)
    return times[1:], status, size  # the first request warms imports and fonts


async def main(requests: int, pdfs: int) -> None:
    record = shared_record(load_bank(), "benchsession", "bench:user")
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        await store.open()
        await save(store, record)
        settings = Settings(data_dir=Path(tmp), share_secret="b" * 32)
        app = web.Application()
        share_routes(store, settings)(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        made = await create_share(store, settings, record.id, record.user_key, now=time.time())
        tampered = made.token[:-1] + ("A" if made.token[-1] != "A" else "B")
        async with aiohttp.ClientSession() as http:
            page, page_status, page_size = await timed_gets(
                http, f"{base}/s/{made.token}", requests
            )
            refused, refused_status, _ = await timed_gets(http, f"{base}/s/{tampered}", requests)
        await runner.cleanup()
        await store.close()
    session_page(record)
    render_times: list[float] = []
    for _ in range(pdfs):
        started = time.perf_counter()
        session_page(record)
        render_times.append((time.perf_counter() - started) * 1000)
    session_pdf(record)
    pdf_times: list[float] = []
    for _ in range(pdfs):
        started = time.perf_counter()
        data = session_pdf(record)
        pdf_times.append((time.perf_counter() - started) * 1000)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"share page ({page_status}, {page_size / 1024:.1f} KiB): {percentiles(page)} over {requests}"
    )
    print(f"page render, not cached (chart included): {percentiles(render_times)} over {pdfs}")
    print(f"tampered link ({refused_status}): {percentiles(refused)} over {requests}")
    print(f"PDF export ({len(data) / 1024:.1f} KiB): {percentiles(pdf_times)} over {pdfs}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--pdfs", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.requests, options.pdfs))
