"""Every HumanEval (164) and MBPP (417 good) reference through the judge; a wrong variant of
each must fail (issue #7 acceptance). Reads ../shared (benchmarks and tests only).

    .venv/bin/python bench/judge_datasets.py [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sandbox.judge import judge_script
from bot.sandbox.local import LocalRunner
from bot.sandbox.pool import RunnerPool
from tests.test_sandbox_judge import (
    _wrong,
    humaneval_problems,
    mbpp_entry,
    mbpp_problems,
)


async def main(limit: int | None) -> int:
    pool = RunnerPool(LocalRunner(), concurrency=2)
    jobs = []
    for p in humaneval_problems()[:limit]:
        code = p["prompt"] + p["canonical_solution"]
        tests = p["test"] + f"\ncheck({p['entry_point']})\n"
        jobs.append((p["task_id"], code, _wrong(code, p["entry_point"]), tests))
    for row in mbpp_problems()[:limit]:
        tests = row["test_setup_code"] + "\n" + "\n".join(row["test_list"])
        jobs.append(
            (f"MBPP/{row['task_id']}", row["code"], _wrong(row["code"], mbpp_entry(row)), tests)
        )

    async def one(task: str, code: str, bad: str, tests: str) -> tuple[str, str, str]:
        good, wrong = await asyncio.gather(
            judge_script(code, tests, pool), judge_script(bad, tests, pool)
        )
        return task, good.status, wrong.status

    started = time.perf_counter()
    results = await asyncio.gather(*(one(*job) for job in jobs))
    took = time.perf_counter() - started
    ref_fail = [(t, g) for t, g, _ in results if g != "ok"]
    wrong_pass = [t for t, _, w in results if w == "ok"]
    for source in ("HumanEval", "MBPP"):
        mine = [r for r in results if r[0].startswith(source)]
        print(
            f"{source}: {len(mine)} problems, references passing "
            f"{sum(g == 'ok' for _, g, _ in mine)}, wrong variants failing "
            f"{sum(w != 'ok' for _, _, w in mine)}"
        )
    print(
        f"{2 * len(jobs)} judged runs in {took:.1f} s ({2 * len(jobs) / took:.1f} runs/s, 2 at a time)"
    )
    if ref_fail:
        print("references failing:", ref_fail)
    if wrong_pass:
        print("wrong variants passing:", wrong_pass)
    return 1 if ref_fail or wrong_pass else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int)
    raise SystemExit(asyncio.run(main(parser.parse_args().limit)))
