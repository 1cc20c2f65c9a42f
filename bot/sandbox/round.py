"""Coding rounds inside an interview: an exercise as a question, a fenced code answer judged.

The planner's coding slot is a walkthrough question from the bank; when a sandbox is available
the brain swaps it for a team-written exercise the candidate can answer with real code. A code
answer is run against the hidden tests and graded from the verdict (correctness first, then
efficiency); an answer without code is still a valid walkthrough and is graded on the rubric.
Without a working sandbox nothing changes: the walkthrough stays and no code ever runs.
"""

from __future__ import annotations

import json
import logging
import random

from bot.domain import (
    CriterionNote,
    Evaluation,
    JobProfile,
    Question,
    QuestionType,
    Rubric,
    TalkingPoint,
)
from bot.evaluation.scoring import hint_ceiling
from bot.ports import CodeRunner
from bot.sandbox.exercises import JUDGED_LANGUAGES, Exercise, choose, load_bank
from bot.sandbox.extract import from_text
from bot.sandbox.judge import Verdict, judge

log = logging.getLogger(__name__)

PREFIX = "code.ex."
_RUBRIC = Rubric(
    weak="No working code and no clear approach; complexity and edge cases not considered.",
    adequate="A plausible approach or code that passes some tests; complexity or edge cases "
    "partly covered.",
    strong="Correct code that passes the hidden tests, including edge cases and the large input, "
    "with the complexity stated and justified.",
)
_WALKTHROUGH_POINTS = (
    TalkingPoint(
        point="States a concrete approach",
        keywords=(
            "hash",
            "sort",
            "two pointer",
            "stack",
            "queue",
            "dfs",
            "bfs",
            "dynamic program",
            "binary search",
            "loop",
            "iterate",
            "recurs",
        ),
    ),
    TalkingPoint(
        point="Gives the time and space complexity",
        keywords=("o(n", "o(1", "o(log", "linear", "quadratic", "log n", "complexity"),
    ),
    TalkingPoint(
        point="Handles edge cases",
        keywords=("empty", "edge case", "duplicate", "negative", "none", "null", "zero"),
    ),
    TalkingPoint(point="Says how to test it", keywords=("test", "example", "check", "assert")),
)


def _literal(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def exercise_question(exercise: Exercise) -> Question:
    """The exercise as the candidate sees it: statement, signatures, one visible example."""
    example = exercise.examples[0]
    args = ", ".join(_literal(a) for a in example.args)
    signatures = "\n".join(f"  {lang}: {exercise.signatures[lang]}" for lang in JUDGED_LANGUAGES)
    text = (
        f"{exercise.title}. {exercise.statement.strip()}\n\n"
        f"Signatures:\n{signatures}\n"
        f"Example: {exercise.entry['python']}({args}) → {_literal(example.expected)}\n\n"
        "Answer with your code in a fenced block (```python … ``` or ```javascript … ```): "
        "I'll run it against hidden tests. Or walk me through your approach in words."
    )
    return Question(
        id=f"{PREFIX}{exercise.id}",
        type=QuestionType.CODING,
        competency="Coding",
        text=text,
        difficulty=exercise.difficulty,
        hint="Start from the brute force, say its complexity, then look for the structure that "
        "removes the repeated work.",
        talking_points=_WALKTHROUGH_POINTS,
        follow_ups=("What is the time and space complexity, and can you do better?",),
        rubric=_RUBRIC,
    )


def _score(verdict: Verdict) -> float:
    if verdict.status == "accepted":
        return 5.0
    if verdict.status in ("compile_error", "refused") or verdict.total == 0:
        return 1.0
    share = verdict.passed / verdict.total
    # Passing everything but the large input means correct but too slow: a solid 3.5.
    return round((1.0 + 3.0 * share) * 2) / 2


class CodingRound:
    def __init__(self, runner: CodeRunner, exercises: dict[str, Exercise]) -> None:
        self.runner = runner
        self.exercises = exercises

    @classmethod
    def load(cls, runner: CodeRunner) -> CodingRound:
        return cls(runner, load_bank())

    def close(self) -> None:
        """Give back what the runner holds (leased sandbox uids); a pool wraps the runner."""
        inner = getattr(self.runner, "runner", self.runner)
        close = getattr(inner, "close", None)
        if callable(close):
            close()

    @staticmethod
    def owns(question: Question) -> bool:
        return question.id.startswith(PREFIX)

    def question_for(self, profile: JobProfile, rng: random.Random) -> Question | None:
        exercise = choose(self.exercises, level=profile.level.value, seed=rng.randrange(1 << 30))
        return exercise_question(exercise) if exercise is not None else None

    async def judge_answer(
        self, question: Question, answer: str, hints_used: int
    ) -> Evaluation | None:
        """The evaluation of a code answer, or ``None`` when it holds no code (a walkthrough).

        Never raises: a judge failure (a reference timing out under load, a remote executor
        refusing) becomes a "refused" verdict the candidate is told about, and nothing is lost.
        """
        code = from_text(answer)
        exercise = self.exercises.get(question.id.removeprefix(PREFIX))
        if code is None or exercise is None:
            return None
        language = code.language or "python"
        if language not in JUDGED_LANGUAGES:
            text = (
                f"I can run Python and JavaScript answers for this exercise, not {language}. "
                "Rewrite it in one of those, or walk me through it."
            )
            return Evaluation(score=None, summary=text, feedback=text, code_status="language")
        try:
            verdict = await judge(code.code, language, exercise, self.runner)
        except Exception:
            log.exception("judging %s failed", exercise.id)
            text = (
                "I couldn't run your code just now (the code runner had a problem on my side). "
                "Walk me through your approach instead, or send the code again in a moment."
            )
            return Evaluation(score=None, summary=text, feedback=text, code_status="error")
        ceiling = hint_ceiling(hints_used)
        notes = (
            CriterionNote(
                criterion="Correctness",
                score=max(1.0, _score(verdict)),
                note=f"{verdict.passed} of {verdict.total} tests passed ({verdict.status})",
            ),
        )
        feedback = f"I ran your {language} code: {verdict.message}"
        return Evaluation(
            score=min(ceiling, _score(verdict)),
            criteria=notes,
            hints_used=hints_used,
            ceiling=ceiling,
            summary=feedback,
            feedback=feedback,
            code_status=verdict.status,
            code_follow_ups=tuple(verdict.follow_ups),
        )
