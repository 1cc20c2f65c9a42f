"""InterviewEngine: an explicit state machine from ``IncomingEvent`` to ``Reply`` objects.

The transitions table is the single source of truth for what a user may do in each state; anything
not in it gets a polite "not now" listing what *is* possible. State lives in the store, and every
change is committed before replies are returned, so a crash between two messages loses nothing.
Clock, ids and randomness are injected: the same inputs replay the same interview.

Several processes may serve one database (Discord shards, a Slack worker). Before touching a
session the engine claims it under its ``owner`` name (``bot.store.claim_session``: a PostgreSQL
advisory lock, or in-process bookkeeping on SQLite); a session another process holds is answered
with a "busy" notice and left untouched. Claims end when the session finishes or is cancelled, when
it has been idle for ``claim_idle_s`` (so a session abandoned on one process can move to another),
when the engine closes, or when the holding process dies (the lock goes with its connection). The
engine keeps no session state in memory, so whoever claims next resumes from the store.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from bot.brain import AnswerContext, Brain
from bot.domain import JobProfile, PlanOptions, Question, Turn
from bot.evaluation.recap import build_recap
from bot.evaluation.scoring import hint_ceiling, skipped
from bot.events import Command, ConversationRef, EventKind, IncomingEvent, Reply, ReplyKind
from bot.intake import IntakeError, IntakeLimits, JobText, from_bytes, from_text
from bot.observability import timed_turn
from bot.planning.planner import coding_offer
from bot.ports import ACTIVE_STATES, Clock, SessionRecord, Store
from bot.render import profile_summary, question_header, recap_text
from bot.store import claim_session, release_session

log = logging.getLogger(__name__)

MAX_HINTS = 2
# A claim unused this long is given back, so another process may take an abandoned session.
CLAIM_IDLE_S = 600.0
BUSY_TEXT = (
    "This interview is being handled by another bot instance right now. Nothing was changed "
    "or lost: try again in a moment."
)
_THINKING = re.compile(
    r"^\s*(?:(?:um+|uh+|hmm+|ok(?:ay)?|so)[,. ]*)*(?:let me think(?: about (?:it|that))?|"
    r"give me a (?:moment|minute|second|sec)|one (?:moment|minute|second|sec)|thinking|"
    r"hold on|just a (?:moment|minute|second|sec))[.!… ]*$",
    re.IGNORECASE,
)
_RESUME_WORDS = re.compile(
    r"^\s*(?:ready|resume|continue|i'?m back|back|ok(?:ay)?|go|yes)\W*$", re.IGNORECASE
)


class State(StrEnum):
    NONE = "none"
    BRIEFING = "briefing"
    ASKING = "asking"
    FOLLOW_UP = "follow_up"
    PAUSED = "paused"
    FINISHED = "finished"
    CANCELLED = "cancelled"


IN_QUESTION = (State.ASKING, State.FOLLOW_UP)

# (state, command) -> handler name. Absent pairs are refused with the list of allowed commands.
TRANSITIONS: dict[tuple[State, Command], str] = {
    (State.NONE, Command.START): "_start",
    (State.NONE, Command.STATUS): "_status_none",
    (State.NONE, Command.RETAKE): "_retake",
    (State.BRIEFING, Command.START): "_restart",
    (State.BRIEFING, Command.BEGIN): "_begin",
    (State.BRIEFING, Command.CANCEL): "_cancel",
    (State.BRIEFING, Command.END): "_cancel",
    (State.BRIEFING, Command.STATUS): "_status",
    (State.BRIEFING, Command.RESUME): "_show_briefing",
    (State.BRIEFING, Command.CONFIGURE): "_configure",
    (State.PAUSED, Command.RESUME): "_resume",
    (State.PAUSED, Command.ANSWER): "_answer_while_paused",
    (State.PAUSED, Command.END): "_end",
    (State.PAUSED, Command.STATUS): "_status",
    (State.PAUSED, Command.PAUSE): "_already_paused",
}
for _state in IN_QUESTION:
    TRANSITIONS.update(
        {
            (_state, Command.ANSWER): "_answer",
            (_state, Command.HINT): "_hint",
            (_state, Command.REPEAT): "_repeat",
            (_state, Command.SKIP): "_skip",
            (_state, Command.PAUSE): "_pause",
            (_state, Command.RESUME): "_repeat",
            (_state, Command.END): "_end",
            (_state, Command.STATUS): "_status",
            (_state, Command.START): "_already_running",
        }
    )


def allowed_commands(state: State) -> list[str]:
    return sorted({c.value for (s, c) in TRANSITIONS if s is state and c is not Command.ANSWER})


class SystemClock:
    def now(self) -> float:
        import time

        return time.time()


@dataclass(frozen=True, slots=True)
class EngineLimits:
    max_answer_chars: int = 20_000
    intake: IntakeLimits = IntakeLimits()  # noqa: RUF009 - frozen, so one shared default is safe


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


def _default_owner() -> str:
    # Unique per engine: two engines in one process must not pass for the same owner.
    return f"engine-{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class _Claim:
    lock_key: str  # the per-conversation lock that guards this session's events
    last_used: float  # time.monotonic() of the last event handled under the claim


class InterviewEngine:
    def __init__(
        self,
        store: Store,
        brain: Brain,
        *,
        clock: Clock | None = None,
        new_id: Callable[[], str] = _new_id,
        limits: EngineLimits = EngineLimits(),
        owner: str | None = None,
        claim_idle_s: float = CLAIM_IDLE_S,
    ) -> None:
        self.store = store
        self.brain = brain
        self.clock = clock or SystemClock()
        self.new_id = new_id
        self.limits = limits
        self.owner = owner or _default_owner()
        self.claim_idle_s = claim_idle_s
        # Weak values: a lock lives only while an event for that conversation is in flight, so
        # thousands of idle sessions cost no memory here.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Sessions this engine has claimed (see the module docstring), by session id.
        self._claims: dict[str, _Claim] = {}
        self._next_sweep = time.monotonic() + claim_idle_s

    @property
    def claimed(self) -> frozenset[str]:
        """Ids of the sessions this engine holds now (for doctor, metrics and tests)."""
        return frozenset(self._claims)

    async def aclose(self) -> None:
        """Give back every claim, so another process can take these sessions over at once."""
        for session_id in list(self._claims):
            await self._release(session_id)

    async def _claim(self, session: SessionRecord, lock_key: str) -> bool:
        if not await claim_session(self.store, session.id, self.owner):
            self._claims.pop(session.id, None)  # a claim we thought we had is gone
            return False
        self._claims[session.id] = _Claim(lock_key, time.monotonic())
        return True

    async def _release(self, session_id: str) -> None:
        if self._claims.pop(session_id, None) is not None:
            await release_session(self.store, session_id, self.owner)

    async def _sweep_idle_claims(self) -> None:
        """Release claims idle for ``claim_idle_s``, each under its conversation's lock."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + min(self.claim_idle_s, 60.0)
        for session_id, claim in list(self._claims.items()):
            if now - claim.last_used < self.claim_idle_s:
                continue
            lock = self._locks.setdefault(claim.lock_key, asyncio.Lock())
            if lock.locked():
                continue  # in use right now, so not idle
            async with lock:
                current = self._claims.get(session_id)
                if (
                    current is not None
                    and time.monotonic() - current.last_used >= self.claim_idle_s
                ):
                    await self._release(session_id)

    # ------------------------------------------------------------------ dispatch
    @timed_turn  # turn latency and errors for /metrics (issue 12)
    async def handle(self, event: IncomingEvent) -> list[Reply]:
        key = f"{event.user.key}|{event.conversation.key}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            session = await self._claimed_session(event.user.key, event.conversation.key, key)
            if session is False:
                return [Reply(ReplyKind.NOTICE, BUSY_TEXT)]
            state = State(session.state) if session else State.NONE
            command = event.command if event.kind is EventKind.COMMAND else Command.ANSWER
            if command is None:
                command = Command.ANSWER
            handler_name = TRANSITIONS.get((state, command))
            if handler_name is None:
                return [self._not_now(state, command, session)]
            handler: Callable[[IncomingEvent, SessionRecord | None], Awaitable[list[Reply]]]
            handler = getattr(self, handler_name)
            try:
                return await handler(event, session)
            finally:
                if session is not None and session.state not in ACTIVE_STATES:
                    await self._release(session.id)
                await self._sweep_idle_claims()

    async def _claimed_session(
        self, user_key: str, conversation_key: str, lock_key: str
    ) -> SessionRecord | Literal[False] | None:
        """The open session here, claimed by this engine; None if there is none; False if another
        owner holds it.

        The session is read before it can be claimed (the claim needs its id), so a claim that was
        not already ours is followed by a fresh read: whatever the previous holder committed up
        to the moment it let go (or died) is what we continue from.
        """
        session = await self.store.active_session(user_key, conversation_key)
        for _attempt in range(3):
            if session is None:
                return None
            held = session.id in self._claims
            if not await self._claim(session, lock_key):
                return False
            if held:
                return session
            fresh = await self.store.active_session(user_key, conversation_key)
            if fresh is not None and fresh.id == session.id:
                return fresh
            await self._release(session.id)  # it closed meanwhile; look at what is open now
            session = fresh
        return False

    def _not_now(self, state: State, command: Command, session: SessionRecord | None) -> Reply:
        if state is State.NONE:
            text = "There is no interview running here. Start one with a job description (/start)."
        else:
            options = ", ".join(f"/{c}" for c in allowed_commands(state))
            text = f"You can't {command.value} right now ({state.value}). Available: {options}."
        return Reply(ReplyKind.NOTICE, text, session_id=session.id if session else "")

    async def current(self, user_key: str, conversation: ConversationRef) -> list[Reply]:
        """Where an open session stands, for adapters re-attaching after a restart.

        Nothing (an empty list) when another process holds the session: that one speaks for it.
        """
        key = f"{user_key}|{conversation.key}"
        async with self._locks.setdefault(key, asyncio.Lock()):
            session = await self._claimed_session(user_key, conversation.key, key)
        if not isinstance(session, SessionRecord):
            return []
        if session.state == State.BRIEFING:
            return [self._summary_reply(session)]
        if session.state == State.PAUSED:
            return self._notice(
                session,
                "Your interview is paused. Say /resume to continue.",
            )
        return [self._question_reply(session, resumed=True)]

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _notice(session: SessionRecord | None, text: str) -> list[Reply]:
        return [Reply(ReplyKind.NOTICE, text, session_id=session.id if session else "")]

    async def _move(self, session: SessionRecord, state: State) -> None:
        """Enter ``state`` and commit it before any reply leaves the engine."""
        session.state = state
        session.updated_at = self.clock.now()
        await self.store.save_progress(session)

    def _question(self, session: SessionRecord) -> Question:
        return session.plan.questions[session.cursor]

    def _question_reply(self, session: SessionRecord, *, resumed: bool = False) -> Reply:
        question = self._question(session)
        total = len(session.plan.questions)
        number = session.cursor + 1
        follow_up = session.state == State.FOLLOW_UP
        if follow_up:
            text = f"Follow-up — {session.pending_probe}"
        else:
            text = f"{question_header(question, number, total)}\n{question.text}"
        if resumed:
            text = f"Picking up where we left off (question {number} of {total}).\n{text}"
        return Reply(
            ReplyKind.QUESTION,
            text,
            session_id=session.id,
            question_number=number,
            question_total=total,
            question_type=question.type.value,
            follow_up=follow_up,
            choices=("hint", "repeat", "skip", "end"),
        )

    def _summary_reply(self, session: SessionRecord) -> Reply:
        total = len(session.plan.questions)
        options = session.plan.options
        choices = ["begin"]
        lines = [
            "Here's what I read in the job description:",
            profile_summary(session.profile, total, plan=session.plan),
            "",
        ]
        if coding_offer(session.profile, options):
            choices.append("coding")
            lines.append("This job writes code: you can add a coding round.")
        choices += ["length", "cancel"]
        lines.append(f"Length: {options.length}. Ready? Begin when you are.")
        return Reply(
            ReplyKind.SUMMARY,
            "\n".join(lines),
            session_id=session.id,
            question_total=total,
            profile=session.profile,
            choices=tuple(choices),
        )

    @staticmethod
    def _options(values: Mapping[str, str], base: PlanOptions | None = None) -> PlanOptions:
        """Plan options from adapter strings; unknown keys are ignored, bad values raise."""
        current = base or PlanOptions()
        focus = values.get("focus")
        return PlanOptions(
            length=values.get("length", current.length),
            coding=values.get("coding", current.coding),
            focus=tuple(f.strip() for f in focus.split(",") if f.strip())
            if focus is not None
            else current.focus,
        )

    def _rng(self, session_id: str, *salt: object) -> random.Random:
        return random.Random(":".join([session_id, *map(str, salt)]))

    def _intake(self, event: IncomingEvent) -> JobText:
        if event.attachment is not None:
            return from_bytes(
                event.attachment.filename, event.attachment.data, limits=self.limits.intake
            )
        return from_text(event.text, limits=self.limits.intake)

    # ------------------------------------------------------------------ handlers
    async def _start(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        try:
            # Parsing may spawn an extraction worker and wait for it: keep it off the loop.
            job = await asyncio.to_thread(self._intake, event)
            options = self._options(event.options)
        except IntakeError as exc:
            return [Reply(ReplyKind.ERROR, str(exc))]
        except ValueError as exc:
            return [Reply(ReplyKind.ERROR, f"Invalid interview options: {exc}")]
        profile = await self.brain.analyse(job.text)
        return await self._open_session(event, profile, options, job.notices)

    async def _open_session(
        self,
        event: IncomingEvent,
        profile: JobProfile,
        options: PlanOptions,
        notices: Sequence[str],
    ) -> list[Reply]:
        session_id = self.new_id()
        plan = await self.brain.plan(profile, options, self._rng(session_id, "plan"))
        if not plan.questions:
            return [
                Reply(
                    ReplyKind.ERROR,
                    "I could not build an interview plan from that job "
                    "description. Try pasting the full posting.",
                )
            ]
        now = self.clock.now()
        record = SessionRecord(
            id=session_id,
            user_key=event.user.key,
            conversation_key=event.conversation.key,
            state=State.BRIEFING,
            profile=profile,
            plan=plan,
            created_at=now,
            updated_at=now,
        )
        await self.store.create_session(record)
        # A new id nobody else knows yet: the claim cannot be refused, but it must be recorded.
        await self._claim(record, f"{event.user.key}|{event.conversation.key}")
        log.info(
            "session %s created: %s (%s), %d questions",
            session_id,
            profile.title,
            profile.level,
            len(plan.questions),
        )
        replies = [Reply(ReplyKind.NOTICE, n, session_id=session_id) for n in notices]
        replies.append(self._summary_reply(record))
        if event.options.get("auto_begin") == "yes":
            replies.extend(await self._begin(event, record))
        return replies

    async def _retake(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        """A new interview for the same job, from the stored profile: no need to re-send the JD.

        ``focus=next`` re-plans toward the last recap's suggested focus.
        """
        previous = next(
            (
                r
                for r in await self.store.sessions_for_user(event.user.key, limit=20)
                if r.conversation_key == event.conversation.key
            ),
            None,
        )
        if previous is None:
            return [Reply(ReplyKind.NOTICE, "There is no earlier interview here to retake.")]
        values = dict(event.options)
        if values.get("focus") == "next":
            values["focus"] = ",".join(previous.recap.next_focus) if previous.recap else ""
        try:
            options = self._options(values, previous.plan.options)
        except ValueError as exc:
            return [Reply(ReplyKind.ERROR, f"Invalid interview options: {exc}")]
        return await self._open_session(event, previous.profile, options, ())

    async def _restart(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        replies = await self._start(event, None)
        if replies and replies[-1].kind is not ReplyKind.ERROR:
            await self._move(session, State.CANCELLED)  # handle() releases it
        return replies

    async def _show_briefing(
        self, event: IncomingEvent, session: SessionRecord | None
    ) -> list[Reply]:
        assert session is not None
        return [self._summary_reply(session)]

    async def _configure(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        """Change length, coding or focus during the briefing: re-plan and show the summary."""
        assert session is not None
        try:
            options = self._options(event.options, session.plan.options)
        except ValueError:
            return [
                Reply(
                    ReplyKind.ERROR,
                    "Options: length short|standard|long, coding yes|no|auto, focus A,B.",
                    session_id=session.id,
                )
            ]
        session.plan = await self.brain.plan(
            session.profile, options, self._rng(session.id, "plan", options.model_dump_json())
        )
        session.updated_at = self.clock.now()
        await self.store.replace_plan(session)
        return [self._summary_reply(session)]

    async def _begin(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        await self._move(session, State.ASKING)
        return [self._question_reply(session)]

    async def _cancel(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        await self._move(session, State.CANCELLED)
        return self._notice(
            session,
            "Cancelled. Start again any time with a job description.",
        )

    async def _already_running(
        self, event: IncomingEvent, session: SessionRecord | None
    ) -> list[Reply]:
        assert session is not None
        return self._notice(
            session,
            "You already have an interview running here. Answer the current question, "
            "or /end it first to start a new one.",
        )

    async def _answer(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        text = event.text.strip()
        if not text:
            return self._notice(
                session,
                "I didn't catch an answer. Type it, or use /hint, /repeat or /skip.",
            )
        if len(text) > self.limits.max_answer_chars:
            return [
                Reply(
                    ReplyKind.ERROR,
                    f"That answer is {len(text):,} characters; the limit is "
                    f"{self.limits.max_answer_chars:,}. Nothing was recorded and the question is "
                    "still open: please send a shorter answer.",
                    session_id=session.id,
                )
            ]
        if _THINKING.match(text):
            return self._notice(
                session,
                "Take your time. Answer when you're ready (or /pause, /hint).",
            )

        question = self._question(session)
        index = session.cursor
        previous = [t.answer for t in session.turns if t.question_index == index and t.answer]
        combined = "\n".join([*previous, text])
        was_follow_up = session.state == State.FOLLOW_UP
        asked = [t.probe for t in session.turns if t.question_index == index and t.follow_up]
        if was_follow_up:
            asked.append(session.probe_kind)
        context = AnswerContext(
            question=question,
            combined_answer=combined,
            latest_answer=text,
            profile=session.profile,
            hints_used=session.hints_used,
            asked_kinds=tuple(asked),
            session_id=session.id,
            previous=next(
                (
                    t.evaluation
                    for t in reversed(session.turns)
                    if t.question_index == index and t.evaluation is not None
                ),
                None,
            ),
        )
        evaluation = await self.brain.grade(context)
        turn = Turn(
            seq=len(session.turns),
            question_index=index,
            question_id=question.id,
            question_type=question.type,
            question_text=session.pending_probe if was_follow_up else question.text,
            follow_up=was_follow_up,
            probe=session.probe_kind if was_follow_up else "",
            answer=text,
            delivery=event.delivery,
            evaluation=evaluation,
            created_at=self.clock.now(),
        )
        probe = await self.brain.follow_up(
            context, evaluation, self._rng(session.id, index, len(asked))
        )
        session.turns.append(turn)
        feedback = (
            [Reply(ReplyKind.FEEDBACK, evaluation.feedback, session_id=session.id)]
            if evaluation.feedback
            else []
        )
        if probe is not None:
            session.state = State.FOLLOW_UP
            session.pending_probe = probe.text
            session.probe_kind = probe.kind
            session.follow_ups_asked += 1
            session.updated_at = self.clock.now()
            await self.store.save_progress(session, turn)
            return [*feedback, self._question_reply(session)]
        return [*feedback, *await self._advance(session, turn)]

    async def _advance(self, session: SessionRecord, turn: Turn | None) -> list[Reply]:
        session.cursor += 1
        session.follow_ups_asked = 0
        session.hints_used = 0
        session.pending_probe = ""
        session.probe_kind = ""
        session.updated_at = self.clock.now()
        if session.cursor >= len(session.plan.questions):
            return await self._finish(session, turn)
        session.state = State.ASKING
        await self.store.save_progress(session, turn)
        return [self._question_reply(session)]

    async def _finish(self, session: SessionRecord, turn: Turn | None) -> list[Reply]:
        # The last answer is committed with the offline recap (milliseconds, deterministic)
        # before the brain's recap (possibly an LLM: slow, possibly failing) is built, so a
        # process killed in between leaves a finished session with a recap, never without one.
        session.state = State.FINISHED
        session.cursor = min(session.cursor, len(session.plan.questions))
        session.updated_at = self.clock.now()
        offline = build_recap(session.profile, session.plan, session.turns)
        session.recap = offline
        await self.store.save_progress(session, turn)
        try:
            recap = await self.brain.recap(session.profile, session.plan, session.turns)
        except Exception:
            log.exception("recap for session %s failed; using the offline recap", session.id)
            recap = offline
        total = len(session.plan.questions)
        header = (
            "Interview complete. Here is your recap.\n\n"
            if session.cursor >= total
            else f"Interview ended after {len({t.question_index for t in session.turns})} of "
            f"{total} questions. Here is your recap of what you answered.\n\n"
        )
        session.recap = recap
        usage = await self.brain.usage_note(session.id)
        await self.store.save_progress(session)
        return [
            Reply(
                ReplyKind.RECAP,
                header + recap_text(recap) + (f"\n\n{usage}" if usage else ""),
                session_id=session.id,
                recap=recap,
                choices=("retake", "focus"),
            )
        ]

    async def _hint(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        question = self._question(session)
        if session.hints_used >= MAX_HINTS:
            return self._notice(
                session,
                "No more hints for this question — give it your best shot, or /skip.",
            )
        session.hints_used += 1
        if session.hints_used == 1:
            hint = question.hint or "Structure it: the situation, what you did, and the result."
        else:
            points = [p.point for p in question.talking_points]
            hint = (
                "A strong answer would touch on: " + "; ".join(points[:2])
                if points
                else "Think about the trade-offs and a concrete example."
            )
        ceiling = hint_ceiling(session.hints_used)
        session.updated_at = self.clock.now()
        await self.store.save_progress(session)
        return self._notice(
            session,
            f"Hint: {hint}\n(With this hint, this question is scored out of {ceiling:g}.)",
        )

    async def _repeat(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        return [self._question_reply(session)]

    async def _skip(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        turn: Turn | None = None
        if session.state == State.ASKING and not any(
            t.question_index == session.cursor for t in session.turns
        ):
            question = self._question(session)
            turn = Turn(
                seq=len(session.turns),
                question_index=session.cursor,
                question_id=question.id,
                question_type=question.type,
                question_text=question.text,
                evaluation=skipped(session.hints_used),
                created_at=self.clock.now(),
            )
            session.turns.append(turn)
        return await self._advance(session, turn)

    async def _pause(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        session.paused_from = session.state
        await self._move(session, State.PAUSED)
        return self._notice(
            session,
            "Paused — your progress is saved. Say /resume when you're ready.",
        )

    async def _already_paused(
        self, event: IncomingEvent, session: SessionRecord | None
    ) -> list[Reply]:
        assert session is not None
        return self._notice(
            session,
            "Already paused. Say /resume when you're ready.",
        )

    async def _resume(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        session.state = session.paused_from or State.ASKING
        session.paused_from = ""
        session.updated_at = self.clock.now()
        await self.store.save_progress(session)
        return [self._question_reply(session, resumed=True)]

    async def _answer_while_paused(
        self, event: IncomingEvent, session: SessionRecord | None
    ) -> list[Reply]:
        """Text while paused resumes; if it is a real answer it is kept, not thrown away."""
        assert session is not None
        if _RESUME_WORDS.match(event.text) or _THINKING.match(event.text):
            return await self._resume(event, session)
        session.state = session.paused_from or State.ASKING
        session.paused_from = ""
        return await self._answer(event, session)

    async def _end(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        if not any(t.answer for t in session.turns):
            await self._move(session, State.CANCELLED)
            return self._notice(
                session,
                "Interview ended. There were no answers to grade, so there is no recap.",
            )
        return await self._finish(session, None)

    async def _status(self, event: IncomingEvent, session: SessionRecord | None) -> list[Reply]:
        assert session is not None
        total = len(session.plan.questions)
        answered = len({t.question_index for t in session.turns if t.answer})
        text = (
            f"{session.profile.title} — {session.state}; question "
            f"{min(session.cursor + 1, total)} of {total}; {answered} answered"
        )
        if session.hints_used:
            text += f"; {session.hints_used} hint(s) on this question"
        usage = await self.brain.usage_note(session.id)
        if usage:
            text += f"\n{usage}"
        return [Reply(ReplyKind.NOTICE, text, session_id=session.id)]

    async def _status_none(
        self, event: IncomingEvent, session: SessionRecord | None
    ) -> list[Reply]:
        return [Reply(ReplyKind.NOTICE, "No interview running. Start one with a job description.")]
