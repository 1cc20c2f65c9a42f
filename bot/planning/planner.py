"""JobProfile -> InterviewPlan, offline, from the team's question bank.

The mix follows how real loops are built: engineering roles get technical depth on the job's own
required skills first, system design from mid-level up and a coding round when the job codes;
other roles get role-specific questions; everyone gets behavioural questions on the competencies the
posting asks for. No two questions test the same thing, and randomness (injected) only breaks ties,
so a retake differs while a replay with the same seed is identical.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from bot.domain import (
    LEVEL_RANK,
    Importance,
    InterviewPlan,
    JobProfile,
    PlanOptions,
    Question,
    QuestionType,
    SkillKind,
)
from bot.planning.bank import QuestionBank

ENGINEERING_FAMILIES = frozenset({"software", "data", "devops", "qa", "security"})
SOFT_TO_COMPETENCY: dict[str, str] = {
    "communication": "Communication",
    "teamwork": "Collaboration",
    "collaboration": "Collaboration",
    "leadership": "Leadership",
    "mentoring": "Leadership",
    "stakeholder": "Influence",
    "influenc": "Influence",
    "negotiat": "Influence",
    "problem solving": "Problem Solving",
    "analytical": "Problem Solving",
    "customer": "Customer Focus",
    "time management": "Prioritisation",
    "prioriti": "Prioritisation",
    "organi": "Prioritisation",
    "adaptab": "Adaptability",
    "flexib": "Adaptability",
    "conflict": "Conflict Resolution",
    "learn": "Learning Agility",
    "ownership": "Ownership",
    "initiative": "Ownership",
    "self-motivated": "Ownership",
    "attention to detail": "Ownership",
}
DEFAULT_COMPETENCIES = (
    "Collaboration",
    "Problem Solving",
    "Ownership",
    "Communication",
    "Dealing with Failure",
    "Adaptability",
    "Conflict Resolution",
    "Learning Agility",
    "Prioritisation",
    "Influence",
    "Customer Focus",
    "Leadership",
)


def target_difficulty(profile: JobProfile) -> int:
    rank = LEVEL_RANK[profile.level]
    return 1 if rank <= 1 else 2 if rank == 2 else 3


def _level_ok(question: Question, profile: JobProfile) -> bool:
    return not question.levels or profile.level in question.levels


class Planner:
    def __init__(self, bank: QuestionBank) -> None:
        self.bank = bank

    def _pick(
        self,
        candidates: Iterable[Question],
        profile: JobProfile,
        used: set[str],
        rng: random.Random,
    ) -> Question | None:
        target = target_difficulty(profile)
        pool = [q for q in candidates if q.id not in used]
        if not pool:
            return None
        fitting = [q for q in pool if _level_ok(q, profile)] or pool
        fitting.sort(key=lambda q: (abs(q.difficulty - target), rng.random()))
        return fitting[0]

    def _skill_order(self, profile: JobProfile, focus: Sequence[str]) -> list[str]:
        rank = {Importance.REQUIRED: 0, Importance.PREFERRED: 1, Importance.MENTIONED: 2}
        skills = sorted(
            (s for s in profile.skills if s.kind is not SkillKind.SOFT),
            key=lambda s: (rank[s.importance], s.start),
        )
        names = [
            f
            for f in focus
            if any(q.type is QuestionType.TECHNICAL for q in self.bank.for_skill(f))
        ]
        names += [s.name for s in skills]
        return list(dict.fromkeys(names))

    def _competency_order(self, profile: JobProfile, focus: Sequence[str]) -> list[str]:
        wanted: list[str] = [f for f in focus if f in DEFAULT_COMPETENCIES]
        for skill in profile.soft_skills:
            lowered = skill.name.lower()
            for cue, competency in SOFT_TO_COMPETENCY.items():
                if cue in lowered:
                    wanted.append(competency)
        wanted.extend(DEFAULT_COMPETENCIES)
        return list(dict.fromkeys(wanted))

    def plan(
        self, profile: JobProfile, options: PlanOptions, rng: random.Random | None = None
    ) -> InterviewPlan:
        rng = rng or random.Random(0)
        total = options.question_count
        focus = options.focus
        rank = LEVEL_RANK[profile.level]
        engineering = profile.role_family in ENGINEERING_FAMILIES or profile.coding_required
        used: set[str] = set()
        chosen: dict[str, list[Question]] = {
            k: [] for k in ("opener", "core", "scenario", "design", "coding", "closing")
        }

        def take(section: str, question: Question | None) -> bool:
            if question is None:
                return False
            used.add(question.id)
            chosen[section].append(question)
            return True

        competencies = self._competency_order(profile, focus)
        behavioural_used: set[str] = set()

        def take_behavioural(section: str) -> bool:
            for competency in competencies:
                if competency in behavioural_used:
                    continue
                pool = [
                    q
                    for q in self.bank.of_type(QuestionType.BEHAVIOURAL)
                    if q.competency == competency
                ]
                if take(section, self._pick(pool, profile, used, rng)):
                    behavioural_used.add(competency)
                    return True
            return False

        take_behavioural("opener")

        wants_coding = options.coding == "yes" or (
            options.coding == "auto" and profile.coding_required
        )
        if engineering and wants_coding and total >= 5:
            take("coding", self._pick(self.bank.of_type(QuestionType.CODING), profile, used, rng))
        if engineering and rank >= 2 and total >= 5:
            design_pool = self.bank.of_type(QuestionType.SYSTEM_DESIGN)
            job_skills = set(profile.skill_names())
            preferred = [q for q in design_pool if job_skills & set(q.skills)] or design_pool
            take("design", self._pick(preferred, profile, used, rng))
        if total >= 8:
            take(
                "scenario", self._pick(self.bank.of_type(QuestionType.SCENARIO), profile, used, rng)
            )

        closing_slots = 1 if total >= 5 else 0
        core_slots = (
            total
            - 1
            - closing_slots
            - sum(len(chosen[k]) for k in ("coding", "design", "scenario"))
        )

        role_pool = [
            q
            for q in self.bank.of_type(QuestionType.ROLE)
            if profile.role_family in q.role_families
        ]
        if not engineering and role_pool:
            role_slots = max(1, (core_slots + 1) // 2)
            role_competencies: set[str] = set()
            for _ in range(role_slots):
                fresh = [q for q in role_pool if q.competency not in role_competencies] or role_pool
                question = self._pick(fresh, profile, used, rng)
                if not take("core", question):
                    break
                assert question is not None
                role_competencies.add(question.competency)

        tested_skills: set[str] = set()
        for skill in self._skill_order(profile, focus):
            if len(chosen["core"]) >= core_slots:
                break
            if skill in tested_skills:
                continue
            pool = [q for q in self.bank.for_skill(skill) if q.type is QuestionType.TECHNICAL]
            question = self._pick(pool, profile, used, rng)
            if take("core", question):
                assert question is not None
                tested_skills.update(question.skills)

        while len(chosen["core"]) < core_slots and take_behavioural("core"):
            pass
        if closing_slots:
            take_behavioural("closing")

        ordered = [
            q
            for section in ("opener", "core", "scenario", "design", "coding", "closing")
            for q in chosen[section]
        ]
        if len(ordered) < total:
            extra = [q for q in self.bank.of_type(QuestionType.SCENARIO) if q.id not in used]
            rng.shuffle(extra)
            ordered[-1:-1] = extra[: total - len(ordered)]
        return InterviewPlan(questions=tuple(ordered[:total]), options=options)
