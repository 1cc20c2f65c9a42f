"""The core's interfaces to the outside world, and nothing else.

Each port has an offline default so the bot works on a fresh machine with no network; online
implementations (LLM endpoints, cloud TTS, remote sandboxes) plug in behind the same Protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.domain import InterviewPlan, JobProfile, Recap, Turn
from bot.events import IncomingEvent, Reply


@dataclass(frozen=True, slots=True)
class Capabilities:
    threads: bool = False
    buttons: bool = False
    voice: bool = False
    files: bool = False


@runtime_checkable
class ChatAdapter(Protocol):
    capabilities: Capabilities

    async def run(self) -> None: ...

    async def send(self, event: IncomingEvent, replies: Sequence[Reply]) -> None: ...


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class LLMResult:
    """One completion. ``refusal`` is set when the model declined (nothing to parse or repair)."""

    text: str
    model: str = "offline"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    finish_reason: str = ""
    refusal: str = ""
    attempts: int = 1


class LLMClient(Protocol):
    """A chat-completion endpoint. ``schema`` asks for JSON matching it (JSON Schema dict);
    ``tag`` names the prompt and its version for logs and usage accounting."""

    model: str
    display_url: str  # where the endpoint is, without credentials: safe to log and show

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, object] | None = None,
        *,
        tag: str = "",
        max_tokens: int | None = None,
    ) -> LLMResult: ...

    def stream(self, messages: Sequence[ChatMessage], *, tag: str = "") -> AsyncIterator[str]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word; ``start``/``end`` in seconds from the start of the clip."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class AudioClip:
    """Audio moving between adapters and speech engines.

    ``format`` ``"s16le"``: ``data`` is raw little-endian 16-bit PCM at ``sample_rate`` with
    ``channels`` interleaved. Any other value (``"wav"``, ``"mp3"``, ``"ogg"``, ``"m4a"``,
    ``"webm"``, ``"file"``) means ``data`` holds an encoded file as uploaded, which the speech
    package decodes with ffmpeg (``sample_rate`` may then be 0: unknown).
    """

    data: bytes
    sample_rate: int
    channels: int = 1
    format: str = "s16le"


@dataclass(frozen=True, slots=True)
class Transcript:
    """What was said, with word timings for delivery metrics; ``model`` names the recogniser."""

    text: str
    words: tuple[Word, ...] = ()
    language: str = "en"
    duration: float = 0.0
    model: str = ""


class SpeechToText(Protocol):
    """Speech to text. ``vocabulary`` (the job's skills) biases recognition towards those terms.
    Raises ``bot.speech.AudioError`` for recordings it cannot use."""

    async def transcribe(self, clip: AudioClip, vocabulary: Sequence[str] = ()) -> Transcript: ...


class TextToSpeech(Protocol):
    """Text to speech in the engine's native format; adapters convert for their transport."""

    async def synthesize(self, text: str) -> AudioClip: ...


@dataclass(frozen=True, slots=True)
class RunLimits:
    """Limits for one sandboxed run (the run step; compile steps use per-language limits).

    ``wall_seconds`` and ``cpu_seconds`` are scaled by a language's time factor (the JVM needs
    longer to start); ``memory_mb`` is the program's heap/address-space budget.
    """

    wall_seconds: float = 5.0
    cpu_seconds: float = 4.0
    memory_mb: int = 256
    output_bytes: int = 64 * 1024
    file_bytes: int = 16 * 1024 * 1024
    open_files: int = 64
    processes: int | None = None  # None: the language's default (threads count too)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What happened to one run. ``status`` is one of ok, runtime_error, timeout, memory,
    output_limit, compile_error, refused; ``exit_code`` is the program's (128+n for signal n)."""

    status: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    compile_ms: float = 0.0
    language: str = ""
    truncated: bool = False


class CodeRunner(Protocol):
    async def run(
        self, code: str, language: str, stdin: str = "", limits: RunLimits = RunLimits()
    ) -> RunResult: ...


# Session states in which an interview is still open (the engine's State values).
ACTIVE_STATES: tuple[str, ...] = ("briefing", "asking", "follow_up", "paused")


@dataclass(slots=True)
class SessionRecord:
    """A session as stored: the engine's state plus the analysed job and plan."""

    id: str
    user_key: str
    conversation_key: str
    state: str
    profile: JobProfile
    plan: InterviewPlan
    cursor: int = 0
    follow_ups_asked: int = 0
    pending_probe: str = ""
    probe_kind: str = ""
    hints_used: int = 0
    paused_from: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    recap: Recap | None = None
    turns: list[Turn] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """What ``forget_user`` deleted, per kind, so the user is told exactly what went (issue 11)."""

    sessions: int = 0
    turns: int = 0


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def create_session(self, record: SessionRecord) -> None: ...

    async def save_progress(self, record: SessionRecord, new_turn: Turn | None = None) -> None:
        """Persist state and (optionally) one new/updated turn in a single transaction."""
        ...

    async def replace_plan(self, record: SessionRecord) -> None:
        """Store a new plan for a session still in its briefing (options changed)."""
        ...

    async def load_session(self, session_id: str) -> SessionRecord | None: ...

    async def active_session(
        self, user_key: str, conversation_key: str
    ) -> SessionRecord | None: ...

    async def sessions_for_user(self, user_key: str, limit: int = 20) -> list[SessionRecord]: ...

    async def open_sessions(self, platform: str, limit: int = 500) -> list[SessionRecord]:
        """Unfinished sessions on a platform, most recent first (re-attaching after a restart)."""
        ...

    async def forget_user(self, user_key: str) -> ForgetReport:
        """Delete every session of the user with its turns and recap; SQLite also vacuums, so the
        deleted text does not linger in free pages of the file."""
        ...

    async def purge_before(self, timestamp: float) -> int:
        """Delete sessions (and their turns) last updated before ``timestamp``: retention.
        Returns how many sessions went."""
        ...


class Clock(Protocol):
    def now(self) -> float: ...
