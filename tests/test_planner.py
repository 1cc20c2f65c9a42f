"""Plans: the right size and mix, the job's required skills first, never the same thing twice."""

from __future__ import annotations

import random

import pytest

from bot.domain import (
    Importance,
    JobProfile,
    Level,
    PlanOptions,
    QuestionType,
    SkillKind,
    SkillMention,
)
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner


def mention(
    name: str, kind: SkillKind = SkillKind.TOOL, importance: Importance = Importance.REQUIRED
) -> SkillMention:
    return SkillMention(
        name=name, kind=kind, importance=importance, evidence=name, start=0, end=len(name)
    )


@pytest.mark.parametrize(("length", "count"), [("short", 5), ("standard", 8), ("long", 12)])
def test_plan_size_and_no_repeats(
    bank: QuestionBank, backend_profile: JobProfile, length: str, count: int
) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions(length=length))
    assert len(plan.questions) == count
    assert len({q.id for q in plan.questions}) == count
    behavioural = [q.competency for q in plan.questions if q.type is QuestionType.BEHAVIOURAL]
    assert len(behavioural) == len(set(behavioural)), "one behavioural question per competency"
    technical = [q.skills for q in plan.questions if q.type is QuestionType.TECHNICAL]
    flat = [s for skills in technical for s in skills]
    assert len(flat) == len(set(flat)), "one technical question per skill"


def test_required_skills_come_first_and_are_covered(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions(length="standard"))
    technical = [q for q in plan.questions if q.type is QuestionType.TECHNICAL]
    tested = [s for q in technical for s in q.skills]
    for required in ("Python", "PostgreSQL", "Kafka"):
        assert required in tested
    assert tested.index("Python") < tested.index("Kafka")


def test_senior_engineer_gets_system_design_and_coding(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions())
    types = {q.type for q in plan.questions}
    assert QuestionType.SYSTEM_DESIGN in types
    assert QuestionType.CODING in types
    no_coding = Planner(bank).plan(backend_profile, PlanOptions(coding="no"))
    assert QuestionType.CODING not in {q.type for q in no_coding.questions}


def test_junior_gets_easier_questions_and_no_system_design(bank: QuestionBank) -> None:
    profile = JobProfile(
        title="Junior Frontend Developer",
        level=Level.JUNIOR,
        role_family="software",
        skills=(mention("JavaScript", SkillKind.LANGUAGE), mention("React")),
    )
    plan = Planner(bank).plan(profile, PlanOptions())
    assert QuestionType.SYSTEM_DESIGN not in {q.type for q in plan.questions}
    technical = [q for q in plan.questions if q.type is QuestionType.TECHNICAL]
    assert technical and all(q.difficulty == 1 for q in technical)


def test_focus_moves_named_skill_to_the_front(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions(length="short", focus=("Docker",)))
    technical = [q for q in plan.questions if q.type is QuestionType.TECHNICAL]
    assert technical[0].skills == ("Docker",)


def test_non_technical_role_gets_role_questions(bank: QuestionBank) -> None:
    families = bank.role_families()
    assert "nursing" in families
    profile = JobProfile(
        title="Registered Nurse",
        level=Level.MID,
        role_family="nursing",
        skills=(mention("communication", SkillKind.SOFT),),
    )
    plan = Planner(bank).plan(profile, PlanOptions())
    types = [q.type for q in plan.questions]
    assert types.count(QuestionType.ROLE) >= 2
    assert QuestionType.SYSTEM_DESIGN not in types and QuestionType.CODING not in types
    assert len(plan.questions) == 8


def test_seed_changes_ties_but_not_coverage(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    planner = Planner(bank)
    plans = [
        planner.plan(backend_profile, PlanOptions(), random.Random(seed)) for seed in range(20)
    ]
    assert len({tuple(q.id for q in p.questions) for p in plans}) > 1
    for plan in plans:
        assert "Python" in {s for q in plan.questions for s in q.skills}
