"""Scale-out load test (issue 12): many concurrent simulated text interviews against one bot.

In-process mode (the default): ``--sessions`` candidates (1,000) each paste a job description,
begin, and answer every question and follow-up after a pause drawn from ``--pause`` (compressed
from the minutes a real candidate thinks, so a run takes minutes, not hours), all against one
engine in this process (the real offline brain: analysis, planning, grading, follow-ups) over
SQLite and/or a throwaway PostgreSQL cluster (``tests/pg_cluster.py``). Reported: p50/p95/p99 turn
latency (an answer in -> the next question out, committed), start latency, CPU time (this process
and the PostgreSQL server), RSS before, at the peak and after, and per session. Then the store is
checked: every session finished and holds exactly the answers its candidate sent, once each, in
order.

Crash mode (``--crash``): two worker processes (``tests/scale_worker.py``) on one PostgreSQL
database share the candidates; mid-load one is killed with SIGKILL. Its candidates go to the
survivor, which claims each session (the dead process's advisory locks went with its
connections), says where the interview stands ("Picking up where we left off", as after a
restart) and finishes it. An answer that was in flight at the kill either was committed (the
survivor's turn count shows it) or is sent again; the store check then proves no turn was lost or
duplicated.

Usage:
  python bench/load.py                                  # 1,000 sessions, SQLite then PostgreSQL
  python bench/load.py --backend sqlite --sessions 200 --pause 2:6
  python bench/load.py --crash --sessions 300
  python bench/load.py --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import analyse_off_loop  # noqa: E402
from bot.brain import OfflineBrain  # noqa: E402
from bot.engine import BUSY_TEXT, InterviewEngine  # noqa: E402
from bot.planning.bank import load_bank  # noqa: E402
from bot.planning.planner import Planner  # noqa: E402
from bot.ports import Store  # noqa: E402
from bot.resources import data_dir  # noqa: E402
from bot.store import store_for_url  # noqa: E402
from tests.pg_cluster import Cluster, ClusterUnavailable, start_cluster  # noqa: E402
from tests.scale_worker import handle as worker_handle  # noqa: E402

ANSWERS = (
    "At my last job I was responsible for a slow reporting service. I profiled it, found an N+1 "
    "query pattern and rewrote it with a join. As a result the report went from 40 seconds to 2 "
    "and the finance team stopped exporting to spreadsheets.",
    "In my previous team our deploys failed about once a week. My task was to make them reliable, "
    "so I added a staging smoke test and wrote a rollback script, and I walked the on-call rota "
    "through it. Failures fell by 80% within a month.",
    "I would start from the requirements and the failure modes: estimate the load, keep the "
    "ledger in PostgreSQL for transactions, publish events through an outbox so we never dual "
    "write, and cache hot reads with a short expiry. I would watch error rates and lag.",
    "We had a disagreement about shipping without load tests. I proposed a two-day test, shared "
    "the numbers openly, and we fixed the connection pool before launch; launch day handled four "
    "times the traffic without an incident. I learned to bring data, not opinions.",
    "Honestly I have not done that exactly, but I would read the logs first, reproduce it with "
    "a small test case, fix the narrowest thing that explains it, and add monitoring so we would "
    "know sooner next time.",
)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_bytes(pid: int | None = None) -> int:
    with open(f"/proc/{pid or 'self'}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_seconds_of_children(parent: int) -> float:
    """utime+stime of ``parent`` and its live children (the PostgreSQL server and backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == parent or int(fields[1]) == parent:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def samples() -> list[str]:
    return [p.read_text() for p in sorted((data_dir() / "samples").glob("*.md"))]


class WorkerDied(RuntimeError):
    """The process handling this candidate is gone (crash mode)."""


Transport = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class Candidate:
    """One simulated candidate: what it sent, what it measured, where its session lives."""

    index: int
    jd: str
    rng: random.Random
    transport: Transport
    user: str = ""
    session_id: str = ""
    sent: list[str] = field(default_factory=list)
    in_flight: str | None = None
    turn_ms: list[float] = field(default_factory=list)
    start_ms: float = 0.0
    busy: int = 0
    failures: int = 0  # error replies (overload, pool time-outs) recovered from by resyncing
    last_failure: str = ""
    in_flight_committed: int = 0  # a reply was lost but the answer had been stored
    in_flight_resent: int = 0  # a reply was lost and so was the answer: sent again
    taken_over: bool = False
    finished: bool = False
    error: str = ""

    def __post_init__(self) -> None:
        self.user = f"c{self.index:05d}"

    def answer(self) -> str:
        # A realistic answer plus a marker that makes every answer unique, so the store check can
        # tell a duplicated turn from two similar ones.
        base = ANSWERS[(self.index + len(self.sent)) % len(ANSWERS)]
        return f"{base} (ref {self.user}-{len(self.sent)})"


def last_kind(message: dict[str, Any]) -> str:
    kinds = [r["kind"] for r in message.get("replies", [])]
    for wanted in ("recap", "question", "summary"):
        if wanted in kinds:
            return wanted
    if any(r["text"] == BUSY_TEXT for r in message.get("replies", [])):
        return "busy"
    return kinds[-1] if kinds else "none"


RECAP_SEEN = {
    "replies": [
        {"kind": "recap", "text": "", "session_id": "", "question_number": 0, "follow_up": False}
    ]
}


def settle(c: Candidate, turns: int | None) -> bool:
    """After a reply was lost (an error, a dead process), the stored turn count says whether the
    answer in flight was committed; a candidate would see the same thing in the thread. True when
    no interview is open any more (the lost answer was the last one)."""
    if c.in_flight is None:
        if turns is not None and turns != len(c.sent):
            raise RuntimeError(f"{c.user}: the store has {turns} turns, {len(c.sent)} were sent")
        return False
    finished = False
    if turns is None or turns == len(c.sent) + 1:
        c.sent.append(c.in_flight)  # stored before the failure: do not send it again
        c.in_flight_committed += 1
        finished = turns is None
    elif turns == len(c.sent):
        c.in_flight_resent += 1  # lost: the same answer goes again
    else:
        raise RuntimeError(f"{c.user}: the store has {turns} turns, {len(c.sent)} were sent")
    c.in_flight = None
    return finished


async def step(c: Candidate, request: dict[str, Any]) -> dict[str, Any]:
    """One request; on an error reply, wait, ask where the interview stands and carry on from
    there, as a candidate told "something went wrong" would (bounded: 5 tries)."""
    for attempt in range(5):
        try:
            return await c.transport(request)
        except Exception as exc:
            c.failures += 1
            c.last_failure = f"{type(exc).__name__}: {exc}"[:200]
        await asyncio.sleep(1.0 + attempt)
        try:
            message = await c.transport({"op": "current", "user": c.user})
        except Exception as exc:
            c.last_failure = f"{type(exc).__name__}: {exc}"[:200]
            continue
        turns = message.get("turns")
        if request["op"] == "start" and turns is None and not message["replies"]:
            continue  # nothing was created: start again
        if settle(c, turns):
            return RECAP_SEEN
        if message["replies"]:
            return message
    raise RuntimeError(f"gave up after 5 failures; last: {c.last_failure}")


async def interview(
    c: Candidate, start_delay: float, pause: tuple[float, float], length: str
) -> None:
    await asyncio.sleep(start_delay)
    try:
        began = time.perf_counter()
        message = await step(
            c, {"op": "start", "user": c.user, "text": c.jd, "options": {"length": length}}
        )
        c.start_ms = (time.perf_counter() - began) * 1000
        for _step in range(200):
            kind = last_kind(message)
            ids = [r["session_id"] for r in message.get("replies", []) if r["session_id"]]
            c.session_id = c.session_id or (ids[-1] if ids else "")
            if kind == "recap":
                c.finished = True
                return
            if kind == "summary":
                message = await step(c, {"op": "do", "user": c.user, "command": "begin"})
            elif kind == "question":
                await asyncio.sleep(c.rng.uniform(*pause))
                text = c.answer()
                c.in_flight = text
                began = time.perf_counter()
                message = await step(c, {"op": "say", "user": c.user, "text": text})
                if c.in_flight is not None:  # a takeover or a resync may have settled it
                    c.turn_ms.append((time.perf_counter() - began) * 1000)
                    c.sent.append(text)
                    c.in_flight = None
            elif kind == "busy":
                c.busy += 1
                await asyncio.sleep(0.2)
                message = await step(c, {"op": "current", "user": c.user})
            else:
                c.error = f"unexpected reply: {message}"
                return
        c.error = "did not finish within 200 steps"
    except Exception as exc:  # a bench keeps going and reports the candidate as failed
        c.error = f"{type(exc).__name__}: {exc}"


async def verify(store: Store, candidates: list[Candidate]) -> dict[str, int]:
    """Every session finished with exactly the answers its candidate sent, once each, in order."""
    report = {
        "sessions_ok": 0,
        "lost_turns": 0,
        "duplicated_turns": 0,
        "unfinished": 0,
        "out_of_order": 0,
        "failed_candidates": 0,
    }
    for c in candidates:
        if c.error or not c.session_id:
            report["failed_candidates"] += 1
            continue
        record = await store.load_session(c.session_id)
        if record is None:
            report["lost_turns"] += len(c.sent)
            continue
        answers = [t.answer for t in record.turns]
        seqs = [t.seq for t in record.turns]
        report["lost_turns"] += len(set(c.sent) - set(answers))
        report["duplicated_turns"] += len(answers) - len(set(answers))
        report["duplicated_turns"] += len(set(answers) - set(c.sent))  # stored, never acked
        if record.state != "finished" or record.recap is None:
            report["unfinished"] += 1
        if seqs != list(range(len(seqs))) or answers != c.sent:
            report["out_of_order"] += 1
        if answers == c.sent and record.state == "finished":
            report["sessions_ok"] += 1
    return report


def summarise(candidates: list[Candidate]) -> dict[str, Any]:
    turns = [ms for c in candidates for ms in c.turn_ms]
    starts = [c.start_ms for c in candidates if c.start_ms]
    return {
        "turns": len(turns),
        "turn_p50_ms": round(percentile(turns, 50), 1),
        "turn_p95_ms": round(percentile(turns, 95), 1),
        "turn_p99_ms": round(percentile(turns, 99), 1),
        "turn_max_ms": round(max(turns), 1) if turns else None,
        "start_p50_ms": round(percentile(starts, 50), 1),
        "start_p95_ms": round(percentile(starts, 95), 1),
        "busy_notices": sum(c.busy for c in candidates),
        "error_replies_recovered": sum(c.failures for c in candidates),
        "in_flight_committed": sum(c.in_flight_committed for c in candidates),
        "in_flight_resent": sum(c.in_flight_resent for c in candidates),
        "errors": [c.error for c in candidates if c.error][:5],
    }


# ---------------------------------------------------------------------- in-process
async def run_inprocess(
    name: str, url: str, args: argparse.Namespace, server_pid: int | None
) -> dict[str, Any]:
    store = store_for_url(url)
    await store.open()
    engine = InterviewEngine(
        store, OfflineBrain(analyse_off_loop, Planner(load_bank())), owner=f"bench-{name}"
    )

    async def transport(request: dict[str, Any]) -> dict[str, Any]:
        return await worker_handle(engine, {"rid": 0, **request})

    jds = samples()
    pause = args.pause
    # Warm-up: one full interview, so imports, the taxonomy and the bank are loaded before the
    # baseline (their memory is not per-session memory).
    warm = Candidate(-1, jds[0], random.Random(0), transport)
    await interview(warm, 0, (0, 0), args.length)
    assert warm.finished, warm.error
    rss_before = rss_bytes()
    cpu_before = sum(os.times()[:2])
    server_cpu_before = cpu_seconds_of_children(server_pid) if server_pid else 0.0
    peak = rss_before

    async def sample_rss() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_bytes())
            await asyncio.sleep(0.25)

    rng = random.Random(12)
    candidates = [
        Candidate(i, jds[i % len(jds)], random.Random(i), transport) for i in range(args.sessions)
    ]
    sampler = asyncio.create_task(sample_rss())
    wall = time.perf_counter()
    await asyncio.gather(
        *(interview(c, rng.uniform(0, args.ramp), pause, args.length) for c in candidates)
    )
    wall = time.perf_counter() - wall
    sampler.cancel()
    cpu = sum(os.times()[:2]) - cpu_before
    server_cpu = (cpu_seconds_of_children(server_pid) - server_cpu_before) if server_pid else None
    rss_after = rss_bytes()
    check = await verify(store, candidates)
    await engine.aclose()
    await store.close()
    result = {
        "backend": name,
        "sessions": args.sessions,
        "wall_s": round(wall, 1),
        **summarise(candidates),
        "cpu_s": round(cpu, 1),
        "server_cpu_s": round(server_cpu, 1) if server_cpu is not None else None,
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_peak_mb": round(peak / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
        "rss_per_session_kb": round((peak - rss_before) / 1024 / args.sessions, 1),
        **check,
    }
    return result


# ---------------------------------------------------------------------- crash mode
class Worker:
    """A ``tests/scale_worker.py`` process; requests are futures resolved by its stdout."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.proc: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.rids = itertools.count(1)
        self.dead = False
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.url,
            "INTERVIEW_BOT_INSTANCE": self.name,
            "INTERVIEW_BOT_LOG_LEVEL": "ERROR",
        }
        for var in ("LLM_BASE_URL", "LLM_API_KEY", "INTERVIEW_BOT_CONFIG"):
            env.pop(var, None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.scale_worker",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**22,
        )
        assert self.proc.stdout is not None
        ready = json.loads(await asyncio.wait_for(self.proc.stdout.readline(), 60))
        assert ready == {"ready": self.name}, ready
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            future = self.pending.pop(message["rid"], None)
            if future is not None and not future.done():
                future.set_result(message)
        self.dead = True
        for future in self.pending.values():
            if not future.done():
                future.set_exception(WorkerDied(self.name))
        self.pending.clear()

    async def request(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.dead or self.proc is None or self.proc.stdin is None:
            raise WorkerDied(self.name)
        rid = next(self.rids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        try:
            self.proc.stdin.write((json.dumps({"rid": rid, **request}) + "\n").encode())
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            self.pending.pop(rid, None)
            raise WorkerDied(self.name) from exc
        message = await future
        if "error" in message:
            raise RuntimeError(f"{self.name}: {message['error']}")
        return message

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None and self.proc.stdin is not None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.reader is not None:
            await asyncio.wait_for(self.reader, 10)


async def run_crash(url: str, args: argparse.Namespace) -> dict[str, Any]:
    victim, survivor = Worker("worker-a", url), Worker("worker-b", url)
    await asyncio.gather(victim.start(), survivor.start())
    killed_at: float | None = None
    takeovers_ms: list[float] = []  # how long the survivor took to claim, once asked
    taken_at: list[float] = []

    def transport_for(c: Candidate, first: Worker) -> Transport:
        current = first

        async def take_over() -> dict[str, Any]:
            """Ask the survivor where the session stands until it can claim it (bounded)."""
            began = time.monotonic()
            deadline = began + 30
            while True:
                message = await survivor.request({"op": "current", "user": c.user})
                if message["replies"] or message["turns"] is None:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("the survivor could not claim the session within 30 s")
                await asyncio.sleep(0.1)
            takeovers_ms.append((time.monotonic() - began) * 1000)
            taken_at.append(time.monotonic())
            c.taken_over = True
            if settle(c, message["turns"]):
                return RECAP_SEEN
            return message

        async def transport(request: dict[str, Any]) -> dict[str, Any]:
            nonlocal current
            if current is victim and victim.dead:
                # Noticed between turns: nothing was in flight. The survivor takes the session
                # over (and says where it stands), then gets this request.
                current = survivor
                if request["op"] != "start" or c.session_id:
                    pending, c.in_flight = c.in_flight, None
                    await take_over()
                    c.in_flight = pending
            try:
                return await current.request({**request})
            except WorkerDied:
                current = survivor
                if request["op"] == "start" and not c.sent:
                    message = await take_over()
                    if message.get("turns") is None and not message["replies"]:
                        return await survivor.request(request)  # the start was lost: again
                    return message
                return await take_over()

        return transport

    jds = samples()
    rng = random.Random(12)
    candidates: list[Candidate] = []
    for i in range(args.sessions):
        c = Candidate(i, jds[i % len(jds)], random.Random(i), lambda r: asyncio.sleep(0))  # type: ignore[arg-type,return-value]
        c.transport = transport_for(c, victim if i % 2 == 0 else survivor)
        candidates.append(c)
    kill_after = (
        args.kill_after if args.kill_after is not None else (args.ramp + 1.5 * sum(args.pause) / 2)
    )

    async def killer() -> None:
        nonlocal killed_at
        await asyncio.sleep(kill_after)
        killed_at = time.monotonic()
        victim.kill()

    wall = time.perf_counter()
    kill_task = asyncio.create_task(killer())
    await asyncio.gather(
        *(interview(c, rng.uniform(0, args.ramp), args.pause, args.length) for c in candidates)
    )
    wall = time.perf_counter() - wall
    await kill_task
    await survivor.stop()
    await victim.stop()
    store = store_for_url(url)
    await store.open()
    check = await verify(store, candidates)
    await store.close()
    held = [c for c in candidates if c.index % 2 == 0]
    return {
        "mode": "crash",
        "sessions": args.sessions,
        "wall_s": round(wall, 1),
        "killed_after_s": round(kill_after, 1),
        "victim_sessions": len(held),
        "victim_sessions_finished_elsewhere": sum(c.taken_over and c.finished for c in held),
        "victim_sessions_already_finished": sum(not c.taken_over and c.finished for c in held),
        "first_takeover_after_kill_ms": round((min(taken_at) - killed_at) * 1000, 1)
        if taken_at and killed_at is not None
        else None,
        "takeover_ms_p50": round(percentile(takeovers_ms, 50), 1),
        "takeover_ms_p95": round(percentile(takeovers_ms, 95), 1),
        "takeover_ms_max": round(max(takeovers_ms), 1) if takeovers_ms else None,
        **summarise(candidates),
        **check,
    }


# ---------------------------------------------------------------------- main
def pause_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(":")
    return float(low), float(high or low)


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    cluster: Cluster | None = None
    try:
        if args.crash or args.backend in ("postgres", "both"):
            try:
                cluster = start_cluster()
            except ClusterUnavailable as exc:
                print(f"PostgreSQL unavailable, skipping it: {exc}", file=sys.stderr)
        if args.crash:
            if cluster is None:
                raise SystemExit("--crash needs PostgreSQL")
            with cluster.database() as url:
                results.append(await run_crash(url, args))
            return results
        if args.backend in ("sqlite", "both"):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'load.sqlite3'}"
                results.append(await run_inprocess("sqlite", url, args, None))
                print(json.dumps(results[-1]), flush=True)
        if args.backend in ("postgres", "both") and cluster is not None:
            with cluster.database() as url:
                pid = cluster.process.pid if cluster.process else None
                results.append(await run_inprocess("postgres", url, args, pid))
                print(json.dumps(results[-1]), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--pause",
        type=pause_range,
        default=(10.0, 25.0),
        help="seconds a candidate pauses before each answer, MIN:MAX",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=60.0,
        help="candidates start at random times over this many seconds",
    )
    parser.add_argument("--length", choices=("short", "standard", "long"), default="short")
    parser.add_argument(
        "--crash",
        action="store_true",
        help="two worker processes on PostgreSQL; kill -9 one mid-load",
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=None,
        help="seconds into the crash run to kill (default: ramp + 1.5 pauses)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    arguments = parser.parse_args()
    began = time.time()
    out = asyncio.run(main(arguments))
    document = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}",
        "command": " ".join(["python", "bench/load.py", *sys.argv[1:]]),
        "pause_s": list(arguments.pause),
        "ramp_s": arguments.ramp,
        "length": arguments.length,
        "results": out,
        "elapsed_s": round(time.time() - began, 1),
    }
    print(json.dumps(document, indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(document, indent=2))
    bad = any(
        r.get("lost_turns")
        or r.get("duplicated_turns")
        or r.get("out_of_order")
        or r.get("failed_candidates")
        for r in out
    )
    raise SystemExit(1 if bad or not out else 0)
