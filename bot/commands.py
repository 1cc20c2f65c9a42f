"""Typed commands in chat text ("/hint", "/skip", "/length long"), shared by every adapter.

A candidate who types "/skip" in a Discord thread or a Slack reply means the command, not an
answer; parsing it in one place keeps the adapters thin and consistent.
"""

from __future__ import annotations

from bot.events import Command, ConversationRef, IncomingEvent, UserRef

COMMANDS = {c.value: c for c in Command if c not in (Command.ANSWER, Command.START)}
ALIASES = {
    "next": Command.SKIP,
    "quit": Command.END,
    "stop": Command.END,
    "again": Command.REPEAT,
    "continue": Command.RESUME,
}
CONFIGURE_WORDS = ("coding", "length", "focus")


def parse_command(line: str) -> tuple[Command, str] | None:
    """``/hint`` or ``/skip`` -> the command and the rest of the line; anything else -> None."""
    stripped = line.strip()
    if not stripped.startswith("/") or "\n" in stripped:
        return None
    word, _, rest = stripped[1:].partition(" ")
    word = word.lower()
    if word in CONFIGURE_WORDS:
        return Command.CONFIGURE, f"{word} {rest.strip()}"
    command = COMMANDS.get(word) or ALIASES.get(word)
    if command is None:
        return None
    return command, rest.strip()


def event_for_text(user: UserRef, conversation: ConversationRef, text: str) -> IncomingEvent:
    """The event a typed line means: a command when it parses as one, else an answer."""
    parsed = parse_command(text)
    if parsed is None:
        return IncomingEvent.say(user, conversation, text)
    command, rest = parsed
    if command is Command.CONFIGURE:
        key, _, value = rest.partition(" ")
        return IncomingEvent.do(user, conversation, command, **{key: value})
    return IncomingEvent.do(user, conversation, command, rest)
