"""Sessions with a recap and hostile text, for the share, access, PDF and browser tests."""

from __future__ import annotations

from bot.domain import (
    CompetencyScore,
    Evaluation,
    Improvement,
    InterviewPlan,
    JobProfile,
    Recap,
    SkillKind,
    SkillMention,
    Turn,
)
from bot.planning.bank import QuestionBank
from bot.ports import Participant, SessionRecord, Store

NOW = 1_800_000_000.0
BEH = "beh.collaboration.cross_team_delivery"
PG = "tech.postgresql.index-types"
# Markup in an answer must come out as text, never as markup.
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def shared_record(
    bank: QuestionBank, sid: str, user: str, *, title: str = "Backend Engineer", secret: str = ""
) -> SessionRecord:
    """A finished session: a main answer with a follow-up, a skipped question, and a recap.
    ``secret`` is put into an answer, to prove what must not leak where."""
    by_id = {q.id: q for q in bank.questions}
    questions = (by_id[BEH], by_id[PG])
    turns = [
        Turn(
            seq=0, question_index=0, question_id=BEH, question_type=questions[0].type,
            question_text=questions[0].text,
            answer=f"I led the migration with three teams. {HOSTILE} {secret}".strip(),
            evaluation=Evaluation(score=3.5, feedback="Clear ownership; add a measured result."),
            created_at=NOW,
        ),
        Turn(
            seq=1, question_index=0, question_id=BEH, question_type=questions[0].type,
            question_text="What changed as a result, in numbers?", follow_up=True, probe="result",
            answer="Deploys went from weekly to daily and incidents halved.",
            evaluation=Evaluation(score=4.0, feedback="Good: a number and a before/after."),
            created_at=NOW + 1,
        ),
        Turn(
            seq=2, question_index=1, question_id=PG, question_type=questions[1].type,
            question_text=questions[1].text, answer="",
            evaluation=Evaluation(skipped=True), created_at=NOW + 2,
        ),
    ]  # fmt: skip
    recap = Recap(
        overall=3.8,
        competencies=(
            CompetencyScore(name="Collaboration", score=4.0, anchor="Names the other teams"),
            CompetencyScore(name="PostgreSQL", score=None),
        ),
        strengths=("Owns cross-team work end to end",),
        improvements=(
            Improvement(area="PostgreSQL", advice="Review index types: B-tree, GIN, BRIN."),
        ),
        skills_not_covered=("Kafka",),
        next_focus=("PostgreSQL",),
        questions_answered=1,
        questions_total=2,
    )
    return SessionRecord(
        id=sid,
        user_key=user,
        conversation_key="cli:local",
        state="finished",
        profile=JobProfile(
            title=title,
            skills=(
                SkillMention(name="PostgreSQL", kind=SkillKind.TOOL, evidence="x", start=0, end=1),
            ),
            responsibilities=("Run the payments API",),
        ),
        plan=InterviewPlan(questions=questions),
        created_at=NOW,
        updated_at=NOW + 3,
        recap=recap,
        turns=turns,
    )


async def save(store: Store, record: SessionRecord) -> None:
    await store.create_session(record)
    for turn in record.turns:
        await store.save_progress(record, turn)


async def invite(store: Store, session_id: str, user_key: str, role: str = "observer") -> None:
    await store.add_participant(Participant(session_id, user_key, role, added_at=NOW))
