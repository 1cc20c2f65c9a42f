"""Session ownership in the engine (issue 12), on SQLite and PostgreSQL.

Two engines with different owner names stand for two bot processes: on PostgreSQL each has its own
store (its own connections, so its own advisory locks, exactly as two processes would); on SQLite
they share one store, whose claims are in-process. The cross-process version with real processes
and ``kill -9`` is ``tests/test_scale_processes.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from bot.brain import OfflineBrain
from bot.domain import JobProfile
from bot.engine import BUSY_TEXT, InterviewEngine
from bot.events import Command, IncomingEvent, ReplyKind
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.ports import Store
from tests.conftest import CONV, USER, FixedClock, start_event
from tests.pg_cluster import Backend

ANSWER = (
    "At my last job I owned the payments ledger. I profiled the slow reconciliation job, found "
    "an N+1 query and rewrote it with a join; the nightly run went from 40 minutes to 3."
)


def say(text: str = ANSWER) -> IncomingEvent:
    return IncomingEvent.say(USER, CONV, text)


def do(command: Command) -> IncomingEvent:
    return IncomingEvent.do(USER, CONV, command)


class Pair:
    """Two engines ("processes") over one database."""

    def __init__(self, backend: Backend, profile: JobProfile, bank: QuestionBank) -> None:
        self.backend = backend
        self.profile = profile
        self.bank = bank
        self.stores: list[Store] = []
        self.ids = (f"s{n:04d}" for n in itertools.count())

    async def engine(self, owner: str, **kwargs: float) -> InterviewEngine:
        if self.backend.name == "sqlite" and self.stores:
            store = self.stores[0]  # one SQLite store per process: the second engine shares it
        else:
            store = self.backend.new_store()
            await store.open()
            self.stores.append(store)
        profile = self.profile
        return InterviewEngine(
            store,
            OfflineBrain(lambda _text: profile, Planner(self.bank)),
            clock=FixedClock(),
            new_id=lambda: next(self.ids),
            owner=owner,
            **kwargs,
        )

    async def close(self) -> None:
        for store in self.stores:
            await store.close()


@pytest.fixture
async def pair(
    backend: Backend, backend_profile: JobProfile, bank: QuestionBank
) -> AsyncIterator[Pair]:
    p = Pair(backend, backend_profile, bank)
    yield p
    await p.close()


async def started(engine: InterviewEngine) -> str:
    replies = await engine.handle(start_event(length="short"))
    assert replies[-1].kind is ReplyKind.SUMMARY
    question = await engine.handle(do(Command.BEGIN))
    assert question[-1].kind is ReplyKind.QUESTION
    return replies[-1].session_id


async def test_a_held_session_is_refused_unchanged_and_taken_over_after_close(pair: Pair) -> None:
    first, second = await pair.engine("proc-a"), await pair.engine("proc-b")
    session_id = await started(first)
    assert first.claimed == {session_id}
    await first.handle(say())
    before = await first.store.load_session(session_id)
    assert before is not None

    for event in (say("a different answer from the other process"), do(Command.SKIP)):
        replies = await second.handle(event)
        assert [(r.kind, r.text) for r in replies] == [(ReplyKind.NOTICE, BUSY_TEXT)]
    assert await second.current(USER.key, CONV) == []  # the holder speaks for the session
    after = await second.store.load_session(session_id)
    assert after is not None
    assert (after.state, after.cursor, after.turns, after.updated_at) == (
        before.state,
        before.cursor,
        before.turns,
        before.updated_at,
    )
    assert second.claimed == frozenset()

    await first.aclose()  # a clean shutdown gives every session back
    assert first.claimed == frozenset()
    resumed = await second.current(USER.key, CONV)
    assert resumed[-1].kind is ReplyKind.QUESTION
    assert resumed[-1].text.startswith("Picking up where we left off")
    assert (resumed[-1].question_number, resumed[-1].follow_up) == (
        before.cursor + 1,
        before.state == "follow_up",
    )
    assert second.claimed == {session_id}
    replies = await second.handle(say("the second process takes this answer"))
    assert replies[-1].kind is ReplyKind.QUESTION
    stored = await second.store.load_session(session_id)
    assert stored is not None and len(stored.turns) == len(before.turns) + 1
    assert stored.turns[-1].answer == "the second process takes this answer"
    # ...and now the first (back again) is the one refused.
    assert (await first.handle(say()))[0].text == BUSY_TEXT


async def test_finishing_or_cancelling_releases_the_claim(pair: Pair) -> None:
    first, second = await pair.engine("proc-a"), await pair.engine("proc-b")
    session_id = await started(first)
    await first.handle(say())
    replies = await first.handle(do(Command.END))
    assert replies[-1].kind is ReplyKind.RECAP
    assert first.claimed == frozenset()
    # The next interview in the same room can be opened by the other process at once.
    await second.handle(start_event())
    assert len(second.claimed) == 1 and session_id not in second.claimed
    await second.handle(do(Command.CANCEL))
    assert second.claimed == frozenset()
    assert await first.handle(start_event()) and len(first.claimed) == 1


async def test_restart_in_briefing_hands_over_the_new_session_only(pair: Pair) -> None:
    engine = await pair.engine("proc-a")
    await engine.handle(start_event())
    old = set(engine.claimed)
    await engine.handle(start_event())  # START again during the briefing: old one cancelled
    assert len(engine.claimed) == 1 and engine.claimed != old


async def test_idle_claims_are_given_back(pair: Pair) -> None:
    """An interview left open on one process moves to another once its claim has been idle."""
    first = await pair.engine("proc-a", claim_idle_s=0.0)
    second = await pair.engine("proc-b")
    session_id = await started(first)
    other = IncomingEvent.do(USER.__class__("test", "u9"), CONV, Command.START, "x" * 300)
    await first.handle(other)  # any later event sweeps idle claims (not the one in use)
    assert session_id not in first.claimed
    replies = await second.handle(say())
    assert replies[-1].kind is ReplyKind.QUESTION
    assert session_id in second.claimed
