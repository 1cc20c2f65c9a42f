"""The interviewer's judgement, behind one seam: analyse, plan, grade, follow up, recap.

The engine owns flow and state; a ``Brain`` owns every decision that could be made by rules or by a
model. ``OfflineBrain`` is the deterministic, no-network floor; an LLM-backed brain wraps it and
falls back to it per call, so the interview never depends on a model being up.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import (
    Evaluation,
    InterviewPlan,
    JobProfile,
    PlanOptions,
    Question,
    QuestionType,
    Recap,
    Turn,
)
from bot.evaluation.followup import MAX_FOLLOW_UPS, Probe, decide_follow_up
from bot.evaluation.recap import build_recap
from bot.evaluation.scoring import AnswerFeatures, evaluate, extract_features
from bot.planning.planner import Planner
from bot.sandbox.round import CodingRound

Analyser = Callable[[str], JobProfile | Awaitable[JobProfile]]


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What a grading or follow-up decision may look at for one question."""

    question: Question
    combined_answer: str
    latest_answer: str
    profile: JobProfile
    hints_used: int = 0
    asked_kinds: tuple[str, ...] = ()
    session_id: str = ""
    previous: Evaluation | None = None  # the question's evaluation before this answer


class Brain(Protocol):
    async def analyse(self, text: str) -> JobProfile: ...

    async def plan(
        self, profile: JobProfile, options: PlanOptions, rng: random.Random
    ) -> InterviewPlan: ...

    async def grade(self, context: AnswerContext) -> Evaluation: ...

    async def follow_up(
        self, context: AnswerContext, evaluation: Evaluation, rng: random.Random
    ) -> Probe | None: ...

    async def recap(
        self, profile: JobProfile, plan: InterviewPlan, turns: Sequence[Turn]
    ) -> Recap: ...

    async def usage_note(self, session_id: str) -> str:
        """One line on model usage for this session (tokens, cost), or "" when none."""
        ...


class OfflineBrain:
    """Rules, taxonomy and the question bank: deterministic and always available."""

    def __init__(
        self, analyser: Analyser, planner: Planner, coding: CodingRound | None = None
    ) -> None:
        self.analyser = analyser
        self.planner = planner
        self.coding = coding
        # grade() and follow_up() look at the same answer back to back: extract features once.
        self._features: tuple[tuple[str, str], AnswerFeatures] | None = None

    def features(self, context: AnswerContext) -> AnswerFeatures:
        key = (context.question.id, context.combined_answer)
        if self._features is not None and self._features[0] == key:
            return self._features[1]
        features = extract_features(
            context.question, context.combined_answer, context.profile.skill_names()
        )
        self._features = (key, features)
        return features

    async def analyse(self, text: str) -> JobProfile:
        result = self.analyser(text)
        if isinstance(result, JobProfile):
            return result
        return await result

    async def plan(
        self, profile: JobProfile, options: PlanOptions, rng: random.Random
    ) -> InterviewPlan:
        plan = self.planner.plan(profile, options, rng)
        if self.coding is None:
            return plan
        # With a sandbox, the coding slot becomes a real exercise the candidate can run.
        questions = list(plan.questions)
        for index, question in enumerate(questions):
            if question.type is QuestionType.CODING and not self.coding.owns(question):
                exercise = self.coding.question_for(profile, rng)
                if exercise is not None:
                    questions[index] = exercise
        return plan.model_copy(update={"questions": tuple(questions)})

    async def grade(self, context: AnswerContext) -> Evaluation:
        if self.coding is not None and self.coding.owns(context.question):
            judged = await self.coding.judge_answer(
                context.question, context.latest_answer, context.hints_used
            )
            if judged is not None:
                return judged
            earlier = context.previous
            if earlier is not None and earlier.code_status:
                # Answered in words after a run: the tests' verdict stands, the explanation is
                # noted alongside it.
                spoken = evaluate(
                    context.question,
                    context.latest_answer,
                    known_skills=context.profile.skill_names(),
                    hints_used=context.hints_used,
                )
                return earlier.model_copy(
                    update={
                        "criteria": (*earlier.criteria, *spoken.criteria[:1]),
                        "covered_points": spoken.covered_points,
                        "feedback": "",
                    }
                )
        return evaluate(
            context.question,
            context.combined_answer,
            known_skills=context.profile.skill_names(),
            hints_used=context.hints_used,
            features=self.features(context),
        )

    async def follow_up(
        self, context: AnswerContext, evaluation: Evaluation, rng: random.Random
    ) -> Probe | None:
        if evaluation.code_status:
            return self._code_probe(evaluation, context.asked_kinds)
        return decide_follow_up(
            context.question,
            self.features(context),
            latest_answer_words=len(context.latest_answer.split()),
            asked_kinds=context.asked_kinds,
            score=evaluation.score,
            job_skills=context.profile.skill_names(),
            rng=rng,
        )

    @staticmethod
    def _code_probe(evaluation: Evaluation, asked: Sequence[str]) -> Probe | None:
        """Follow-ups from the actual run: a language or runner problem, the first failure,
        then complexity."""
        if len(asked) >= MAX_FOLLOW_UPS:
            return None
        status = evaluation.code_status
        kind = f"judge:{status}"
        if kind in asked:
            pass
        elif status == "language":
            return Probe(kind, "Please rewrite it in Python or JavaScript, or walk me through it.")
        elif status == "error":
            return Probe(kind, "Walk me through your approach: how does it work, and why?")
        elif status != "accepted" and evaluation.code_follow_ups:
            return Probe(kind, evaluation.code_follow_ups[0])
        if "judge:complexity" not in asked and status in ("accepted", "timeout"):
            return Probe(
                "judge:complexity",
                "What is the time and space complexity of your solution, and could you do better?",
            )
        return None

    async def recap(self, profile: JobProfile, plan: InterviewPlan, turns: Sequence[Turn]) -> Recap:
        return build_recap(profile, plan, turns, focusable=self.planner.focusable())

    async def usage_note(self, session_id: str) -> str:
        return ""
