"""Domain types shared by every layer of the core.

Pydantic models, because sessions are persisted as JSON and read back after a crash: validation on
load is what turns a corrupted or hand-edited row into a clear error instead of a wrong interview.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuestionType(StrEnum):
    BEHAVIOURAL = "behavioural"
    TECHNICAL = "technical"
    SCENARIO = "scenario"
    SYSTEM_DESIGN = "system_design"
    CODING = "coding"
    ROLE = "role"


class Level(StrEnum):
    INTERN = "intern"
    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    STAFF = "staff"
    PRINCIPAL = "principal"
    LEAD = "lead"
    MANAGER = "manager"
    EXECUTIVE = "executive"


LEVEL_RANK: dict[Level, int] = {
    Level.INTERN: 0,
    Level.JUNIOR: 1,
    Level.MID: 2,
    Level.SENIOR: 3,
    Level.LEAD: 3,
    Level.MANAGER: 3,
    Level.STAFF: 4,
    Level.PRINCIPAL: 5,
    Level.EXECUTIVE: 5,
}


class SkillKind(StrEnum):
    LANGUAGE = "language"
    FRAMEWORK = "framework"
    TOOL = "tool"
    DOMAIN = "domain"
    SOFT = "soft"


class Importance(StrEnum):
    REQUIRED = "required"
    PREFERRED = "preferred"
    MENTIONED = "mentioned"


class SkillMention(Frozen):
    """A skill found in a job description; ``evidence`` is an exact slice of the source text."""

    name: str
    kind: SkillKind
    importance: Importance = Importance.MENTIONED
    evidence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class JobProfile(Frozen):
    title: str
    raw_title: str = ""
    level: Level = Level.MID
    level_evidence: str = ""
    role_family: str = "general"
    skills: tuple[SkillMention, ...] = ()
    responsibilities: tuple[str, ...] = ()
    domain: str = "general"
    coding_required: bool = False
    coding_evidence: str = ""
    seniority_signals: tuple[str, ...] = ()
    years_experience: int | None = None

    def skill_names(self, *, kinds: frozenset[SkillKind] | None = None) -> list[str]:
        return [s.name for s in self.skills if kinds is None or s.kind in kinds]

    @property
    def technical_skills(self) -> list[SkillMention]:
        return [s for s in self.skills if s.kind is not SkillKind.SOFT]

    @property
    def soft_skills(self) -> list[SkillMention]:
        return [s for s in self.skills if s.kind is SkillKind.SOFT]


class TalkingPoint(Frozen):
    """Something a good answer covers; ``keywords`` are matched case-insensitively in the answer."""

    point: str
    keywords: tuple[str, ...] = Field(min_length=1)


class Rubric(Frozen):
    """Behavioural anchors in the structured-interview style: what a 1, a 3 and a 5 answer contain."""

    weak: str = Field(min_length=1)
    adequate: str = Field(min_length=1)
    strong: str = Field(min_length=1)

    def anchor_for(self, score: float) -> str:
        if score < 2.5:
            return self.weak
        if score < 4.0:
            return self.adequate
        return self.strong


class Question(Frozen):
    id: str = Field(pattern=r"^[a-z0-9_.-]+$")
    type: QuestionType
    competency: str
    text: str = Field(min_length=10)
    skills: tuple[str, ...] = ()
    role_families: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()
    difficulty: int = Field(default=2, ge=1, le=3)
    hint: str = ""
    talking_points: tuple[TalkingPoint, ...] = ()
    follow_ups: tuple[str, ...] = ()
    rubric: Rubric


class PlanOptions(Frozen):
    length: str = Field(default="standard", pattern="^(short|standard|long)$")
    coding: str = Field(default="auto", pattern="^(yes|no|auto)$")
    focus: tuple[str, ...] = ()

    @property
    def question_count(self) -> int:
        return {"short": 5, "standard": 8, "long": 12}[self.length]


class InterviewPlan(Frozen):
    questions: tuple[Question, ...]
    options: PlanOptions = PlanOptions()


class StarParts(Frozen):
    situation: bool = False
    task: bool = False
    action: bool = False
    result: bool = False

    @property
    def missing(self) -> list[str]:
        return [
            name for name in ("situation", "task", "action", "result") if not getattr(self, name)
        ]


class CriterionNote(Frozen):
    criterion: str
    score: float = Field(ge=1, le=5)
    note: str


class Evaluation(Frozen):
    """One graded answer. ``evidence`` strings are exact substrings of the candidate's answer."""

    score: float | None = Field(default=None, ge=1, le=5)
    evidence: tuple[str, ...] = ()
    criteria: tuple[CriterionNote, ...] = ()
    star: StarParts | None = None
    covered_points: tuple[str, ...] = ()
    missed_points: tuple[str, ...] = ()
    skills_mentioned: tuple[str, ...] = ()
    hints_used: int = 0
    ceiling: float = 5.0
    skipped: bool = False
    summary: str = ""
    # Said to the candidate right away (e.g. the result of running their code); "" for none.
    feedback: str = ""
    # For code answers judged in the sandbox: the verdict status and the probes it suggests.
    # Stored with the turn, so follow-ups and the score survive a restart.
    code_status: str = ""
    code_follow_ups: tuple[str, ...] = ()


class Delivery(Frozen):
    """How a spoken answer sounded, from the recogniser's word timings (``bot/speech/metrics``).
    Kept with the turn because a voice answer's pace and fillers are feedback the text cannot
    carry; ``None`` on typed answers."""

    words: int = Field(default=0, ge=0)
    speaking_s: float = Field(default=0.0, ge=0)
    words_per_minute: float = Field(default=0.0, ge=0)
    fillers: int = Field(default=0, ge=0)
    fillers_per_minute: float = Field(default=0.0, ge=0)
    filler_counts: tuple[tuple[str, int], ...] = ()
    long_pauses: int = Field(default=0, ge=0)
    longest_pause_s: float = Field(default=0.0, ge=0)


class Turn(Frozen):
    """One question (or follow-up) with the candidate's answer, as stored."""

    seq: int = Field(ge=0)
    question_index: int = Field(ge=0)
    question_id: str
    question_type: QuestionType
    question_text: str
    follow_up: bool = False
    probe: str = ""
    answer: str = ""
    evaluation: Evaluation | None = None
    created_at: float = 0.0
    delivery: Delivery | None = None


class CompetencyScore(Frozen):
    name: str
    score: float | None
    evidence: tuple[str, ...] = ()
    anchor: str = ""


class Improvement(Frozen):
    area: str
    advice: str
    rewrite: str = ""


class DeliverySummary(Frozen):
    """Delivery over the spoken answers of a session, with advice where pace or fillers are off."""

    answers: int = Field(ge=1)
    words_per_minute: float = Field(ge=0)
    fillers_per_minute: float = Field(ge=0)
    top_fillers: tuple[str, ...] = ()
    long_pauses: int = Field(default=0, ge=0)
    longest_pause_s: float = Field(default=0.0, ge=0)
    advice: tuple[str, ...] = ()


class Recap(Frozen):
    overall: float | None
    competencies: tuple[CompetencyScore, ...]
    strengths: tuple[str, ...]
    improvements: tuple[Improvement, ...]
    skills_covered: tuple[str, ...] = ()
    skills_not_covered: tuple[str, ...] = ()
    next_focus: tuple[str, ...] = ()
    questions_answered: int = 0
    questions_total: int = 0
    hints_used: int = 0
    delivery: DeliverySummary | None = None
