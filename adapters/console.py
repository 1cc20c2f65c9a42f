"""Terminal adapter: the zero-config demo and the end-to-end harness.

Thin by design: it turns typed lines into ``IncomingEvent``s and prints ``Reply`` text. Two modes:
interactive (a person at a terminal, or anything writing to stdin) and scripted (answers from a
file separated by ``---`` lines), which is what our end-to-end tests and rehearsing users run.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console

from bot.commands import event_for_text, parse_command
from bot.domain import Recap
from bot.engine import InterviewEngine
from bot.evaluation.chart import competency_chart
from bot.events import (
    Attachment,
    Command,
    ConversationRef,
    EventKind,
    IncomingEvent,
    Reply,
    ReplyKind,
    UserRef,
)
from bot.intake import IntakeError, read_upload
from bot.ports import Capabilities, SessionRecord
from bot.report import session_json
from bot.resources import data_dir

TERMINATOR = "END"


def console_user(name: str | None = None) -> UserRef:
    user = name or getpass.getuser()
    return UserRef("console", user, user)


CONVERSATION = ConversationRef("console", "terminal")
CONSOLE_CAPABILITIES = Capabilities(files=True)


def samples() -> list[Path]:
    return sorted((data_dir() / "samples").glob("*.md"))


def existing_file(text: str) -> Path | None:
    """``text`` as a path if it names a file (a pasted first line usually doesn't)."""
    if len(text) > 4096:
        return None
    candidate = Path(text).expanduser()
    return candidate if candidate.is_file() else None


def split_answers(text: str) -> list[str]:
    """Answers separated by lines holding only ``---``; surrounding whitespace is trimmed."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == "---":
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in ("\n".join(block).strip() for block in blocks) if b]


class LineReader:
    """Lines from a (blocking) text stream, read on a daemon thread.

    The event loop never blocks on the terminal, so Ctrl-C cancels promptly, and a thread stuck in
    ``readline`` cannot hold up interpreter exit.
    """

    def __init__(self, stream: TextIO) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            while True:
                line = stream.readline()
                loop.call_soon_threadsafe(
                    self._queue.put_nowait, line.rstrip("\n") if line else None
                )
                if not line:
                    return

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        self._eof = False

    async def readline(self) -> str | None:
        """The next line without its newline, or ``None`` at end of input."""
        if self._eof:
            return None
        line = await self._queue.get()
        self._eof = line is None
        return line

    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str]:
        while (line := await self.readline()) is not None:
            yield line


@dataclass
class ConsoleAdapter:
    engine: InterviewEngine
    user: UserRef
    out: Console
    conversation: ConversationRef = CONVERSATION
    capabilities: Capabilities = CONSOLE_CAPABILITIES
    chart_dir: Path | None = None

    # ------------------------------------------------------------------ rendering
    def render(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            if reply.kind is ReplyKind.QUESTION:
                self.out.print()
                self.out.print(reply.text, style="bold", markup=False)
                self.out.print(
                    "(answer, then an empty line · /hint /repeat /skip /pause /end)",
                    style="dim",
                    markup=False,
                )
            elif reply.kind is ReplyKind.ERROR:
                self.out.print(f"! {reply.text}", style="red", markup=False)
            elif reply.kind is ReplyKind.RECAP:
                self.out.rule("Recap")
                self.out.print(reply.text, markup=False)
            else:
                self.out.print(reply.text, markup=False)

    async def send(self, event: IncomingEvent, replies: Sequence[Reply]) -> None:
        self.render(replies)

    async def dispatch(self, event: IncomingEvent) -> list[Reply]:
        with self.out.status("Working…"):
            replies = await self.engine.handle(event)
        self.render(replies)
        await self.write_charts(replies)
        return replies

    async def write_charts(self, replies: Sequence[Reply]) -> None:
        """The recap's competency chart as a PNG next to the database; prints where it went."""
        for reply in replies:
            if reply.recap is None or self.chart_dir is None:
                continue
            path = self.chart_dir / f"recap-{reply.session_id}.png"
            written = await asyncio.to_thread(_write_chart, reply.recap, path)
            if written:
                self.out.print(f"Chart: {path}", markup=False)

    def event_for(self, text: str) -> IncomingEvent:
        return event_for_text(self.user, self.conversation, text)

    async def start(self, jd_path: Path, options: dict[str, str]) -> list[Reply]:
        try:
            data = await asyncio.to_thread(read_upload, jd_path, limits=self.engine.limits.intake)
        except IntakeError as exc:
            error = Reply(ReplyKind.ERROR, str(exc))
            self.render([error])
            return [error]
        # The engine does intake (type sniffing, extraction, notices) once, off the loop.
        event = IncomingEvent(
            EventKind.COMMAND,
            self.user,
            self.conversation,
            command=Command.START,
            options=dict(options),
            attachment=Attachment(jd_path.name, data),
        )
        with self.out.status("Analysing the job description…"):
            replies = await self.engine.handle(event)
        self.render(replies)
        return replies

    async def active(self) -> SessionRecord | None:
        return await self.engine.store.active_session(self.user.key, self.conversation.key)

    # ------------------------------------------------------------------ scripted mode
    async def run_scripted(
        self, jd_path: Path | None, answers: list[str], options: dict[str, str], resume: bool
    ) -> SessionRecord | None:
        if resume:
            session = await self.active()
            if session is None:
                self.render([Reply(ReplyKind.ERROR, "No unfinished interview to resume.")])
                return None
            self.render(await self.engine.current(self.user.key, self.conversation))
            if session.state == "briefing":
                await self.dispatch(IncomingEvent.do(self.user, self.conversation, Command.BEGIN))
        else:
            assert jd_path is not None
            replies = await self.start(jd_path, {**options, "auto_begin": "yes"})
            if not replies or replies[-1].kind is ReplyKind.ERROR:
                return None
        for answer in answers:
            self.out.print(f"> {answer}", style="cyan", markup=False)
            replies = await self.dispatch(self.event_for(answer))
            if any(r.kind is ReplyKind.RECAP for r in replies):
                break
        else:
            if await self.active() is not None:
                self.out.print("(answers file finished: ending the interview)", style="dim")
                await self.dispatch(IncomingEvent.do(self.user, self.conversation, Command.END))
        return await self.latest()

    async def latest(self) -> SessionRecord | None:
        sessions = await self.engine.store.sessions_for_user(self.user.key, limit=1)
        return sessions[0] if sessions else None

    # ------------------------------------------------------------------ interactive mode
    async def read_block(self, lines: LineReader) -> str | None:
        """Lines up to an empty line; ``None`` at end of input."""
        collected: list[str] = []
        async for line in lines:
            if not line.strip():
                if collected:
                    return "\n".join(collected)
                continue
            if not collected and parse_command(line) is not None:
                return line
            collected.append(line)
        return "\n".join(collected) if collected else None

    async def read_job(self, lines: LineReader) -> Path | str | None:
        options = samples()
        self.out.print("Give me a job description:", style="bold")
        for number, path in enumerate(options, 1):
            self.out.print(f"  {number}. sample: {path.stem}", markup=False)
        self.out.print(
            f"Type a sample number, a file path, or paste the text and finish with a "
            f"line holding only {TERMINATOR}.",
            markup=False,
        )
        collected: list[str] = []
        async for line in lines:
            stripped = line.strip()
            if not collected:
                if not stripped:
                    continue
                if stripped.isdigit() and 1 <= int(stripped) <= len(options):
                    return options[int(stripped) - 1]
                candidate = existing_file(stripped)
                if candidate is not None:
                    return candidate
            if stripped == TERMINATOR:
                break
            collected.append(line)
        return "\n".join(collected) if collected else None

    async def run_interactive(
        self, inp: TextIO, options: dict[str, str], resume: bool, *, show_current: bool = True
    ) -> int:
        lines = LineReader(inp)
        session = await self.active()
        if session is not None and not resume:
            self.out.print(
                f"You have an unfinished interview ({session.profile.title}, question "
                f"{session.cursor + 1} of {len(session.plan.questions)}). Resume it? "
                "[Y/n]",
                markup=False,
            )
            choice = (await lines.readline() or "y").strip().lower()
            resume = choice in ("", "y", "yes")
            if not resume:
                await self.engine.handle(
                    IncomingEvent.do(self.user, self.conversation, Command.END)
                )
        if resume and session is not None:
            if show_current:
                self.render(await self.engine.current(self.user.key, self.conversation))
        elif resume:
            self.out.print("No unfinished interview to resume; let's start a new one.")
            session = None
        if not resume or session is None:
            job = await self.read_job(lines)
            if job is None:
                self.out.print("No job description given. Bye.")
                return 1
            if isinstance(job, Path):
                replies = await self.start(job, options)
            else:
                replies = await self.dispatch(
                    IncomingEvent.do(self.user, self.conversation, Command.START, job, **options)
                )
            if not replies or replies[-1].kind is ReplyKind.ERROR:
                return 1
            while True:
                self.out.print(
                    "Press Enter to begin (or /coding yes, /length long, /focus SKILL, /cancel).",
                    style="dim",
                    markup=False,
                )
                first = await lines.readline()
                if first is None:
                    return self._saved()
                command = parse_command(first)
                if command is not None and command[0] is Command.CANCEL:
                    await self.dispatch(self.event_for(first))
                    return 0
                if command is not None and command[0] is Command.CONFIGURE:
                    await self.dispatch(self.event_for(first))
                    continue
                break
            await self.dispatch(IncomingEvent.do(self.user, self.conversation, Command.BEGIN))
        while True:
            block = await self.read_block(lines)
            if block is None:
                return self._saved()
            replies = await self.dispatch(self.event_for(block))
            if any(r.kind is ReplyKind.RECAP for r in replies):
                return 0
            if await self.active() is None:
                return 0

    def _saved(self) -> int:
        self.out.print(
            "\nYour interview is saved. Continue it with: interview-bot console --resume"
        )
        return 0


def _write_chart(recap: Recap, path: Path) -> bool:
    png = competency_chart(recap)
    if png is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return True


def write_json(record: SessionRecord, path: Path) -> None:
    path.write_text(
        json.dumps(session_json(record), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
