"""The core's interfaces to the outside world, and nothing else.

Each port has an offline default so the bot works on a fresh machine with no network; online
implementations (LLM endpoints, cloud TTS, remote sandboxes) plug in behind the same Protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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
    """What ``forget_user`` deleted, per kind, so the user is told exactly what went (issue 11).

    Counts cover the user's own sessions (with everything hanging off them) and what the user
    left on other people's sessions (scores given as an observer or interviewer, invitations)."""

    sessions: int = 0
    turns: int = 0
    share_links: int = 0
    participations: int = 0
    peer_scores: int = 0
    reminders: int = 0
    queue_entries: int = 0
    audio_clips: int = 0
    preferences: int = 0


# --- Sharing, group practice, scheduling and preferences (issue 11) --------------------------


@dataclass(frozen=True, slots=True)
class ShareLink:
    """A revocable, expiring read-only link to one session. ``id`` is random and is what the
    signed token carries; revoking sets ``revoked_at`` (kept so a revoked link says "revoked")."""

    id: str
    session_id: str
    user_key: str
    created_at: float
    expires_at: float
    revoked_at: float | None = None


# Participant roles: an observer scores answers alongside the bot; an interviewer (peer mode)
# asks the plan's questions and sees the hidden notes.
PARTICIPANT_ROLES: tuple[str, ...] = ("observer", "interviewer")


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone the candidate let into a session (the only people besides the candidate who may
    see it)."""

    session_id: str
    user_key: str
    role: str
    added_at: float


@dataclass(frozen=True, slots=True)
class PeerScore:
    """One person's 1-5 score for one question of a session, with the rubric's scale.

    ``role`` is the scorer's role at the time: observer, interviewer or candidate (self-score).
    One score per (session, question, scorer): scoring again replaces it."""

    session_id: str
    question_index: int
    scorer_key: str
    role: str
    score: float
    note: str = ""
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A member waiting for a practice partner. ``scope`` is the server/workspace
    (``discord:<guild id>``, ``slack:<team or "workspace">``); ``conversation_key`` is where to
    tell them about the match; ``voice`` whether they opted into a voice channel."""

    scope: str
    user_key: str
    role_type: str
    conversation_key: str
    enqueued_at: float
    expires_at: float
    voice: bool = False


@dataclass(frozen=True, slots=True)
class Reminder:
    """A scheduled practice reminder; persisted so it survives restarts. ``sent_at`` is set by
    exactly one process (``mark_reminder_sent`` is the claim)."""

    id: str
    user_key: str
    conversation_key: str
    due_at: float
    text: str
    created_at: float
    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class StoredAudio:
    """A spoken answer kept only because the candidate opted in (``audio_opt_in`` preference)."""

    session_id: str
    question_index: int
    format: str
    data: bytes
    created_at: float


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def create_session(self, record: SessionRecord) -> None: ...

    async def save_progress(self, record: SessionRecord, new_turn: Turn | None = None) -> None:
        """Persist state and (optionally) one new/updated turn in a single transaction.

        A no-op when the session no longer exists (``forget`` or retention deleted it while the
        turn was being handled): the user asked for it to go, so it is not brought back. The same
        holds for every write hanging off a session (share link, participant, peer score,
        audio). A row a constraint refuses (a score outside 1-5, a duplicate reminder id) raises
        ``bot.store.rows.StoreError``."""
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
        """Delete every session of the user with everything hanging off it (turns, recap, share
        links, participants, peer scores, audio), and what the user left elsewhere (their
        participations in and scores on others' sessions, share links, reminders, queue entries,
        preferences), in one transaction; the report counts each kind exactly. SQLite also
        vacuums, so the deleted text does not linger in free pages of the file."""
        ...

    async def purge_before(self, timestamp: float) -> int:
        """Delete sessions (and everything hanging off them: turns, share links, participants,
        peer scores, audio) last updated before ``timestamp``: retention. Also drops reminders
        sent before it. Returns how many sessions went."""
        ...

    async def purge_scope_before(self, conversation_prefix: str, timestamp: float) -> int:
        """``purge_before`` for one server: only sessions (and sent reminders) whose conversation
        key starts with ``conversation_prefix``, matched literally as in ``completed_counts``.
        A server's shorter retention (``bot.community.scope``). An empty prefix is a
        ``ValueError``: it would be every server's data. Returns how many sessions went."""
        ...

    async def purge_share_links_before(self, timestamp: float) -> int:
        """Delete share links that expired or were revoked before ``timestamp``: dead links are
        otherwise kept as long as their session. Returns how many went."""
        ...

    # Share links -----------------------------------------------------------------------------
    async def create_share_link(self, link: ShareLink) -> None: ...

    async def get_share_link(self, link_id: str) -> ShareLink | None: ...

    async def revoke_share_links(
        self, user_key: str, *, session_id: str | None = None, link_id: str | None = None, at: float
    ) -> int:
        """Revoke the user's links (all, one session's, or one link); returns how many changed.
        Only links owned by ``user_key`` are touched."""
        ...

    async def share_links_for_user(self, user_key: str) -> list[ShareLink]: ...

    # Participants and peer scores --------------------------------------------------------------
    async def add_participant(self, participant: Participant) -> None:
        """Insert or update the role (one row per session and user)."""
        ...

    async def remove_participant(self, session_id: str, user_key: str) -> bool: ...

    async def participants(self, session_id: str) -> list[Participant]: ...

    async def sessions_participating(self, user_key: str, limit: int = 20) -> list[str]:
        """Ids of sessions the user was let into (most recent first)."""
        ...

    async def save_peer_score(self, score: PeerScore) -> None:
        """Insert or replace the scorer's score for that question."""
        ...

    async def peer_scores(self, session_id: str) -> list[PeerScore]: ...

    # Per server/workspace settings and per user preferences (JSON objects) ----------------------
    async def get_scope_settings(self, scope: str) -> dict[str, Any] | None: ...

    async def put_scope_settings(self, scope: str, values: dict[str, Any], at: float) -> None: ...

    async def scope_settings_all(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (scope, settings) saved, by scope; a row that is not a JSON object is skipped."""
        ...

    async def get_user_prefs(self, user_key: str) -> dict[str, Any]:
        """The user's preferences; ``{}`` when none were ever set."""
        ...

    async def put_user_prefs(self, user_key: str, values: dict[str, Any], at: float) -> None: ...

    # Practice queue --------------------------------------------------------------------------
    async def join_queue(self, entry: QueueEntry, now: float) -> QueueEntry | None:
        """Atomically: when another user's unexpired entry waits in the same scope for the same
        role type, remove it and return it (a match; ``entry`` is not stored); otherwise store
        ``entry`` (replacing the user's previous entry in that scope) and return None. Safe with
        several processes: two joiners never match the same waiting entry."""
        ...

    async def leave_queue(self, scope: str, user_key: str) -> bool: ...

    async def queue_entries(self, scope: str) -> list[QueueEntry]: ...

    async def expire_queue(self, now: float) -> list[QueueEntry]:
        """Remove and return entries whose ``expires_at`` has passed (to tell them politely)."""
        ...

    # Reminders ---------------------------------------------------------------------------------
    async def add_reminder(self, reminder: Reminder) -> None: ...

    async def due_reminders(self, now: float, limit: int = 50) -> list[Reminder]:
        """Unsent reminders with ``due_at <= now``, oldest first."""
        ...

    async def mark_reminder_sent(self, reminder_id: str, at: float) -> bool:
        """True for exactly one caller: the one that should deliver it."""
        ...

    async def reminders_for_user(self, user_key: str) -> list[Reminder]:
        """The user's unsent reminders, soonest first."""
        ...

    async def cancel_reminder(self, reminder_id: str, user_key: str) -> bool: ...

    # Opt-in audio ------------------------------------------------------------------------------
    async def save_audio(self, audio: StoredAudio) -> None: ...

    async def audio_for_session(self, session_id: str) -> list[StoredAudio]: ...

    # Leaderboard -------------------------------------------------------------------------------
    async def completed_counts(
        self, conversation_prefix: str, since: float, limit: int = 10
    ) -> list[tuple[str, int]]:
        """(user_key, finished sessions) for sessions whose conversation key starts with
        ``conversation_prefix`` and that finished at or after ``since``; most first."""
        ...


class Clock(Protocol):
    def now(self) -> float: ...
