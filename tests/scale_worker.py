"""A bot process without a chat platform: an engine over ``DATABASE_URL`` driven through a pipe.

Used by ``tests/test_scale_processes.py`` and ``bench/load.py --crash`` to run several real
processes on one database and kill one of them. It wires the engine the way ``bot.app`` does
(settings from the environment, the real offline brain, ``instance_name`` as the claim owner) but
without the code sandbox, whose self-check would only slow the start.

Protocol: one JSON object per line on stdin, one per line on stdout. Requests are handled
concurrently (each in its own task, as a chat adapter would), so answers come back tagged with the
request's ``rid``, possibly out of order.

  {"rid": 1, "op": "start", "user": "u1", "text": "<job description>", "options": {...}}
  {"rid": 2, "op": "do", "user": "u1", "command": "begin"}
  {"rid": 3, "op": "say", "user": "u1", "text": "<answer>"}
  {"rid": 4, "op": "current", "user": "u1"}     # what engine.current() says after a restart
  -> {"rid": 1, "replies": [{"kind", "text", "session_id", "question_number", "follow_up"}],
      "turns": <stored turns of the open session, for "current" only>}

The worker prints {"ready": "<owner>"} once the store is open, and exits at end of input.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from bot.app import build_brain
from bot.engine import EngineLimits, InterviewEngine
from bot.events import Command, ConversationRef, IncomingEvent, Reply, UserRef
from bot.intake import IntakeLimits
from bot.settings import load_settings
from bot.store import open_store

PLATFORM = "scale"
TEXT_LIMIT = 400  # reply text echoed back: enough to check, small enough for 1,000 sessions


def refs(user: str) -> tuple[UserRef, ConversationRef]:
    return UserRef(PLATFORM, user), ConversationRef(PLATFORM, "room", user)


def reply_dict(reply: Reply) -> dict[str, Any]:
    return {
        "kind": reply.kind.value,
        "text": reply.text[:TEXT_LIMIT],
        "session_id": reply.session_id,
        "question_number": reply.question_number,
        "follow_up": reply.follow_up,
    }


async def handle(engine: InterviewEngine, request: dict[str, Any]) -> dict[str, Any]:
    user, conversation = refs(str(request["user"]))
    op = request["op"]
    answer: dict[str, Any] = {"rid": request["rid"]}
    if op == "current":
        replies = await engine.current(user.key, conversation)
        record = await engine.store.active_session(user.key, conversation.key)
        answer["turns"] = len(record.turns) if record else None
    elif op == "start":
        event = IncomingEvent.do(
            user, conversation, Command.START, str(request["text"]), **request.get("options", {})
        )
        replies = await engine.handle(event)
    elif op == "do":
        replies = await engine.handle(
            IncomingEvent.do(user, conversation, Command(request["command"]))
        )
    elif op == "say":
        replies = await engine.handle(IncomingEvent.say(user, conversation, str(request["text"])))
    else:
        raise ValueError(f"unknown op {op!r}")
    answer["replies"] = [reply_dict(r) for r in replies]
    return answer


async def serve() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    store = await open_store(settings)
    engine = InterviewEngine(
        store,
        build_brain(settings, None),
        limits=EngineLimits(
            max_answer_chars=settings.max_answer_chars,
            intake=IntakeLimits.from_settings(settings),
        ),
        owner=settings.instance_name,
    )

    def emit(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async def one(request: dict[str, Any]) -> None:
        try:
            emit(await handle(engine, request))
        except Exception as exc:  # report it to the driver rather than dying silently
            logging.exception("request %s failed", request.get("rid"))
            emit({"rid": request.get("rid"), "error": f"{type(exc).__name__}: {exc}"})

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**22)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emit({"ready": engine.owner})
    tasks: set[asyncio.Task[None]] = set()
    try:
        while line := await reader.readline():
            task = asyncio.create_task(one(json.loads(line)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        await engine.aclose()
        await store.close()


if __name__ == "__main__":
    asyncio.run(serve())
