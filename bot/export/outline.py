"""One session laid out for reading: the structure the share page and the PDF both render.

The Markdown export (``bot.progress.session_markdown``) came first; this mirrors its order and
wording (job, each question with its follow-ups, answers, scores and feedback, then the recap) so
a mentor sees the same thing whichever format the candidate sends. Only what a reader outside
the bot should see goes in: no user ids, no conversation keys, no hidden plan notes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.domain import Recap, SkillKind
from bot.ports import SessionRecord
from bot.progress import when
from bot.render import score_text


@dataclass(frozen=True, slots=True)
class AnswerPart:
    """The main answer to a question, or one follow-up (``follow_up``: the probe asked)."""

    follow_up: str
    answer: str
    skipped: bool
    score: str  # "" when ungraded
    hints_used: int
    feedback: str


@dataclass(frozen=True, slots=True)
class QuestionBlock:
    number: int
    text: str
    parts: tuple[AnswerPart, ...]


@dataclass(frozen=True, slots=True)
class SessionOutline:
    title: str
    facts: tuple[tuple[str, str], ...]  # (label, value): date, level, domain, state, overall
    skills: tuple[str, ...]
    responsibilities: tuple[str, ...]
    questions: tuple[QuestionBlock, ...]
    recap: Recap | None


def outline(record: SessionRecord) -> SessionOutline:
    profile = record.profile
    state = record.state.replace("_", " ")
    facts = [
        ("Date", when(record.created_at)),
        ("Level", profile.level.value),
        ("Domain", profile.domain),
        ("State", state),
        ("Overall", score_text(record.recap.overall) if record.recap else "not scored yet"),
    ]
    by_question: dict[int, list[int]] = defaultdict(list)
    for position, turn in enumerate(record.turns):
        by_question[turn.question_index].append(position)
    blocks: list[QuestionBlock] = []
    for index in sorted(by_question):
        turns = [record.turns[p] for p in by_question[index]]
        parts = []
        for turn in turns:
            evaluation = turn.evaluation
            skipped = evaluation is not None and evaluation.skipped
            parts.append(
                AnswerPart(
                    follow_up=turn.question_text if turn.follow_up else "",
                    answer="" if skipped else (turn.answer or "(no answer)"),
                    skipped=skipped,
                    score="" if evaluation is None or skipped else score_text(evaluation.score),
                    hints_used=0 if evaluation is None else evaluation.hints_used,
                    feedback=""
                    if evaluation is None or skipped
                    else (evaluation.feedback or evaluation.summary),
                )
            )
        blocks.append(QuestionBlock(index + 1, turns[0].question_text, tuple(parts)))
    return SessionOutline(
        title=profile.title,
        facts=tuple(facts),
        skills=tuple(s.name for s in profile.skills if s.kind is not SkillKind.SOFT),
        responsibilities=tuple(profile.responsibilities),
        questions=tuple(blocks),
        recap=record.recap,
    )
