"""Peer mode: one member interviews another with the bot's plan and rubric.

The interviewer sees what a hiring manager's interview guide holds: the question, what a good
answer covers (talking points), the rubric anchors and the follow-ups to reach for. The candidate
sees the question only: showing them the notes would turn the practice into reading aloud. The
adapter must deliver ``notes_markdown`` privately (ephemeral/DM) and only to the interviewer.

Role swap: the interviewer becomes the candidate of a *new* session on the same job (the stored
job profile and the same options, planned afresh, so they are not answering the questions whose
notes they just read, as far as the question bank allows) in the same room, and the former
candidate becomes its interviewer. Being the candidate means being recorded, scored and kept, so
the swap happens only with the interviewer's consent: the candidate can only *ask*
(``check_swap``; the adapter shows the interviewer an accept button), and ``swap_roles`` runs
only for the interviewer. Observers do not carry over: they agreed to watch the first
candidate, and the new candidate invites whom they like. The first session must be finished (or
ended) first: one interview at a time per room keeps the thread readable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.community.errors import CommunityError
from bot.community.participants import INTERVIEWER, interviewer_of
from bot.community.scoring import rubric_scale
from bot.domain import Question
from bot.engine import InterviewEngine
from bot.events import ConversationRef, Reply
from bot.ports import Participant, SessionRecord, Store
from bot.render import TYPE_LABELS

IN_QUESTION = ("asking", "follow_up", "paused")


@dataclass(frozen=True, slots=True)
class InterviewerNotes:
    """What only the interviewer sees for the current question."""

    number: int
    total: int
    question: Question
    pending_follow_up: str  # the follow-up the bot would ask now ("" when none)

    @property
    def follow_up_hooks(self) -> tuple[str, ...]:
        return self.question.follow_ups


def interviewer_notes(record: SessionRecord) -> InterviewerNotes | None:
    """Notes for the question now open; None when no question is open (briefing, finished)."""
    if record.state not in IN_QUESTION or record.cursor >= len(record.plan.questions):
        return None
    return InterviewerNotes(
        number=record.cursor + 1,
        total=len(record.plan.questions),
        question=record.plan.questions[record.cursor],
        pending_follow_up=record.pending_probe if record.state == "follow_up" else "",
    )


def notes_markdown(notes: InterviewerNotes) -> str:
    """The interviewer's private guide for one question, as Markdown (under 2,000 characters for
    ordinary bank questions; adapters split longer text)."""
    question = notes.question
    lines = [
        f"**Interviewer notes · question {notes.number} of {notes.total}** "
        f"({TYPE_LABELS[question.type]}, {question.competency}) — only you can see this.",
        f"Ask: {question.text}",
    ]
    if notes.pending_follow_up:
        lines.append(f"Suggested follow-up now: {notes.pending_follow_up}")
    if question.talking_points:
        lines.append("A good answer covers:")
        lines.extend(f"• {p.point}" for p in question.talking_points)
    lines.append("Rubric:")
    lines.extend(f"{score} — {anchor}" for score, anchor in rubric_scale(question) if score % 2)
    if notes.follow_up_hooks:
        lines.append("Follow-ups to reach for:")
        lines.extend(f"• {f}" for f in notes.follow_up_hooks)
    if question.hint:
        lines.append(f"If they are stuck, a hint: {question.hint}")
    return "\n".join(lines)


def candidate_view(record: SessionRecord) -> str:
    """What the candidate sees of the open question: the question only."""
    notes = interviewer_notes(record)
    if notes is None:
        return ""
    if notes.pending_follow_up:
        return f"Follow-up — {notes.pending_follow_up}"
    return f"Question {notes.number} of {notes.total}: {notes.question.text}"


async def _open_mirror(
    engine: InterviewEngine,
    record: SessionRecord,
    candidate: str,
    conversation: ConversationRef,
    now: float,
) -> SessionRecord:
    """A briefing-state session for ``candidate`` on ``record``'s job and options, planned afresh
    by the engine's brain (what ``/interview start`` would do with the same job description)."""
    session_id = engine.new_id()
    plan = await engine.brain.plan(
        record.profile, record.plan.options, random.Random(f"{session_id}:plan")
    )
    if not plan.questions:
        raise CommunityError("I could not plan a second interview for this job.")
    fresh = SessionRecord(
        id=session_id,
        user_key=candidate,
        conversation_key=conversation.key,
        state="briefing",
        profile=record.profile,
        plan=plan,
        created_at=now,
        updated_at=now,
    )
    await engine.store.create_session(fresh)
    return fresh


@dataclass(frozen=True, slots=True)
class Swap:
    new_candidate: str  # user key
    new_interviewer: str
    replies: list[Reply]  # the engine's briefing for the new session
    session: SessionRecord


async def check_swap(
    store: Store, record: SessionRecord, *, by: str, conversation: ConversationRef
) -> str:
    """Whether a swap of ``record`` can start now; returns the interviewer's user key (the one
    whose consent it needs). ``by`` must be the candidate or the interviewer of ``record``."""
    interviewer = await interviewer_of(store, record)
    if interviewer is None:
        raise CommunityError(
            "Swapping roles needs a peer interviewer: invite one with role interviewer first."
        )
    if by not in (record.user_key, interviewer):
        raise CommunityError("Only the candidate or the interviewer can swap roles.")
    if record.state != "finished":
        raise CommunityError("Finish (or end) this interview first; then swap roles.")
    if await store.active_session(interviewer, conversation.key) is not None:
        raise CommunityError(
            "The interviewer already has an interview open here; finish or end it first."
        )
    return interviewer


async def swap_roles(
    engine: InterviewEngine,
    record: SessionRecord,
    *,
    by: str,
    conversation: ConversationRef,
    now: float,
) -> Swap:
    """Start the mirrored session (see the module docstring). ``by`` must be the interviewer of
    ``record``: running it is their consent to become the candidate. ``conversation`` is the
    room the new session lives in."""
    store = engine.store
    interviewer = await check_swap(store, record, by=by, conversation=conversation)
    if by != interviewer:
        raise CommunityError(
            "Only the interviewer can accept a role swap: it makes them the candidate."
        )
    fresh = await _open_mirror(engine, record, interviewer, conversation, now)
    replies = await engine.current(interviewer, conversation)
    await store.add_participant(Participant(fresh.id, record.user_key, INTERVIEWER, now))
    return Swap(interviewer, record.user_key, replies, fresh)
