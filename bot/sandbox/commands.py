"""What ``interview-bot run-code`` and ``interview-bot judge`` do, kept beside the sandbox.

The CLI adapter only parses arguments and prints; the logic lives here so the chat adapters
and the engine can reuse :func:`make_runner` (the one place that picks local or remote).
Exit codes: 0 the sandbox worked (whatever the program did), 1 bad input (unknown file,
exercise or language), 2 the sandbox is unavailable (refused, with the reason).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from bot.ports import CodeRunner, RunResult
from bot.sandbox.exercises import load_bank
from bot.sandbox.judge import judge
from bot.sandbox.languages import by_extension, resolve
from bot.sandbox.local import LocalRunner
from bot.sandbox.remote import URL_ENV, RemoteRunner
from bot.sandbox.selfcheck import SandboxUnavailable

RESULT_KEYS = ("status", "exit_code", "stdout", "stderr", "wall_ms", "cpu_ms")


def make_runner() -> CodeRunner:
    """The remote executor when ``INTERVIEW_BOT_PISTON_URL`` is set, else the local sandbox."""
    if os.environ.get(URL_ENV):
        return RemoteRunner()
    return LocalRunner()


def result_json(result: RunResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    ordered = {key: data.pop(key) for key in RESULT_KEYS}
    return {**ordered, **data}


def _read(path: Path) -> str:
    """Small local files given on the command line; read synchronously on purpose."""
    return path.read_text(encoding="utf-8", errors="replace")


def _language_for(path: Path, language: str | None) -> str | None:
    if language:
        lang = resolve(language)
        return lang.name if lang else None
    lang = by_extension(path.name)
    return lang.name if lang else None


async def run_code(
    path: Path, language: str | None, stdin_path: Path | None, runner: CodeRunner | None = None
) -> tuple[int, dict[str, Any]]:
    try:
        code = _read(path)
        stdin = _read(stdin_path) if stdin_path else ""
    except OSError as exc:
        return 1, result_json(RunResult("refused", None, stderr=f"cannot read: {exc}"))
    name = _language_for(path, language)
    if name is None:
        reason = f"unknown language for {path.name} (use --language)"
        return 1, result_json(RunResult("refused", None, stderr=reason))
    try:
        result = await (runner or make_runner()).run(code, name, stdin)
    except SandboxUnavailable as exc:
        return 2, result_json(RunResult("refused", None, stderr=str(exc), language=name))
    return (0 if result.status != "refused" else 2), result_json(result)


async def judge_file(
    path: Path, exercise_id: str, language: str | None, runner: CodeRunner | None = None
) -> tuple[int, dict[str, Any]]:
    bank = load_bank()
    exercise = bank.get(exercise_id)
    if exercise is None:
        known = ", ".join(sorted(bank))
        return 1, {"status": "refused", "message": f"no exercise {exercise_id!r}; known: {known}"}
    try:
        code = _read(path)
    except OSError as exc:
        return 1, {"status": "refused", "message": f"cannot read: {exc}"}
    name = _language_for(path, language)
    if name is None:
        return 1, {"status": "refused", "message": f"unknown language for {path.name}"}
    try:
        verdict = await judge(code, name, exercise, runner or make_runner())
    except SandboxUnavailable as exc:
        return 2, {"status": "refused", "message": str(exc)}
    return (0 if verdict.status != "refused" else 2), verdict.as_json()


def render_run(data: dict[str, Any]) -> str:
    lines = [
        f"status: {data['status']}  exit code: {data['exit_code']}  "
        f"wall: {data['wall_ms']} ms  cpu: {data['cpu_ms']} ms"
    ]
    if data.get("stdout"):
        lines += ["--- stdout ---", data["stdout"].rstrip("\n")]
    if data.get("stderr"):
        lines += ["--- stderr ---", data["stderr"].rstrip("\n")]
    return "\n".join(lines)


def render_verdict(data: dict[str, Any]) -> str:
    lines = [f"{data['status']}: {data.get('passed', 0)}/{data.get('total', 0)} tests passed"]
    if data.get("message"):
        lines.append(str(data["message"]))
    lines += [f"? {q}" for q in data.get("follow_ups", [])]
    return "\n".join(lines)


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
