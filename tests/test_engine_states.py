"""The interview state machine, table-driven: every state x command pair is exercised."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import pytest

from bot.brain import OfflineBrain
from bot.domain import JobProfile
from bot.engine import TRANSITIONS, InterviewEngine, State
from bot.events import Command, IncomingEvent, ReplyKind, UserRef
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.store.sqlite import SQLiteStore
from tests.conftest import CONV, OTHER, USER, FixedClock, start_event

STRONG = (
    "At my last company our payment service kept timing out during peak hours, and I was "
    "responsible for fixing it before Black Friday. I profiled the slow PostgreSQL queries, added "
    "two composite indexes and moved the reconciliation job to a Kafka consumer. As a result p95 "
    "latency dropped from 900 ms to 120 ms and we had zero incidents that season."
)


async def reach(engine: InterviewEngine, state: State) -> None:
    """Drive a fresh engine into ``state`` through public events only."""
    if state is State.NONE:
        return
    await engine.handle(start_event())
    if state is State.BRIEFING:
        return
    await engine.handle(IncomingEvent.do(USER, CONV, Command.BEGIN))
    if state is State.FOLLOW_UP:
        replies = await engine.handle(IncomingEvent.say(USER, CONV, "I fixed it."))
        assert replies[-1].follow_up
    if state is State.PAUSED:
        await engine.handle(IncomingEvent.do(USER, CONV, Command.PAUSE))


async def current_state(engine: InterviewEngine) -> str:
    active = await engine.store.active_session(USER.key, CONV.key)
    if active is not None:
        return active.state
    sessions = await engine.store.sessions_for_user(USER.key, limit=1)
    return sessions[0].state if sessions else "none"


def event(command: Command, text: str = "") -> IncomingEvent:
    if command is Command.ANSWER:
        return IncomingEvent.say(USER, CONV, text)
    if command is Command.START:
        return start_event()
    return IncomingEvent.do(USER, CONV, command, text)


CASES = [
    # state, command, text, expected state after, expected last reply kind
    (State.NONE, Command.START, "", "briefing", ReplyKind.SUMMARY),
    (State.NONE, Command.ANSWER, "hello", "none", ReplyKind.NOTICE),
    (State.NONE, Command.HINT, "", "none", ReplyKind.NOTICE),
    (State.NONE, Command.STATUS, "", "none", ReplyKind.NOTICE),
    (State.BRIEFING, Command.BEGIN, "", "asking", ReplyKind.QUESTION),
    (State.BRIEFING, Command.CANCEL, "", "cancelled", ReplyKind.NOTICE),
    (State.BRIEFING, Command.END, "", "cancelled", ReplyKind.NOTICE),
    (State.BRIEFING, Command.ANSWER, "an early answer", "briefing", ReplyKind.NOTICE),
    (State.BRIEFING, Command.START, "", "briefing", ReplyKind.SUMMARY),
    (State.BRIEFING, Command.RESUME, "", "briefing", ReplyKind.SUMMARY),
    (State.ASKING, Command.ANSWER, "I fixed it.", "follow_up", ReplyKind.QUESTION),
    (State.ASKING, Command.ANSWER, "let me think", "asking", ReplyKind.NOTICE),
    (State.ASKING, Command.ANSWER, "   ", "asking", ReplyKind.NOTICE),
    (State.ASKING, Command.HINT, "", "asking", ReplyKind.NOTICE),
    (State.ASKING, Command.REPEAT, "", "asking", ReplyKind.QUESTION),
    (State.ASKING, Command.SKIP, "", "asking", ReplyKind.QUESTION),
    (State.ASKING, Command.PAUSE, "", "paused", ReplyKind.NOTICE),
    (State.ASKING, Command.END, "", "cancelled", ReplyKind.NOTICE),
    (State.ASKING, Command.START, "", "asking", ReplyKind.NOTICE),
    (State.ASKING, Command.BEGIN, "", "asking", ReplyKind.NOTICE),
    (State.FOLLOW_UP, Command.SKIP, "", "asking", ReplyKind.QUESTION),
    (State.FOLLOW_UP, Command.REPEAT, "", "follow_up", ReplyKind.QUESTION),
    (State.FOLLOW_UP, Command.PAUSE, "", "paused", ReplyKind.NOTICE),
    (State.FOLLOW_UP, Command.END, "", "finished", ReplyKind.RECAP),
    (State.PAUSED, Command.RESUME, "", "asking", ReplyKind.QUESTION),
    (State.PAUSED, Command.ANSWER, "ready", "asking", ReplyKind.QUESTION),
    (State.PAUSED, Command.HINT, "", "paused", ReplyKind.NOTICE),
    (State.PAUSED, Command.PAUSE, "", "paused", ReplyKind.NOTICE),
    (State.PAUSED, Command.END, "", "cancelled", ReplyKind.NOTICE),
]


@pytest.mark.parametrize(
    ("state", "command", "text", "after", "kind"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2][:8]}" for c in CASES],
)
async def test_transition(
    engine: InterviewEngine, state: State, command: Command, text: str, after: str, kind: ReplyKind
) -> None:
    await reach(engine, state)
    replies = await engine.handle(event(command, text))
    assert replies, "every event gets at least one reply"
    assert replies[-1].kind is kind, replies[-1].text
    assert await current_state(engine) == after


@pytest.mark.parametrize(
    "state", [State.NONE, State.BRIEFING, State.ASKING, State.FOLLOW_UP, State.PAUSED]
)
async def test_unlisted_pairs_are_refused_without_side_effects(
    engine: InterviewEngine, state: State
) -> None:
    await reach(engine, state)
    before = await engine.store.active_session(USER.key, CONV.key)
    for command in Command:
        if (state, command) in TRANSITIONS or command is Command.ANSWER:
            continue
        replies = await engine.handle(event(command))
        assert [r.kind for r in replies] == [ReplyKind.NOTICE]
        after = await engine.store.active_session(USER.key, CONV.key)
        assert (after.state if after else None) == (before.state if before else None)
        assert (after.cursor if after else None) == (before.cursor if before else None)


async def test_whole_interview_reaches_recap_and_counts_every_question(
    engine: InterviewEngine,
) -> None:
    await engine.handle(start_event(length="short"))
    replies = await engine.handle(IncomingEvent.do(USER, CONV, Command.BEGIN))
    total = replies[-1].question_total
    assert total == 5
    seen_questions: list[str] = []
    for _ in range(30):
        last = replies[-1]
        if last.kind is ReplyKind.RECAP:
            break
        seen_questions.append(last.text)
        replies = await engine.handle(IncomingEvent.say(USER, CONV, STRONG))
    assert replies[-1].kind is ReplyKind.RECAP
    recap = replies[-1].recap
    assert recap is not None and recap.questions_answered == total
    record = await engine.store.load_session(replies[-1].session_id)
    assert record is not None and record.state == "finished"
    assert {t.question_index for t in record.turns} == set(range(total))
    for turn in record.turns:
        assert turn.evaluation is not None
        for quote in turn.evaluation.evidence:
            assert quote in "\n".join(t.answer for t in record.turns), quote


async def test_follow_ups_are_capped_at_two_per_question(engine: InterviewEngine) -> None:
    await reach(engine, State.ASKING)
    kinds = []
    for _ in range(4):
        replies = await engine.handle(IncomingEvent.say(USER, CONV, "We did it."))
        kinds.append(replies[-1].follow_up)
    assert kinds[:3] == [True, True, False]
    record = await engine.store.active_session(USER.key, CONV.key)
    assert record is not None
    assert len([t for t in record.turns if t.question_index == 0]) == 3


async def test_hints_cap_the_score_and_are_limited(engine: InterviewEngine) -> None:
    await reach(engine, State.ASKING)
    first = await engine.handle(IncomingEvent.do(USER, CONV, Command.HINT))
    assert "out of 4" in first[-1].text
    second = await engine.handle(IncomingEvent.do(USER, CONV, Command.HINT))
    assert "out of 3" in second[-1].text
    third = await engine.handle(IncomingEvent.do(USER, CONV, Command.HINT))
    assert "No more hints" in third[-1].text
    await engine.handle(IncomingEvent.say(USER, CONV, STRONG))
    record = await engine.store.active_session(USER.key, CONV.key)
    assert record is not None
    evaluation = record.turns[0].evaluation
    assert evaluation is not None and evaluation.score is not None
    assert evaluation.score <= 3.0 and evaluation.hints_used == 2


async def test_other_users_do_not_touch_the_session(engine: InterviewEngine) -> None:
    await reach(engine, State.ASKING)
    replies = await engine.handle(IncomingEvent.say(OTHER, CONV, "I'll answer for them"))
    assert replies[-1].kind is ReplyKind.NOTICE
    record = await engine.store.active_session(USER.key, CONV.key)
    assert record is not None and record.turns == []


async def test_huge_answer_is_refused_and_nothing_is_recorded(engine: InterviewEngine) -> None:
    await reach(engine, State.ASKING)
    replies = await engine.handle(IncomingEvent.say(USER, CONV, "word " * 20_000 + "end"))
    assert replies[-1].kind is ReplyKind.ERROR
    assert "100,003 characters" in replies[-1].text and "still open" in replies[-1].text
    record = await engine.store.active_session(USER.key, CONV.key)
    assert record is not None and record.turns == [] and record.state == "asking"


async def test_a_real_answer_while_paused_is_kept(engine: InterviewEngine) -> None:
    await reach(engine, State.PAUSED)
    await engine.handle(IncomingEvent.say(USER, CONV, STRONG))
    record = await engine.store.active_session(USER.key, CONV.key)
    assert record is not None and record.turns[0].answer == STRONG


async def test_replay_is_deterministic(tmp_path: Path, bank: QuestionBank) -> None:
    """Same inputs, same ids and clock -> the same plan and the same transcript."""
    transcripts = []
    profile = JobProfile(title="Backend Engineer", role_family="software")
    for run in range(2):
        store = SQLiteStore(tmp_path / f"db{run}.sqlite3")
        await store.open()
        ids = (f"r{n}" for n in itertools.count())
        eng = InterviewEngine(
            store,
            OfflineBrain(lambda _t: profile, Planner(bank)),
            clock=FixedClock(),
            new_id=functools.partial(next, ids),
        )
        texts = [r.text for r in await eng.handle(start_event(auto_begin="yes"))]
        for answer in ("We shipped it.", STRONG, STRONG):
            texts += [r.text for r in await eng.handle(IncomingEvent.say(USER, CONV, answer))]
        texts += [r.text for r in await eng.handle(IncomingEvent.do(USER, CONV, Command.SKIP))]
        transcripts.append(texts)
        await store.close()
    assert transcripts[0] == transcripts[1]
    assert len(transcripts[0]) >= 5


async def test_briefing_options_replan_the_same_session(engine: InterviewEngine) -> None:
    replies = await engine.handle(start_event(coding="auto"))
    summary = replies[-1]
    assert "coding" in summary.choices, "the job codes: the briefing offers a coding round"
    session_id = summary.session_id
    replies = await engine.handle(
        IncomingEvent.do(USER, CONV, Command.CONFIGURE, coding="yes", length="long")
    )
    assert replies[-1].kind is ReplyKind.SUMMARY and replies[-1].session_id == session_id
    record = await engine.store.load_session(session_id)
    assert record is not None
    assert len(record.plan.questions) == 12
    assert any(q.type.value == "coding" for q in record.plan.questions)
    bad = await engine.handle(IncomingEvent.do(USER, CONV, Command.CONFIGURE, length="huge"))
    assert bad[-1].kind is ReplyKind.ERROR
    begun = await engine.handle(IncomingEvent.do(USER, CONV, Command.BEGIN))
    assert begun[-1].question_total == 12


async def test_retake_reuses_the_stored_profile_and_can_focus(engine: InterviewEngine) -> None:
    none = await engine.handle(IncomingEvent.do(USER, CONV, Command.RETAKE))
    assert none[-1].kind is ReplyKind.NOTICE
    await reach(engine, State.ASKING)
    await engine.handle(IncomingEvent.say(USER, CONV, STRONG))
    finished = await engine.handle(IncomingEvent.do(USER, CONV, Command.END))
    first = finished[-1]
    assert first.kind is ReplyKind.RECAP and first.recap is not None
    replies = await engine.handle(
        IncomingEvent.do(USER, CONV, Command.RETAKE, focus="next", length="short")
    )
    summary = replies[-1]
    assert summary.kind is ReplyKind.SUMMARY and summary.session_id != first.session_id
    record = await engine.store.load_session(summary.session_id)
    assert record is not None and len(record.plan.questions) == 5
    assert record.plan.options.focus == tuple(first.recap.next_focus)


async def test_open_sessions_lists_only_unfinished_ones_on_the_platform(
    engine: InterviewEngine,
) -> None:
    await reach(engine, State.ASKING)
    other = UserRef("other", "u9")
    await engine.handle(IncomingEvent.do(other, CONV, Command.START, start_event().text))
    listed = await engine.store.open_sessions("test")
    assert [r.user_key for r in listed] == [USER.key]
    await engine.handle(IncomingEvent.do(USER, CONV, Command.END))
    assert await engine.store.open_sessions("test") == []
    assert await engine.store.open_sessions("t_st") == [], "LIKE wildcards are escaped"


async def test_a_crash_while_the_recap_is_built_leaves_a_finished_session_with_a_recap(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """The process dies inside the brain's (LLM) recap: the stored session must still carry a
    recap, since nothing would ever rebuild it for history, show, export or share pages."""

    class DiesInRecap(OfflineBrain):
        async def recap(self, *args: object, **kwargs: object) -> object:
            raise SystemExit("killed while the recap was being written")

    store = SQLiteStore(tmp_path / "crash.sqlite3")
    await store.open()
    ids = (f"s{n:04d}" for n in itertools.count())
    engine = InterviewEngine(
        store,
        DiesInRecap(lambda _text: backend_profile, Planner(bank)),
        clock=FixedClock(),
        new_id=lambda: next(ids),
    )
    await engine.handle(start_event(length="short"))
    await engine.handle(IncomingEvent.do(USER, CONV, Command.BEGIN))
    with pytest.raises(SystemExit):
        for _ in range(30):
            await engine.handle(IncomingEvent.say(USER, CONV, STRONG))
    await store.close()

    reopened = SQLiteStore(tmp_path / "crash.sqlite3")
    await reopened.open()
    try:
        record = await reopened.load_session("s0000")
        assert record is not None and record.state == "finished"
        assert record.recap is not None
        assert record.recap.questions_answered == len({t.question_index for t in record.turns})
    finally:
        await reopened.close()
