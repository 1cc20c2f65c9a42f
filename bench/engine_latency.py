"""Engine turn latency and memory per session, in-process, offline (issue #3).

Measures, on a real SQLite file:
  * turn latency: an answer in -> the next question (or follow-up) out, including evaluation,
    the follow-up decision and the committed write; p50/p95/p99 over many turns;
  * memory per idle session: Python heap growth (tracemalloc) per session left open at a question;
  * peak heap during one full interview.

Usage: python bench/engine_latency.py [--sessions 200] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from bot.analysis import analyse
from bot.brain import OfflineBrain
from bot.engine import InterviewEngine
from bot.events import Command, ConversationRef, IncomingEvent, ReplyKind, UserRef
from bot.planning.bank import load_bank
from bot.planning.planner import Planner
from bot.resources import data_dir
from bot.store.sqlite import SQLiteStore

ANSWERS = [
    "At my last job I was responsible for a slow reporting service. I profiled it, found an N+1 "
    "query pattern and I rewrote it with a join. As a result the report went from 40 seconds to 2.",
    "We had issues with deploys.",
    "In my previous team our deploys failed weekly. My task was to make them reliable, so I added a "
    "staging check and I wrote a rollback script in Python. Failures fell by 80% within a month.",
    "I would start with the requirements, estimate the load, pick PostgreSQL for the ledger and "
    "Kafka for events because ordering per account matters, and cache hot reads in Redis.",
]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def database_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("bench.sqlite3*"))


async def run(sessions: int) -> dict[str, object]:
    jd = (data_dir() / "samples" / "backend-engineer-senior.md").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        await store.open()
        engine = InterviewEngine(store, OfflineBrain(analyse, Planner(load_bank())))
        conversation = ConversationRef("bench", "c")

        # Turn latency over full interviews.
        latencies: list[float] = []
        tracemalloc.start()
        for n in range(max(10, sessions // 10)):
            user = UserRef("bench", f"lat{n}")
            await engine.handle(
                IncomingEvent.do(user, conversation, Command.START, jd, auto_begin="yes")
            )
            for turn in range(60):
                event = IncomingEvent.say(user, conversation, ANSWERS[turn % len(ANSWERS)])
                started = time.perf_counter()
                replies = await engine.handle(event)
                latencies.append((time.perf_counter() - started) * 1000)
                if replies[-1].kind is ReplyKind.RECAP:
                    break
        _, peak_full = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        # Idle sessions: started and waiting at question 1.
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        for n in range(sessions):
            user = UserRef("bench", f"idle{n}")
            await engine.handle(
                IncomingEvent.do(user, conversation, Command.START, jd, auto_begin="yes")
            )
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await store.close()
        disk_bytes = database_bytes(Path(tmp))
        total_sessions = sessions + max(10, sessions // 10)

    return {
        "machine": f"{platform.machine()} {platform.processor() or ''} "
        f"python {platform.python_version()}".strip(),
        "turns": len(latencies),
        "turn_ms_p50": round(statistics.median(latencies), 2),
        "turn_ms_p95": round(percentile(latencies, 95), 2),
        "turn_ms_p99": round(percentile(latencies, 99), 2),
        "idle_sessions": sessions,
        "heap_kb_per_idle_session": round((after - before) / 1024 / sessions, 2),
        "peak_heap_mb_during_interviews": round(peak_full / 1024 / 1024, 2),
        "disk_kb_per_session": round(disk_bytes / 1024 / total_sessions, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(run(args.sessions))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
