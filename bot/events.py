"""What adapters hand to the core (``IncomingEvent``) and what the core hands back (``Reply``).

Frozen dataclasses with no platform types, so the same engine runs behind Discord, Slack and a
terminal, and a transcript can be replayed in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain import Delivery, JobProfile, Recap


@dataclass(frozen=True, slots=True)
class UserRef:
    platform: str
    user_id: str
    display_name: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a session lives: a channel/thread on a chat platform, or a terminal."""

    platform: str
    channel_id: str
    thread_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.channel_id}:{self.thread_id}"


class EventKind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    ATTACHMENT = "attachment"
    AUDIO = "audio"
    BUTTON = "button"


class Command(StrEnum):
    START = "start"
    BEGIN = "begin"
    ANSWER = "answer"
    HINT = "hint"
    REPEAT = "repeat"
    SKIP = "skip"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    STATUS = "status"
    CANCEL = "cancel"
    CONFIGURE = "configure"
    RETAKE = "retake"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    kind: EventKind
    user: UserRef
    conversation: ConversationRef
    text: str = ""
    command: Command | None = None
    options: dict[str, str] = field(default_factory=dict)
    attachment: Attachment | None = None
    # A spoken answer: ``text`` is its transcript and ``delivery`` how it sounded (stored with
    # the turn for the recap). ``None`` for typed answers.
    delivery: Delivery | None = None

    @classmethod
    def say(cls, user: UserRef, conversation: ConversationRef, text: str) -> IncomingEvent:
        return cls(EventKind.TEXT, user, conversation, text=text)

    @classmethod
    def spoken(
        cls, user: UserRef, conversation: ConversationRef, text: str, delivery: Delivery | None
    ) -> IncomingEvent:
        """An answer recognised from speech: the transcript as the answer text."""
        return cls(EventKind.TEXT, user, conversation, text=text, delivery=delivery)

    @classmethod
    def do(
        cls,
        user: UserRef,
        conversation: ConversationRef,
        command: Command,
        text: str = "",
        **options: str,
    ) -> IncomingEvent:
        return cls(
            EventKind.COMMAND, user, conversation, text=text, command=command, options=dict(options)
        )


class ReplyKind(StrEnum):
    NOTICE = "notice"
    SUMMARY = "summary"
    QUESTION = "question"
    FEEDBACK = "feedback"
    RECAP = "recap"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message for the user. Adapters choose how to render each kind; ``text`` is always usable."""

    kind: ReplyKind
    text: str
    session_id: str = ""
    question_number: int = 0
    question_total: int = 0
    question_type: str = ""
    follow_up: bool = False
    choices: tuple[str, ...] = ()
    profile: JobProfile | None = None
    recap: Recap | None = None
