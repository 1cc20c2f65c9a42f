"""RemoteRunner against a loopback fake of Piston's API, the pool's queue, and extraction."""

from __future__ import annotations

import asyncio

import pytest

from bot.ports import RunLimits, RunResult
from bot.sandbox.extract import detect_language, from_file, from_text
from bot.sandbox.pool import QueueEvent, RunnerPool
from bot.sandbox.remote import RemoteRunner
from tests import fake_piston


async def test_remote_runner_maps_piston_answers() -> None:
    server, url, requests = await fake_piston.start()
    try:
        runner = RemoteRunner(url)
        ok = await runner.run("print(input())", "py", "hello", RunLimits(memory_mb=128))
        assert (ok.status, ok.exit_code, ok.stdout) == ("ok", 0, "hello")
        assert requests[0]["language"] == "python"
        assert requests[0]["run_memory_limit"] == 128 * 1024 * 1024
        assert requests[0]["files"][0]["name"] == "main.py"
        statuses = {
            "// COMPILE_FAIL": ("cpp", "compile_error"),
            "# TIMEOUT": ("python", "timeout"),
            "# OOM": ("python", "memory"),
            "# CRASH": ("python", "runtime_error"),
            "# HTTP400": ("python", "refused"),
        }
        for code, (lang, status) in statuses.items():
            result = await runner.run(code, lang)
            assert result.status == status, (code, result)
        java = await runner.run("public class Solver { }", "java")
        assert requests[-1]["files"][0]["name"] == "Solver.java"
        assert java.status == "ok"
    finally:
        await server.cleanup()


async def test_remote_runner_refuses_cleanly_without_a_server() -> None:
    assert (await RemoteRunner("").run("print(1)", "python")).status == "refused"
    unreachable = await RemoteRunner("http://127.0.0.1:9", timeout_s=2).run("print(1)", "python")
    assert unreachable.status == "refused"
    assert "unreachable" in unreachable.stderr
    assert (await RemoteRunner("http://x").run("x", "cobol")).status == "refused"


class SlowRunner:
    def __init__(self) -> None:
        self.active = 0
        self.peak = 0

    async def run(
        self, code: str, language: str, stdin: str = "", limits: RunLimits | None = None
    ) -> RunResult:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.05)
        self.active -= 1
        return RunResult("ok", 0, stdout=code)


async def test_pool_limits_concurrency_and_reports_the_queue() -> None:
    slow = SlowRunner()
    events: list[QueueEvent] = []
    pool = RunnerPool(slow, concurrency=2, on_event=events.append)
    results = await asyncio.gather(*(pool.run(str(i), "python", ticket=str(i)) for i in range(5)))
    assert [r.stdout for r in results] == ["0", "1", "2", "3", "4"]
    assert slow.peak == 2
    queued = [e for e in events if e.state == "queued"]
    assert len(queued) == 3
    assert sorted(e.ahead for e in queued) == [0, 1, 2]
    assert sum(e.state == "done" for e in events) == 5


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Here:\n```python\ndef f(x):\n    return x\n```\nthanks", "python"),
        ("```js\nconst f = (x) => x;\n```", "javascript"),
        ("```\n#include <vector>\nint main() { std::vector<int> v; }\n```", "cpp"),
        ("```\ndef f(a):\n    return sorted(a)\n```", "python"),
        ("```java\npublic class Main { }\n```", "java"),
        ("~~~\nfunction f(x) { return x }\nconsole.log(f(1))\n~~~", "javascript"),
    ],
)
def test_extract_fenced_code(text: str, language: str) -> None:
    answer = from_text(text)
    assert answer is not None and answer.language == language and answer.source == "fence"


def test_extract_picks_the_largest_block_and_ignores_prose() -> None:
    text = "I would sort.\n```py\nprint(f([3, 1]))\n```\nand\n```python\ndef f(a):\n    a.sort()\n    return a\n```"
    answer = from_text(text)
    assert answer is not None and answer.code.startswith("def f")
    assert from_text("I would use a hash map keyed by value, O(n).") is None
    assert detect_language("just some words") is None


def test_extract_attached_files() -> None:
    answer = from_file("Solution.java", b"public class Solution {}")
    assert answer is not None and answer.language == "java" and answer.source == "file"
    assert from_file("notes.pdf", b"%PDF") is None
    js = from_file("a.js", b"console.log(1)")
    assert js is not None and js.language == "javascript"
