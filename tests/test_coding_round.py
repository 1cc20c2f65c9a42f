"""A coding round through the real console: the exercise is asked, fenced code is run in the
sandbox against hidden tests, the verdict is shown and the follow-up comes from the run."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from bot.sandbox.exercises import load_bank
from bot.sandbox.local import LocalRunner
from bot.sandbox.selfcheck import SandboxUnavailable
from tests.conftest import ROOT, cli
from tests.test_console_e2e import SAMPLE, Output, env_for


def _sandbox_ready() -> str:
    try:
        asyncio.run(LocalRunner(slots=1).check())
    except SandboxUnavailable as exc:
        return exc.reason
    return ""


REASON = _sandbox_ready()
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"no sandbox here: {REASON}")


def _exercise_for(question_text: str) -> tuple[str, str]:
    """The exercise whose title opens the question, and its Python reference solution."""
    for exercise in load_bank().values():
        if exercise.title + ". " in question_text:
            return exercise.id, exercise.reference["python"]
    raise AssertionError(f"no exercise matches: {question_text[:200]}")


def _interview_until_coding(tmp_path: Path) -> tuple[subprocess.Popen[str], Output, str]:
    proc = subprocess.Popen(
        cli(
            "console",
            "--user",
            "coder",
            "--jd",
            str(SAMPLE),
            "--coding",
            "yes",
            "--length",
            "short",
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env_for(tmp_path),
    )
    out = Output(proc)
    assert proc.stdin is not None
    text = out.wait_for(r"Question 1 of 5")
    for _ in range(5):
        text += out.wait_for(r"\(answer, then an empty line")
        if "— Coding · Coding" in text.rsplit("Question ", 1)[-1]:
            return proc, out, text.rsplit("Question ", 1)[-1]
        proc.stdin.write("/skip\n")
        proc.stdin.flush()
        text = out.wait_for(r"Question \d of 5")
    raise AssertionError("the plan had no coding question")


def _send(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text + "\n\n")
    proc.stdin.flush()


def test_correct_code_is_accepted_and_probed_on_complexity(tmp_path: Path) -> None:
    proc, out, question = _interview_until_coding(tmp_path)
    try:
        _, reference = _exercise_for(question)
        _send(proc, f"Here is my solution:\n```python\n{reference.strip()}\n```")
        ran = out.wait_for(r"Follow-up — .*", timeout=60)
        assert "I ran your python code" in ran
        assert re.search(r"all \d+ tests? passed|passed all|accepted", ran, re.IGNORECASE), ran
        assert "complexity" in ran.rsplit("Follow-up", 1)[-1]
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_wrong_code_fails_with_a_visible_case_and_a_probe_from_the_failure(
    tmp_path: Path,
) -> None:
    proc, out, question = _interview_until_coding(tmp_path)
    try:
        exercise_id, _ = _exercise_for(question)
        entry = load_bank()[exercise_id].entry["python"]
        _send(proc, f"```python\ndef {entry}(*args):\n    return None\n```")
        ran = out.wait_for(r"Follow-up — .*", timeout=60)
        assert "I ran your python code" in ran
        assert "passed" in ran and "Follow-up" in ran
        assert "complexity" not in ran.rsplit("Follow-up", 1)[-1]
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_hostile_code_answer_is_contained(tmp_path: Path) -> None:
    proc, out, question = _interview_until_coding(tmp_path)
    try:
        exercise_id, _ = _exercise_for(question)
        entry = load_bank()[exercise_id].entry["python"]
        hostile = f"```python\nimport os\ndef {entry}(*args):\n    open('/etc/shadow').read()\n```"
        _send(proc, hostile)
        ran = out.wait_for(r"Follow-up — .*|Question \d of 5", timeout=60)
        assert "I ran your python code" in ran
        assert "root:" not in ran
    finally:
        proc.kill()
        proc.wait(timeout=10)
