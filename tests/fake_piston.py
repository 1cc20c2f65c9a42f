"""A loopback fake of Piston's ``POST /api/v2/execute`` (no code is run: canned answers).

The answer depends on markers in the submitted source so tests can ask for each shape:
``COMPILE_FAIL``, ``TIMEOUT``, ``OOM``, ``CRASH``, ``HTTP400``; anything else "runs" and echoes
stdin to stdout. Binds 127.0.0.1 only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

REQUESTS = web.AppKey("requests", list)


async def execute(request: web.Request) -> web.Response:
    body: dict[str, Any] = await request.json()
    request.app[REQUESTS].append(body)
    source = body["files"][0]["content"]
    stage = {"stdout": "", "stderr": "", "output": "", "code": 0, "signal": None}
    if "HTTP400" in source:
        return web.json_response({"message": "runtime is unknown"}, status=400)
    if "COMPILE_FAIL" in source:
        compile_stage = {**stage, "stderr": "main.cpp:1: error: boom", "code": 1}
        return web.json_response(
            {"language": body["language"], "version": "1", "compile": compile_stage}
        )
    run = {**stage, "stdout": body.get("stdin", ""), "output": body.get("stdin", "")}
    if "TIMEOUT" in source:
        run.update(code=None, signal="SIGKILL", status="TO", message="Time limit exceeded")
    elif "OOM" in source:
        run.update(code=None, signal="SIGKILL", status="OM", message="Memory limit exceeded")
    elif "CRASH" in source:
        run.update(code=1, stderr="Traceback: ZeroDivisionError")
    return web.json_response({"language": body["language"], "version": "1", "run": run})


async def start() -> tuple[web.AppRunner, str, list[dict[str, Any]]]:
    app = web.Application()
    app[REQUESTS] = []
    app.router.add_post("/api/v2/execute", execute)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}", app[REQUESTS]
