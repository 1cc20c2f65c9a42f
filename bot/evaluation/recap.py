"""The end-of-interview recap: scores with reasons, strengths and improvements from what was said.

Honesty rules: a strength is listed only if the transcript shows it, every quote is the candidate's
own words, and a rewrite suggestion starts from their answer with the missing part marked as a
[slot] rather than invented content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from statistics import mean

from bot.domain import (
    CompetencyScore,
    Evaluation,
    Importance,
    Improvement,
    InterviewPlan,
    JobProfile,
    Question,
    Recap,
    Turn,
)
from bot.evaluation.text import AnswerText


def final_evaluations(plan: InterviewPlan, turns: Sequence[Turn]) -> dict[int, Evaluation]:
    """The last evaluation per question: it grades the main answer and its follow-ups together."""
    result: dict[int, Evaluation] = {}
    for turn in turns:
        if turn.evaluation is not None and turn.question_index < len(plan.questions):
            result[turn.question_index] = turn.evaluation
    return result


def answers_by_question(turns: Sequence[Turn]) -> dict[int, str]:
    joined: dict[int, list[str]] = defaultdict(list)
    for turn in turns:
        if turn.answer:
            joined[turn.question_index].append(turn.answer)
    return {k: "\n".join(v) for k, v in joined.items()}


def _round(value: float) -> float:
    return round(value * 10) / 10


def _improvement(question: Question, evaluation: Evaluation, answer: str) -> Improvement | None:
    text = AnswerText(answer)
    sentences = [s.text for s in text.sentences]
    area = question.competency
    if evaluation.skipped:
        return Improvement(
            area=area,
            advice=f"You skipped “{question.text}”. Prepare one story or explanation for it; "
            + (f"hint: {question.hint}" if question.hint else "practise it aloud once."),
        )
    star = evaluation.star
    if star is not None and not star.action:
        opener = sentences[0] if sentences else ""
        return Improvement(
            area=area,
            advice="Say what *you* did. Interviewers score your actions, not the team's.",
            rewrite=f"{opener} I personally [the two or three steps you took, in order].".strip(),
        )
    if star is not None and not star.result:
        closer = sentences[-1] if sentences else ""
        return Improvement(
            area=area,
            advice="Finish with the result, measured if you can: time saved, errors cut, "
            "customers helped, what you learned.",
            rewrite=f"{closer} As a result, [the outcome, with a number].".strip(),
        )
    if evaluation.missed_points and (evaluation.score or 0) < 4:
        missing = evaluation.missed_points[:2]
        return Improvement(
            area=area,
            advice="Cover what the interviewer listens for: " + "; ".join(missing) + ".",
            rewrite=(f"{sentences[0]} " if sentences else "")
            + f"[One sentence on: {missing[0].rstrip('.').lower()}].",
        )
    if not text.numbers and (evaluation.score or 0) < 4:
        sentence = sentences[0] if sentences else ""
        return Improvement(
            area=area,
            advice="Make it concrete: a number, a name, a date turns a claim into evidence.",
            rewrite=f"{sentence} [For example: how much, how many, how fast.]".strip(),
        )
    if text.hedges:
        return Improvement(
            area=area,
            advice="Drop the hedging (" + ", ".join(text.hedges) + "): state what you did "
            "and what you know plainly.",
        )
    return None


def _strength(question: Question, evaluation: Evaluation) -> str | None:
    if evaluation.score is None or evaluation.score < 3.5:
        return None
    quote = f" — you said “{evaluation.evidence[0]}”" if evaluation.evidence else ""
    if evaluation.star is not None and not evaluation.star.missing:
        what = "a complete STAR story (situation, task, your action, the result)"
    elif evaluation.covered_points:
        what = "covered " + ", ".join(p.rstrip(".").lower() for p in evaluation.covered_points[:2])
    else:
        what = "a clear, relevant answer"
    return f"{question.competency}: {what}{quote}"


def build_recap(profile: JobProfile, plan: InterviewPlan, turns: Sequence[Turn]) -> Recap:
    evaluations = final_evaluations(plan, turns)
    answers = answers_by_question(turns)

    by_competency: dict[str, list[tuple[Question, Evaluation]]] = defaultdict(list)
    for index, evaluation in sorted(evaluations.items()):
        question = plan.questions[index]
        by_competency[question.competency].append((question, evaluation))

    competencies: list[CompetencyScore] = []
    for name, items in by_competency.items():
        scores = [e.score for _, e in items if e.score is not None]
        score = _round(mean(scores)) if scores else None
        evidence = tuple(q for _, e in items for q in e.evidence[:2])[:3]
        anchor = items[0][0].rubric.anchor_for(score) if score is not None else "Not answered."
        competencies.append(
            CompetencyScore(name=name, score=score, evidence=evidence, anchor=anchor)
        )

    scored = [e.score for e in evaluations.values() if e.score is not None]
    overall = _round(mean(scored)) if scored else None

    ranked = sorted(evaluations.items(), key=lambda kv: -(kv[1].score or 0))
    strengths = [s for i, e in ranked if (s := _strength(plan.questions[i], e)) is not None][:3]

    improvements: list[Improvement] = []
    seen_areas: set[str] = set()
    for index, evaluation in sorted(evaluations.items(), key=lambda kv: kv[1].score or 0):
        question = plan.questions[index]
        if question.competency in seen_areas:
            continue
        item = _improvement(question, evaluation, answers.get(index, ""))
        if item is not None:
            improvements.append(item)
            seen_areas.add(question.competency)
        if len(improvements) == 3:
            break

    all_answers = AnswerText("\n".join(answers.values()))
    technical = profile.technical_skills
    covered = [s.name for s in technical if all_answers.contains(s.name)]
    not_covered = [
        s.name for s in technical if s.name not in covered and s.importance is Importance.REQUIRED
    ]
    weakest = [
        c.name
        for c in sorted(competencies, key=lambda c: c.score or 0)
        if c.score is None or c.score < 3.5
    ][:2]
    next_focus = tuple(dict.fromkeys([*weakest, *not_covered[:1]]))

    return Recap(
        overall=overall,
        competencies=tuple(competencies),
        strengths=tuple(strengths),
        improvements=tuple(improvements),
        skills_covered=tuple(dict.fromkeys(covered)),
        skills_not_covered=tuple(dict.fromkeys(not_covered)),
        next_focus=next_focus,
        questions_answered=sum(1 for e in evaluations.values() if not e.skipped),
        questions_total=len(plan.questions),
        hints_used=sum(e.hints_used for e in evaluations.values()),
    )
