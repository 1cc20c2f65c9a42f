"""JobProfile -> InterviewPlan, offline, from the team's question bank.

The mix follows how real loops are built: engineering roles get technical depth on the job's own
required skills first, system design from mid-level up and a coding walkthrough only when the
candidate opts in; other roles get role-specific questions; everyone gets behavioural questions on
the competencies the posting asks for. Randomness (injected) only breaks ties, so a retake differs
while a replay with the same seed is identical.

"No two questions test the same thing" is enforced with *themes*: every question has a set of theme
keys (a technical question's skills, a behavioural/scenario/role question's competency, "design",
"coding"), and a theme may be used once - twice only when the candidate asked to focus on it, since
depth on one thing is then the point of the plan.

Coding semantics (``PlanOptions.coding``):

- ``"yes"``: include one coding walkthrough (the candidate asked for it, whatever the job says);
- ``"no"``: never;
- ``"auto"`` (the default): never *silently*: the plan leaves coding out, and the briefing tells a
  candidate whose job codes that they can opt in with ``coding=yes`` (see ``coding_offer``).
  Naming ``coding`` in ``focus`` counts as opting in.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
    "problem-solving": "Problem Solving",
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
# Section order in the finished plan: warm up, then depth, then the big open questions, then close.
# Non-engineering plans put the role-specific questions before the technical ones.
SECTIONS = ("opener", "technical", "role", "more", "scenario", "design", "coding", "closing")
_CODING_WORDS = frozenset({"coding", "code", "coding walkthrough", "algorithms"})
_DESIGN_WORDS = frozenset({"system design", "design", "architecture"})


def target_difficulty(profile: JobProfile) -> int:
    rank = LEVEL_RANK[profile.level]
    return 1 if rank <= 1 else 2 if rank == 2 else 3


def _level_ok(question: Question, profile: JobProfile) -> bool:
    return not question.levels or profile.level in question.levels


def themes(question: Question) -> frozenset[str]:
    """What a question tests; two questions sharing a theme test the same thing."""
    if question.type is QuestionType.TECHNICAL:
        return frozenset(f"skill:{s.casefold()}" for s in question.skills) or frozenset(
            {f"competency:{question.competency.casefold()}"}
        )
    if question.type is QuestionType.SYSTEM_DESIGN:
        return frozenset({"design"})
    if question.type is QuestionType.CODING:
        return frozenset({"coding"})
    return frozenset({f"competency:{question.competency.casefold()}"})


def is_engineering(profile: JobProfile) -> bool:
    """Engineering loop (technical depth, design, coding offer) vs a role-specific loop."""
    return profile.role_family in ENGINEERING_FAMILIES or (
        profile.role_family == "general" and profile.coding_required
    )


def wants_coding(profile: JobProfile, options: PlanOptions) -> bool:
    """Only an explicit opt-in adds coding: ``coding="yes"`` or "coding" named in ``focus``."""
    if options.coding == "no":
        return False
    return options.coding == "yes" or any(f.casefold() in _CODING_WORDS for f in options.focus)


def coding_offer(profile: JobProfile, options: PlanOptions) -> bool:
    """True when the job codes but the plan has no coding round: the briefing should offer one."""
    return (
        profile.coding_required and options.coding == "auto" and not wants_coding(profile, options)
    )


@dataclass
class _Draft:
    """A plan under construction: what is chosen, and which themes are spent."""

    profile: JobProfile
    rng: random.Random
    allowance: dict[str, int]
    used_ids: set[str] = field(default_factory=set)
    theme_use: Counter[str] = field(default_factory=Counter)
    sections: dict[str, list[Question]] = field(
        default_factory=lambda: {name: [] for name in SECTIONS}
    )

    def fits(self, question: Question) -> bool:
        if question.id in self.used_ids:
            return False
        return all(self.theme_use[t] < self.allowance.get(t, 1) for t in themes(question))

    def pick(self, candidates: Iterable[Question]) -> Question | None:
        """The best-fitting unused question: right level, closest difficulty, then chance."""
        pool = [q for q in candidates if self.fits(q)]
        if not pool:
            return None
        target = target_difficulty(self.profile)
        pool.sort(
            key=lambda q: (
                not _level_ok(q, self.profile),
                abs(q.difficulty - target),
                self.rng.random(),
            )
        )
        return pool[0]

    def take(self, section: str, question: Question | None) -> bool:
        if question is None:
            return False
        self.used_ids.add(question.id)
        self.theme_use.update(themes(question))
        self.sections[section].append(question)
        return True

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.sections.values())


class Planner:
    def __init__(self, bank: QuestionBank) -> None:
        self.bank = bank
        self._technical = bank.of_type(QuestionType.TECHNICAL)
        self._tech_skills = {s.casefold(): s for q in self._technical for s in q.skills}
        self._competencies = {
            q.competency.casefold(): q.competency
            for q in bank.questions
            if q.type in (QuestionType.BEHAVIOURAL, QuestionType.SCENARIO, QuestionType.ROLE)
        }

    # ------------------------------------------------------------------ focus
    def focus_skills(self, focus: Sequence[str]) -> list[str]:
        """Focus entries that name a skill the bank has technical questions for (bank spelling)."""
        return list(
            dict.fromkeys(
                self._tech_skills[f.casefold()] for f in focus if f.casefold() in self._tech_skills
            )
        )

    def focus_competencies(self, focus: Sequence[str]) -> list[str]:
        return list(
            dict.fromkeys(
                self._competencies[f.casefold()]
                for f in focus
                if f.casefold() in self._competencies
            )
        )

    def focusable(self) -> frozenset[str]:
        """Every focus entry (casefolded) this bank can build questions for."""
        return frozenset(
            _CODING_WORDS | _DESIGN_WORDS | set(self._tech_skills) | set(self._competencies)
        )

    def unknown_focus(self, focus: Sequence[str]) -> list[str]:
        """Focus entries the bank cannot serve, so a caller can say so instead of ignoring them."""
        known = self.focusable()
        return [f for f in focus if f.casefold() not in known]

    # ------------------------------------------------------------------ ordering
    def skill_order(self, profile: JobProfile, focus: Sequence[str] = ()) -> list[str]:
        """Focus skills, then required, preferred, mentioned - each in posting order."""
        rank = {Importance.REQUIRED: 0, Importance.PREFERRED: 1, Importance.MENTIONED: 2}
        skills = sorted(
            (s for s in profile.skills if s.kind is not SkillKind.SOFT),
            key=lambda s: (rank[s.importance], s.start),
        )
        names = self.focus_skills(focus)
        names += [self._tech_skills.get(s.name.casefold(), s.name) for s in skills]
        return list(dict.fromkeys(names))

    def competency_order(self, profile: JobProfile, focus: Sequence[str] = ()) -> list[str]:
        """Focus competencies, then those the posting's soft skills ask for, then the defaults."""
        wanted: list[str] = self.focus_competencies(focus)
        for skill in profile.soft_skills:
            lowered = skill.name.lower()
            for cue, competency in SOFT_TO_COMPETENCY.items():
                if cue in lowered:
                    wanted.append(competency)
        wanted.extend(DEFAULT_COMPETENCIES)
        return list(dict.fromkeys(wanted))

    def _technical_for(self, skill: str) -> list[Question]:
        wanted = skill.casefold()
        return [q for q in self._technical if any(s.casefold() == wanted for s in q.skills)]

    # ------------------------------------------------------------------ plan
    def plan(
        self, profile: JobProfile, options: PlanOptions, rng: random.Random | None = None
    ) -> InterviewPlan:
        rng = rng or random.Random(0)
        total = options.question_count
        focus = options.focus
        focus_skills = self.focus_skills(focus)
        focus_comps = self.focus_competencies(focus)
        allowance = {f"skill:{s.casefold()}": 2 for s in focus_skills}
        allowance.update({f"competency:{c.casefold()}": 2 for c in focus_comps})
        draft = _Draft(profile, rng, allowance)
        engineering = is_engineering(profile)
        rank = LEVEL_RANK[profile.level]
        role_pool = [
            q
            for q in self.bank.of_type(QuestionType.ROLE)
            if profile.role_family in q.role_families
        ]
        skills = self.skill_order(profile, focus)
        # Skills the bank can actually test, in priority order.
        testable = [s for s in skills if self._technical_for(s)]

        # --- fixed rounds: coding (opt-in only) and system design (mid+ engineering or asked for)
        if wants_coding(profile, options):
            draft.take("coding", draft.pick(self.bank.of_type(QuestionType.CODING)))
        design_asked = any(f.casefold() in _DESIGN_WORDS for f in focus)
        if (engineering and rank >= 2) or design_asked:
            design_pool = self.bank.of_type(QuestionType.SYSTEM_DESIGN)
            job_skills = {s.casefold() for s in skills}
            matching = [q for q in design_pool if job_skills & {s.casefold() for s in q.skills}]
            draft.take("design", draft.pick(matching) or draft.pick(design_pool))

        # --- how many of each kind the remaining slots hold
        behavioural_slots = 1 if total < 8 else 2 if total < 12 else 3
        scenario_slots = 0 if total < 8 else 1 if total < 12 else 2
        remaining = total - draft.count
        if engineering:
            role_slots = 0
            technical_slots = max(0, remaining - behavioural_slots - scenario_slots)
        else:
            role_slots = min(len(role_pool), (total + 1) // 2) if role_pool else 0
            technical_slots = min(len(testable), 1 if total < 8 else 2 if total < 12 else 3)
            technical_slots = max(technical_slots, min(len(focus_skills) * 2, remaining))
            if not role_pool:
                scenario_slots += 1
        technical_slots = min(technical_slots, max(0, remaining - 1))

        # --- technical: focus skills (twice), then required before preferred before mentioned
        for skill in testable:
            repeats = 2 if skill in focus_skills else 1
            for _ in range(repeats):
                if len(draft.sections["technical"]) >= technical_slots:
                    break
                draft.take("technical", draft.pick(self._technical_for(skill)))

        # --- role-specific: focus competencies first, then one per competency
        competencies = self.competency_order(profile, focus)
        focus_keys = {c.casefold() for c in focus_comps}
        focused_role = [q for q in role_pool if q.competency.casefold() in focus_keys]
        for _ in range(role_slots):
            if not draft.take("role", draft.pick(focused_role) or draft.pick(role_pool)):
                break

        # --- scenario and behavioural by competency priority; the rest fills with behavioural
        def by_competency(kind: QuestionType, section: str) -> bool:
            pool = self.bank.of_type(kind)
            for competency in competencies:
                candidates = [q for q in pool if q.competency == competency]
                if draft.take(section, draft.pick(candidates)):
                    return True
            return draft.take(section, draft.pick(pool))

        by_competency(QuestionType.BEHAVIOURAL, "opener")
        for _ in range(scenario_slots):
            by_competency(QuestionType.SCENARIO, "scenario")
        while draft.count < total - 1:
            # Unfilled technical or role slots become behavioural, then scenario, questions.
            if not by_competency(QuestionType.BEHAVIOURAL, "more") and not by_competency(
                QuestionType.SCENARIO, "more"
            ):
                break
        if draft.count < total and not by_competency(QuestionType.BEHAVIOURAL, "closing"):
            by_competency(QuestionType.SCENARIO, "closing")

        order = SECTIONS if engineering else ("opener", "role", *SECTIONS[1:2], *SECTIONS[3:])
        ordered = [q for section in order for q in draft.sections[section]]
        return InterviewPlan(questions=tuple(ordered[:total]), options=options)
