"""People score answers on the bot's own rubric; the recap compares their scores with the bot's.

Observers and the peer interviewer give each answered question a 1-5 score against the same
anchors the bot grades with (the question's rubric: what a 1, a 3 and a 5 answer contain), so a
disagreement means the same yardstick read differently, which is worth talking about. The
candidate may score themselves too; that self-score is shown apart and never averaged in.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.community.errors import CommunityError
from bot.community.participants import CANDIDATE, role_in
from bot.domain import Question
from bot.ports import PeerScore, SessionRecord, Store
from bot.render import score_text

DISAGREEMENT = 1.5  # |bot - people's mean| at or above this is flagged
MAX_NOTE_CHARS = 500
OPEN_STATES = ("asking", "follow_up", "paused", "finished")


def rubric_scale(question: Question) -> list[tuple[int, str]]:
    """The five buttons' meanings: the question's own anchors at 1, 3 and 5, between them at 2
    and 4 (the bot's grader reads anchors the same way: ``Rubric.anchor_for``)."""
    rubric = question.rubric
    return [
        (1, rubric.weak),
        (2, "Between 1 and 3: some of the adequate answer, with gaps."),
        (3, rubric.adequate),
        (4, "Between 3 and 5: most of the strong answer."),
        (5, rubric.strong),
    ]


def scale_text(question: Question) -> str:
    return "\n".join(f"{score} — {anchor}" for score, anchor in rubric_scale(question))


def asked(record: SessionRecord, question_index: int) -> bool:
    """Whether the candidate has been asked question ``question_index`` (0-based) yet."""
    if not 0 <= question_index < len(record.plan.questions):
        return False
    if question_index < record.cursor:
        return True
    return question_index == record.cursor and record.state in ("asking", "follow_up", "paused")


async def record_score(
    store: Store,
    record: SessionRecord,
    *,
    scorer: str,
    question_index: int,
    score: float,
    note: str = "",
    now: float,
) -> PeerScore:
    """Store ``scorer``'s score for one question (scoring again replaces it). Raises
    ``CommunityError`` when the scorer is not in the session, the question was not asked yet, or
    the score is off the 1-5 scale."""
    role = await role_in(store, record, scorer)
    if role is None:
        raise CommunityError(
            "Only the candidate and the people they invited can score this interview."
        )
    if record.state not in OPEN_STATES:
        raise CommunityError("This interview was cancelled, so there is nothing to score.")
    if not asked(record, question_index):
        raise CommunityError("That question hasn't been asked yet.")
    if not 1 <= score <= 5 or (score * 2) != int(score * 2):
        raise CommunityError("Scores go from 1 to 5 (half points allowed).")
    peer = PeerScore(
        session_id=record.id,
        question_index=question_index,
        scorer_key=scorer,
        role=role,
        score=float(score),
        note=note.strip()[:MAX_NOTE_CHARS],
        created_at=now,
    )
    await store.save_peer_score(peer)
    return peer


def bot_scores(record: SessionRecord) -> dict[int, float | None]:
    """The bot's score per question index: the last graded turn of that question (a follow-up
    answer re-grades the whole answer)."""
    scores: dict[int, float | None] = {}
    for turn in record.turns:
        if turn.evaluation is not None:
            scores[turn.question_index] = turn.evaluation.score
    return scores


@dataclass(frozen=True, slots=True)
class QuestionComparison:
    index: int  # 0-based
    question: str
    competency: str
    bot: float | None
    people_mean: float | None
    people: tuple[tuple[str, float], ...]  # (scorer key, score), observers and interviewer
    self_score: float | None
    notes: tuple[str, ...]

    @property
    def difference(self) -> float | None:
        if self.bot is None or self.people_mean is None:
            return None
        return self.people_mean - self.bot

    @property
    def disagree(self) -> bool:
        return self.difference is not None and abs(self.difference) >= DISAGREEMENT


@dataclass(frozen=True, slots=True)
class Comparison:
    rows: tuple[QuestionComparison, ...]

    @property
    def scored(self) -> bool:
        """True when anybody but the bot scored anything (otherwise the recap shows nothing)."""
        return any(r.people or r.self_score is not None for r in self.rows)

    @property
    def disagreements(self) -> list[QuestionComparison]:
        return [r for r in self.rows if r.disagree]


def compare(record: SessionRecord, scores: list[PeerScore]) -> Comparison:
    """Per scored question: the bot's score, the guests' mean, the self-score and a flag when the
    bot and the guests are ``DISAGREEMENT`` or more apart."""
    bot = bot_scores(record)
    rows = []
    for index, question in enumerate(record.plan.questions):
        mine = [s for s in scores if s.question_index == index]
        if not mine and index not in bot:
            continue
        people = tuple((s.scorer_key, s.score) for s in mine if s.role != CANDIDATE)
        own = next((s.score for s in mine if s.role == CANDIDATE), None)
        mean = sum(v for _, v in people) / len(people) if people else None
        rows.append(
            QuestionComparison(
                index=index,
                question=question.text,
                competency=question.competency,
                bot=bot.get(index),
                people_mean=round(mean, 2) if mean is not None else None,
                people=people,
                self_score=own,
                notes=tuple(s.note for s in mine if s.note),
            )
        )
    return Comparison(tuple(rows))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def comparison_markdown(comparison: Comparison) -> str:
    """The recap's "bot vs people" section as Markdown both adapters can show ("" when nobody
    scored). One line per question with a ⚠️ where the bot and the guests disagree."""
    if not comparison.scored:
        return ""
    lines = ["**Bot vs observers** (same rubric, 1–5)"]
    for row in comparison.rows:
        if not row.people and row.self_score is None:
            continue
        people = (
            f"observers {score_text(row.people_mean)} ({len(row.people)})"
            if row.people
            else "observers —"
        )
        own = f" · you {score_text(row.self_score)}" if row.self_score is not None else ""
        flag = ""
        if row.disagree and row.difference is not None:
            direction = "higher" if row.difference > 0 else "lower"
            flag = f" ⚠️ observers {abs(row.difference):.1f} {direction}"
        lines.append(
            f"Q{row.index + 1} {_short(row.question, 60)}: bot {score_text(row.bot)} · "
            f"{people}{own}{flag}"
        )
        lines.extend(f"  › “{_short(note, 200)}”" for note in row.notes[:3])
    disagreements = comparison.disagreements
    if disagreements:
        numbers = ", ".join(f"Q{r.index + 1}" for r in disagreements)
        lines.append(
            f"Worth discussing: {numbers} — the bot and the people who watched read the same "
            "rubric differently."
        )
    else:
        lines.append("The bot and the observers broadly agree.")
    return "\n".join(lines)
