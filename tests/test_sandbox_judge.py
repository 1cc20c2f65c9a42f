"""The exercise bank, the judge's verdicts and follow-ups, the CLI, and outside problem sets.

Runs real submissions through the local sandbox (skipped, with the reason, where the strict
sandbox cannot work). HumanEval and MBPP come from ../shared, read only in tests.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main
from bot.sandbox.exercises import load_bank
from bot.sandbox.judge import judge, judge_script
from bot.sandbox.local import LocalRunner
from bot.sandbox.pool import RunnerPool

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coding"
MBPP_BAD = {98, 124, 137, 139, 163, 233, 246, 248, 276, 300}
needs_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="needs bubblewrap and root (per-slot uids) for the strict sandbox",
)


def test_bank_is_valid_and_covers_the_topics() -> None:
    bank = load_bank()
    assert len(bank) >= 30
    topics = Counter(t for e in bank.values() for t in e.topics)
    for topic in ("arrays", "strings", "hashing", "two pointers", "trees", "graphs"):
        assert topics[topic] >= 2, topic
    assert topics["dynamic programming"] >= 4
    assert topics["sql"] >= 3
    assert topics["concurrency"] >= 3
    assert {e.difficulty for e in bank.values()} == {1, 2, 3}
    for exercise in bank.values():
        assert exercise.large is not None, exercise.id
        assert "python" in exercise.signatures and "javascript" in exercise.signatures
        assert exercise.large_args() is not None


@needs_sandbox
async def test_every_reference_solution_passes() -> None:
    pool = RunnerPool(LocalRunner(), concurrency=2)
    bank = load_bank()
    verdicts = await asyncio.gather(
        *(judge(e.reference["python"], "python", e, pool) for e in bank.values())
    )
    failed = {v.exercise_id: v.message for v in verdicts if v.status != "accepted"}
    assert not failed


@needs_sandbox
async def test_verdicts_and_follow_ups() -> None:
    runner = LocalRunner()
    bank = load_bank()
    two_sum = bank["two-sum"]
    quadratic = (
        "def two_sum(nums, target):\n"
        "    for i in range(len(nums)):\n"
        "        for j in range(i + 1, len(nums)):\n"
        "            if nums[i] + nums[j] == target:\n"
        "                return [i, j]\n"
    )
    slow = await judge(quadratic, "python", two_sum, runner)
    assert slow.status == "timeout"
    assert slow.passed == slow.total - 1
    assert "complexity" in slow.follow_ups[0] and "100,000 numbers" in slow.follow_ups[0]

    js = "function twoSum(nums, target) { const m = new Map();\n for (let i = 0; i < nums.length; i++) {\n if (m.has(target - nums[i])) return [m.get(target - nums[i]), i];\n m.set(nums[i], i); } }"
    accepted = await judge(js, "javascript", two_sum, runner)
    assert accepted.status == "accepted", accepted.message
    assert "complexity" in accepted.follow_ups[0]

    brackets = bank["valid-brackets"]
    crashy = (
        "def is_balanced(s):\n"
        "    stack = []\n"
        "    for ch in s:\n"
        "        if ch in ')]}':\n"
        "            if stack.pop() != {')': '(', ']': '[', '}': '{'}[ch]:\n"
        "                return False\n"
        "        else:\n"
        "            stack.append(ch)\n"
        "    return not stack\n"
    )
    crash = await judge(crashy, "python", brackets, runner)
    assert crash.status == "runtime_error"
    assert crash.first_failure is None  # the visible examples pass; hidden ones are counted
    assert crash.hidden_failed == 1
    assert "a closing bracket with nothing open" in crash.follow_ups[0]

    merge = bank["merge-intervals"]
    wrong = "def merge(intervals):\n    return intervals\n"
    verdict = await judge(wrong, "python", merge, runner)
    assert verdict.status == "wrong_answer"
    first = verdict.first_failure
    assert first is not None and first.visible and first.expected == [[1, 6], [8, 10], [15, 18]]
    assert "expected" in verdict.message and "hidden" in verdict.message

    syntax = await judge("def merge(intervals)\n    return []\n", "python", merge, runner)
    assert syntax.status == "runtime_error" and "SyntaxError" in syntax.message
    missing = await judge("def other():\n    pass\n", "python", merge, runner)
    assert missing.status == "runtime_error" and "merge" in missing.message
    cpp = await judge("int main() {}", "cpp", merge, runner)
    assert cpp.status == "refused"


def _wrong(code: str, entry: str) -> str:
    """Wrap the reference so its answer is always changed (a deliberately wrong variant)."""
    return (
        f"{code}\n\n"
        f"_ib_reference = {entry}\n"
        f"def {entry}(*args, **kwargs):\n"
        "    r = _ib_reference(*args, **kwargs)\n"
        "    if isinstance(r, bool): return not r\n"
        "    if isinstance(r, (int, float)): return r + 1\n"
        "    if isinstance(r, str): return r + '~'\n"
        "    if isinstance(r, (list, tuple)): return type(r)([*r, '~'])\n"
        "    if isinstance(r, (set, dict)): return None\n"
        "    return '~'\n"
    )


def humaneval_problems() -> list[dict[str, Any]]:
    with gzip.open(SHARED / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        return [json.loads(line) for line in fh]


def mbpp_problems() -> list[dict[str, Any]]:
    rows = []
    with (SHARED / "mbpp" / "mbpp_sanitized_subset.jsonl").open() as fh:
        for line in fh:
            row = json.loads(line)
            if row["task_id"] not in MBPP_BAD:
                rows.append(row)
    return rows


def mbpp_entry(row: dict[str, Any]) -> str:
    first = row["test_list"][0]
    return first.split("assert", 1)[1].strip().lstrip("(").split("(", 1)[0].strip().split()[-1]


@needs_sandbox
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/coding is not present")
async def test_outside_problem_sets_sample() -> None:
    pool = RunnerPool(LocalRunner(), concurrency=2)
    jobs = []
    for p in humaneval_problems()[::17][:10]:
        code = p["prompt"] + p["canonical_solution"]
        tests = p["test"] + f"\ncheck({p['entry_point']})\n"
        jobs.append((p["task_id"], code, _wrong(code, p["entry_point"]), tests))
    for row in mbpp_problems()[::41][:10]:
        tests = row["test_setup_code"] + "\n" + "\n".join(row["test_list"])
        jobs.append((row["task_id"], row["code"], _wrong(row["code"], mbpp_entry(row)), tests))

    async def both(code: str, bad: str, tests: str) -> tuple[str, str]:
        good, wrong = await asyncio.gather(
            judge_script(code, tests, pool), judge_script(bad, tests, pool)
        )
        return good.status, wrong.status

    results = await asyncio.gather(*(both(c, b, t) for _, c, b, t in jobs))
    for (task, *_), (good, wrong) in zip(jobs, results, strict=True):
        assert good == "ok", task
        assert wrong != "ok", task


@needs_sandbox
def test_cli_run_code_and_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "hello.py"
    program.write_text("import sys\nprint('hi', sys.stdin.read().strip())\nsys.exit(3)\n")
    stdin = tmp_path / "in.txt"
    stdin.write_text("there")
    assert main(["run-code", str(program), "--stdin", str(stdin), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "runtime_error" and data["exit_code"] == 3
    assert data["stdout"] == "hi there\n"
    assert set(data) >= {"status", "exit_code", "stdout", "stderr", "wall_ms", "cpu_ms"}

    assert main(["run-code", str(program), "--language", "cobol", "--json"]) == 1
    capsys.readouterr()

    solution = tmp_path / "two.js"
    solution.write_text(
        "function twoSum(n, t) { const m = new Map(); for (let i = 0; i < n.length; i++)"
        " { if (m.has(t - n[i])) return [m.get(t - n[i]), i]; m.set(n[i], i); } }"
    )
    assert main(["judge", str(solution), "--exercise", "two-sum", "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == "accepted" and verdict["passed"] == verdict["total"]
    assert main(["judge", str(solution), "--exercise", "nope"]) == 1
