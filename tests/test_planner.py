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
from bot.planning.planner import Planner, coding_offer, themes


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


def test_senior_engineer_gets_system_design_and_coding_only_on_opt_in(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    planner = Planner(bank)
    auto = planner.plan(backend_profile, PlanOptions())
    types = {q.type for q in auto.questions}
    assert QuestionType.SYSTEM_DESIGN in types
    assert QuestionType.CODING not in types, "auto must never add coding silently"
    assert coding_offer(backend_profile, PlanOptions())
    opted = planner.plan(backend_profile, PlanOptions(coding="yes"))
    assert QuestionType.CODING in {q.type for q in opted.questions}
    assert not coding_offer(backend_profile, PlanOptions(coding="yes"))
    asked = planner.plan(backend_profile, PlanOptions(focus=("coding",)))
    assert QuestionType.CODING in {q.type for q in asked.questions}
    no_coding = planner.plan(backend_profile, PlanOptions(coding="no", focus=("coding",)))
    assert QuestionType.CODING not in {q.type for q in no_coding.questions}
    assert not coding_offer(backend_profile, PlanOptions(coding="no"))


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


def test_no_two_questions_share_a_theme_across_many_plans(bank: QuestionBank) -> None:
    """100 plans over varied profiles: no repeated id and no theme tested twice in a plan."""
    planner = Planner(bank)
    families = ["software", "devops", "data", "nursing", "sales", "teaching", "general", "finance"]
    levels = [Level.JUNIOR, Level.MID, Level.SENIOR, Level.STAFF]
    skills = sorted(bank.skills())
    for n in range(100):
        rng = random.Random(n)
        profile = JobProfile(
            title="Role",
            level=levels[n % len(levels)],
            role_family=families[n % len(families)],
            skills=tuple(mention(s) for s in rng.sample(skills, 6)),
            coding_required=n % 2 == 0,
        )
        options = PlanOptions(
            length=("short", "standard", "long")[n % 3], coding=("yes", "auto")[n % 2]
        )
        plan = planner.plan(profile, options, rng)
        ids = [q.id for q in plan.questions]
        assert len(ids) == options.question_count
        assert len(set(ids)) == len(ids)
        seen: set[str] = set()
        for question in plan.questions:
            assert not (themes(question) & seen), (question.id, ids)
            seen |= themes(question)


def test_difficulty_scales_with_level(bank: QuestionBank, backend_profile: JobProfile) -> None:
    def technical_difficulties(level: Level) -> list[int]:
        profile = backend_profile.model_copy(update={"level": level})
        plan = Planner(bank).plan(profile, PlanOptions(length="long"))
        return [q.difficulty for q in plan.questions if q.type is QuestionType.TECHNICAL]

    assert set(technical_difficulties(Level.JUNIOR)) == {1}
    assert set(technical_difficulties(Level.MID)) == {2}
    assert set(technical_difficulties(Level.SENIOR)) == {3}


def test_required_before_preferred(bank: QuestionBank, backend_profile: JobProfile) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions(length="long"))
    tested = [q.skills[0] for q in plan.questions if q.type is QuestionType.TECHNICAL]
    assert tested.index("Kafka") < tested.index("Docker")


def test_focus_on_a_competency_and_a_skill_gives_depth(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    plan = Planner(bank).plan(backend_profile, PlanOptions(focus=("docker", "conflict resolution")))
    technical = [q for q in plan.questions if q.type is QuestionType.TECHNICAL]
    assert [q.skills for q in technical[:2]] == [("Docker",), ("Docker",)]
    assert technical[0].id != technical[1].id
    assert plan.questions[0].competency == "Conflict Resolution"
    assert Planner(bank).unknown_focus(["Docker", "Basket weaving"]) == ["Basket weaving"]


def test_focus_on_a_role_competency(bank: QuestionBank) -> None:
    profile = JobProfile(title="Nurse", level=Level.MID, role_family="nursing")
    plan = Planner(bank).plan(profile, PlanOptions(length="short", focus=("Medication Safety",)))
    role = [q for q in plan.questions if q.type is QuestionType.ROLE]
    assert role[0].competency == "Medication Safety"


def test_non_engineering_role_with_a_tool_gets_one_technical_question(bank: QuestionBank) -> None:
    profile = JobProfile(
        title="Account Executive",
        level=Level.MID,
        role_family="sales",
        skills=(mention("Excel"), mention("Salesforce")),
    )
    plan = Planner(bank).plan(profile, PlanOptions())
    types = [q.type for q in plan.questions]
    assert types.count(QuestionType.ROLE) == 4
    assert 1 <= types.count(QuestionType.TECHNICAL) <= 2
    assert QuestionType.SYSTEM_DESIGN not in types
