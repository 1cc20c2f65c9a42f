"""What each task must return, as pydantic models; their JSON Schemas go to the server.

Deliberately loose where models are sloppy (unknown keys ignored, lists optional) and strict
where it matters (score range, enumerations): a schema violation costs a repair round-trip, so
only reject what we would have to reject anyway.
"""

from __future__ import annotations

import json
import re
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SkillOut(Loose):
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["language", "framework", "tool", "domain", "soft"] = "tool"
    importance: Literal["required", "preferred", "mentioned"] = "mentioned"
    evidence: str = Field(min_length=1, max_length=300)


class AnalysisOut(Loose):
    title: str = ""
    level: (
        Literal[
            "intern",
            "junior",
            "mid",
            "senior",
            "staff",
            "principal",
            "lead",
            "manager",
            "executive",
        ]
        | None
    ) = None
    level_evidence: str = ""
    skills: list[SkillOut] = Field(default_factory=list, max_length=60)
    responsibilities: list[str] = Field(default_factory=list, max_length=20)
    domain: str = ""
    coding_required: bool = False
    coding_evidence: str = ""


class TalkingPointOut(Loose):
    point: str = Field(min_length=3, max_length=200)
    keywords: list[str] = Field(min_length=1, max_length=8)


class RubricOut(Loose):
    weak: str = Field(min_length=3, max_length=300)
    adequate: str = Field(min_length=3, max_length=300)
    strong: str = Field(min_length=3, max_length=300)


class PlanQuestionOut(Loose):
    slot: int = Field(ge=0)
    text: str = Field(min_length=10, max_length=600)
    hint: str = Field(default="", max_length=300)
    talking_points: list[TalkingPointOut] = Field(min_length=2, max_length=6)
    follow_ups: list[str] = Field(default_factory=list, max_length=4)
    rubric: RubricOut


class PlanOut(Loose):
    questions: list[PlanQuestionOut] = Field(default_factory=list, max_length=20)


class CriterionOut(Loose):
    enough_evidence: bool
    score: int | None = Field(default=None, ge=1, le=5)
    quotes: list[str] = Field(default_factory=list, max_length=5)
    rationale: str = Field(default="", max_length=600)


class FollowUpOut(Loose):
    ask: bool
    kind: str = Field(default="depth", max_length=40)
    anchor: str = Field(default="", max_length=300)
    text: str = Field(default="", max_length=400)


class StrengthOut(Loose):
    competency: str
    text: str = Field(min_length=3, max_length=300)
    quote: str = Field(min_length=3, max_length=400)


class ImprovementOut(Loose):
    competency: str
    advice: str = Field(min_length=3, max_length=500)
    rewrite: str = Field(default="", max_length=600)


class RecapOut(Loose):
    strengths: list[StrengthOut] = Field(default_factory=list, max_length=8)
    improvements: list[ImprovementOut] = Field(default_factory=list, max_length=8)


Model = TypeVar("Model", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class OutputError(ValueError):
    """The model's text is not the JSON we asked for; ``str()`` is fed back in the repair turn."""


def parse_output(text: str, model: type[Model]) -> Model:
    """Defensive parse: tolerate code fences and prose around one JSON object."""
    candidate = text.strip()
    fenced = _FENCE.search(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
    if not candidate.startswith("{"):
        start, end = candidate.find("{"), candidate.rfind("}")
        if start == -1 or end <= start:
            raise OutputError("the reply contains no JSON object")
        candidate = candidate[start : end + 1]
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise OutputError(f"the reply is not valid JSON ({exc.msg} at char {exc.pos})") from exc
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise OutputError(f"the JSON does not match the schema: {problems}") from exc


def schema_of(model: type[BaseModel]) -> dict[str, object]:
    return model.model_json_schema()
