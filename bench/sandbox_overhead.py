"""Sandbox cost (issue #7): per-run overhead over the bare interpreter, judged submissions/s.

    .venv/bin/python bench/sandbox_overhead.py [--runs 40] [--submissions 20]

Overhead = median wall time of ``LocalRunner.run("pass")`` seen by the caller minus the median
wall time of the same interpreter started bare (same flags) with ``subprocess``; runs are
interleaved so machine noise hits both. Throughput = two-sum submissions (7 tests including a
100,000-number input) judged through a ``RunnerPool`` of 2.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.exercises import load_bank
from bot.sandbox.judge import judge
from bot.sandbox.local import LocalRunner
from bot.sandbox.pool import RunnerPool

BARE = {
    "python": ["/usr/bin/python3", "-I", "-c", "pass"],
    "javascript": ["/usr/bin/node", "-e", ""],
}
CODE = {"python": "pass", "javascript": ""}


def bare_ms(argv: list[str]) -> float:
    started = time.perf_counter()
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}  # as in the sandbox
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, capture_output=True, env=env)
    return (time.perf_counter() - started) * 1000


async def main(runs: int, submissions: int) -> None:
    runner = LocalRunner()
    report = await runner.check()
    print(f"machine: {platform.processor() or platform.machine()}, {platform.platform()}")
    print(f"sandbox: seccomp={report.seccomp} cgroup={report.cgroup} uid={report.probe_uid}")
    for language, argv in BARE.items():
        bare, boxed = [], []
        for _ in range(runs):
            bare.append(bare_ms(argv))
            started = time.perf_counter()
            result = await runner.run(CODE[language], language)
            boxed.append((time.perf_counter() - started) * 1000)
            assert result.status == "ok", result
        b, s = statistics.median(bare), statistics.median(boxed)
        p90 = statistics.quantiles([x - b for x in boxed], n=10)[-1]
        print(
            f"{language:<10} bare {b:6.1f} ms  sandboxed {s:6.1f} ms  "
            f"overhead median {s - b:5.1f} ms  p90 {p90:5.1f} ms  (n={runs})"
        )
    exercise = load_bank()["two-sum"]
    pool = RunnerPool(runner, concurrency=2)
    await judge(exercise.reference["python"], "python", exercise, pool)  # warm the cache
    started = time.perf_counter()
    verdicts = await asyncio.gather(
        *(judge(exercise.reference["python"], "python", exercise, pool) for _ in range(submissions))
    )
    took = time.perf_counter() - started
    assert all(v.status == "accepted" for v in verdicts)
    print(
        f"judge: {submissions} two-sum submissions (7 tests, one of 100,000 numbers) in "
        f"{took:.2f} s = {submissions / took:.1f} submissions/s with 2 concurrent runs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--submissions", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.submissions))
