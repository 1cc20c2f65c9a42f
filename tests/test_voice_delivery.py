"""Delivery metrics travel with a spoken answer into the interview: stored on the turn, summed up
in the recap with advice, written in the JSON report and the rendered recap."""

from __future__ import annotations

import json

from bot.domain import Delivery, Turn
from bot.engine import InterviewEngine
from bot.evaluation.recap import delivery_summary
from bot.events import Command, IncomingEvent, ReplyKind
from bot.ports import Transcript, Word
from bot.render import recap_text
from bot.report import session_json
from bot.speech.answers import spoken_answer
from bot.speech.metrics import delivery_metrics
from bot.store.sqlite import SQLiteStore
from tests.conftest import CONV, USER, start_event

ANSWER = (
    "Um, at my last job I, uh, owned the payments service in Python. Um, I measured latency, "
    "added an index and, uh, cut p95 from 900 ms to 120 ms, which saved the launch."
)


def timed_words(text: str, per_word_s: float = 0.3) -> tuple[Word, ...]:
    """Words at a steady pace (0.3 s each = 200 words a minute)."""
    return tuple(
        Word(w, round(i * per_word_s, 3), round(i * per_word_s + per_word_s * 0.9, 3))
        for i, w in enumerate(text.split())
    )


async def test_spoken_answers_carry_delivery_to_the_recap_and_report(
    engine: InterviewEngine, store: SQLiteStore
) -> None:
    await engine.handle(start_event(auto_begin="yes"))
    answer = spoken_answer(Transcript(ANSWER, timed_words(ANSWER), "en", 10.0, "tiny.en"))
    assert answer.delivery is not None and answer.delivery.fillers == 4
    replies = await engine.handle(IncomingEvent.spoken(USER, CONV, answer.text, answer.delivery))
    assert replies[-1].kind is ReplyKind.QUESTION
    await engine.handle(IncomingEvent.say(USER, CONV, "A typed answer about Python and SQL."))
    replies = await engine.handle(IncomingEvent.do(USER, CONV, Command.END))
    record = (await store.sessions_for_user(USER.key, limit=1))[0]
    assert record.recap is not None
    spoken = [t for t in record.turns if t.delivery is not None]
    assert len(spoken) == 1 and spoken[0].delivery == answer.delivery, "stored with the turn"

    summary = record.recap.delivery
    assert summary is not None and summary.answers == 1
    assert summary.words_per_minute > 170 and summary.fillers_per_minute > 3
    assert any("words a minute" in a for a in summary.advice)
    assert any("filler" in a and "uh ×2" in a for a in summary.advice)

    text = recap_text(record.recap)
    assert "Delivery (1 spoken answer)" in text and "um ×2" in text

    report = json.loads(json.dumps(session_json(record)))
    turns = report["turns"]
    assert turns[0]["delivery"]["filler_counts"] == {"uh": 2, "um": 2}
    assert turns[1]["delivery"] is None, "typed answers have no delivery"
    assert report["delivery"]["advice"] == list(summary.advice)
    assert any(r.kind is ReplyKind.RECAP for r in replies)


def test_calm_delivery_gets_no_advice_and_typed_sessions_no_summary() -> None:
    words = timed_words("I led the migration and we finished two weeks early " * 4, 0.42)
    delivery = delivery_metrics(words).as_delivery()
    turn = Turn(
        seq=0,
        question_index=0,
        question_id="q",
        question_type="technical",
        question_text="Tell me about a project.",
        answer="...",
        delivery=delivery,
    )
    summary = delivery_summary([turn])
    assert summary is not None and summary.advice == ()
    assert 130 < summary.words_per_minute < 160
    assert delivery_summary([turn.model_copy(update={"delivery": None})]) is None
    assert Turn.model_validate_json(turn.model_dump_json()).delivery == delivery


def test_old_turns_without_delivery_still_load() -> None:
    stored = (
        '{"seq": 0, "question_index": 0, "question_id": "q", "question_type": "technical",'
        ' "question_text": "Tell me about a project.", "answer": "x"}'
    )
    assert Turn.model_validate_json(stored).delivery is None
    assert Delivery().words == 0
