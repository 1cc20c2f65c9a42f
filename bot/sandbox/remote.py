"""``RemoteRunner``: a Piston-compatible executor over HTTP (``POST /api/v2/execute``).

Why: on a bigger deployment the bot should not run strangers' code on its own host; a Piston
server (https://github.com/engineer-man/piston) isolates runs on dedicated machines. The URL
comes from ``INTERVIEW_BOT_PISTON_URL`` (to move into Settings). aiohttp is imported lazily so
the core does not need it unless this runner is used.

Mapping from Piston's answer: a failed ``compile`` stage is ``compile_error``; a run killed by
``SIGKILL`` with a time-out message is ``timeout``; ``output_limit`` when Piston reports
truncated output; non-zero exit is ``runtime_error``. HTTP errors and time-outs become
``refused`` with the reason (never an exception into the engine).
"""

from __future__ import annotations

import os
import time
from typing import Any

from bot.ports import RunLimits, RunResult
from bot.sandbox.languages import resolve

URL_ENV = "INTERVIEW_BOT_PISTON_URL"
DEFAULT_LIMITS = RunLimits()
#: our language name -> Piston's language name
PISTON_NAMES = {
    "python": "python",
    "javascript": "javascript",
    "cpp": "c++",
    "java": "java",
    "go": "go",
    "rust": "rust",
}


class RemoteRunner:
    def __init__(
        self,
        url: str | None = None,
        *,
        timeout_s: float = 30.0,
        versions: dict[str, str] | None = None,
    ) -> None:
        self.url = (url or os.environ.get(URL_ENV, "")).rstrip("/")
        self.timeout_s = timeout_s
        self.versions = versions or {}

    async def run(
        self, code: str, language: str, stdin: str = "", limits: RunLimits = DEFAULT_LIMITS
    ) -> RunResult:
        lang = resolve(language)
        if lang is None or lang.name not in PISTON_NAMES:
            return RunResult("refused", None, stderr=f"unsupported language: {language!r}")
        if not self.url:
            return RunResult("refused", None, stderr=f"{URL_ENV} is not set", language=lang.name)
        import aiohttp

        payload = {
            "language": PISTON_NAMES[lang.name],
            "version": self.versions.get(lang.name, "*"),
            "files": [{"name": lang.source_for(code), "content": code}],
            "stdin": stdin,
            "run_timeout": int(limits.wall_seconds * 1000),
            "compile_timeout": int(lang.compile_wall_seconds * 1000),
            "run_memory_limit": limits.memory_mb * 1024 * 1024,
        }
        started = time.monotonic()
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s)) as http,
                http.post(f"{self.url}/api/v2/execute", json=payload) as resp,
            ):
                body: dict[str, Any] = await resp.json(content_type=None)
                if resp.status != 200:
                    message = body.get("message", resp.reason) if isinstance(body, dict) else ""
                    return RunResult(
                        "refused",
                        None,
                        stderr=f"executor said {resp.status}: {message}",
                        language=lang.name,
                    )
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return RunResult(
                "refused", None, stderr=f"executor unreachable: {exc!r}", language=lang.name
            )
        wall_ms = (time.monotonic() - started) * 1000
        return _map(body, lang.name, limits, wall_ms)


def _map(body: dict[str, Any], language: str, limits: RunLimits, wall_ms: float) -> RunResult:
    cap = limits.output_bytes
    compile_stage = body.get("compile") or {}
    if compile_stage and compile_stage.get("code") not in (0, None):
        return RunResult(
            "compile_error",
            compile_stage.get("code"),
            stdout=str(compile_stage.get("stdout", ""))[:cap],
            stderr=str(compile_stage.get("stderr", "") or compile_stage.get("output", ""))[:cap],
            wall_ms=round(wall_ms, 1),
            language=language,
        )
    run = body.get("run") or {}
    stdout = str(run.get("stdout", ""))
    stderr = str(run.get("stderr", ""))
    code = run.get("code")
    sig = run.get("signal")
    message = str(run.get("message") or "")
    status = "ok" if code == 0 else "runtime_error"
    truncated = len(stdout) + len(stderr) > cap or "output" in message.lower()
    if run.get("status") == "TO" or (sig == "SIGKILL" and "time" in message.lower()):
        status = "timeout"
    elif sig == "SIGKILL" and ("memory" in message.lower() or run.get("status") == "OM"):
        status = "memory"
    elif truncated and code != 0:
        status = "output_limit"
    exit_code = code if isinstance(code, int) else (137 if sig == "SIGKILL" else None)
    return RunResult(
        status,
        exit_code,
        stdout=stdout[:cap],
        stderr=stderr[:cap],
        wall_ms=float(run.get("wall_time") or round(wall_ms, 1)),
        cpu_ms=float(run.get("cpu_time") or 0.0),
        language=language,
        truncated=truncated,
    )
