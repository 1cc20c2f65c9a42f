"""The end-of-interview recap: scores with reasons, strengths and improvements from what was said.

Honesty rules: a strength is listed only if the transcript shows it, every quote is the candidate's
own words, and a rewrite suggestion starts from their answer with the missing part marked as a
[slot] rather than invented content.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from statistics import mean

from bot.domain import (
    CompetencyScore,
    DeliverySummary,
    Evaluation,
    Importance,
    Improvement,
    InterviewPlan,
    JobProfile,
    Question,
    Recap,
    Turn,
)
from bot.evaluation.text import HEDGES, AnswerText


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


_HEDGE_RE = re.compile(
    r",?\s*\b(?:" + "|".join(re.escape(h) for h in HEDGES if h != "etc") + r")\b,?",
    re.IGNORECASE,
)
_WE_TO_I = (
    (re.compile(r"\bwe\b"), "I"),
    (re.compile(r"\bWe\b"), "I"),
    (re.compile(r"\bour\b"), "my"),
    (re.compile(r"\bOur\b"), "My"),
    (re.compile(r"\bus\b"), "me"),
)


def _as_i(sentence: str) -> str:
    for pattern, replacement in _WE_TO_I:
        sentence = pattern.sub(replacement, sentence)
    return sentence


def _dehedge(sentence: str) -> str:
    cleaned = _HEDGE_RE.sub("", sentence)
    cleaned = re.sub(r"\s{2,}", " ", cleaned).strip(" ,")
    return cleaned[:1].upper() + cleaned[1:] if cleaned else cleaned


def improvements_for(question: Question, evaluation: Evaluation, answer: str) -> list[Improvement]:
    """Every improvement this answer warrants, most important first.

    Each rewrite starts from the candidate's own sentences and marks what they must supply as a
    [slot]: we show the shape of a better answer without inventing what they did.
    """
    text = AnswerText(answer)
    sentences = [s.text for s in text.sentences]
    area = question.competency
    if evaluation.skipped:
        return [
            Improvement(
                area=area,
                advice=f"You skipped “{question.text}”. Prepare one story or explanation for it; "
                + (f"hint: {question.hint}" if question.hint else "practise it aloud once."),
            )
        ]
    score = evaluation.score or 0
    found: list[Improvement] = []
    relevance = next((c for c in evaluation.criteria if c.criterion == "Relevance"), None)
    if relevance is not None and relevance.note.startswith("Off the question"):
        # Rewriting an off-topic answer would polish the wrong thing: point back at the question.
        return [
            Improvement(
                area=area,
                advice="Answer the question that was asked; the interviewer could not score "
                "your answer against it.",
                rewrite=f"[Open with a one-sentence direct answer to: {question.text}]",
            )
        ]
    star = evaluation.star
    if text.word_count < 20:
        found.append(
            Improvement(
                area=area,
                advice="Give the interviewer enough to score: one real example, what you did, "
                "and how it ended, in four to six sentences.",
                rewrite=f"{answer.strip()} [Then: the situation in one sentence; the two or three "
                "things you did; the result, with a number.]",
            )
        )
    if star is not None and text.first_person == 0 and text.we_count > 0:
        we_sentence = next(
            (s for s in sentences if re.search(r"\b(?:we|our)\b", s, re.I)), sentences[0]
        )
        found.append(
            Improvement(
                area=area,
                advice="Say what *you* did. Interviewers score your actions, not the team's: "
                "use “I” for your own part.",
                rewrite=f"{_as_i(we_sentence)} [Keep “I” only for what was really you.]",
            )
        )
    if star is not None and not star.action:
        opener = sentences[0] if sentences else ""
        found.append(
            Improvement(
                area=area,
                advice="Say what *you* did, step by step: the actions are most of the score.",
                rewrite=f"{opener} I personally [the two or three steps you took, in order].".strip(),
            )
        )
    if star is not None and not star.result:
        closer = sentences[-1] if sentences else ""
        found.append(
            Improvement(
                area=area,
                advice="Finish with the result, measured if you can: time saved, errors cut, "
                "customers helped, what you learned.",
                rewrite=f"{closer} As a result, [the outcome, with a number].".strip(),
            )
        )
    if evaluation.missed_points and score < 4:
        missing = evaluation.missed_points[:2]
        found.append(
            Improvement(
                area=area,
                advice="Cover what the interviewer listens for: " + "; ".join(missing) + ".",
                rewrite=(f"{sentences[0]} " if sentences else "")
                + f"[One sentence on: {missing[0].rstrip('.').lower()}].",
            )
        )
    if text.vague_claims and len(text.numbers) < 2 and score < 4.5:
        claim = text.vague_claims[0].text
        found.append(
            Improvement(
                area=area,
                advice="Back the claim with a figure: “better” or “a lot” is not evidence.",
                rewrite=f"{claim.rstrip('.!?')} [by how much: from what to what, over how long].",
            )
        )
    elif not text.numbers and score < 4 and star is not None:
        sentence = sentences[0] if sentences else ""
        found.append(
            Improvement(
                area=area,
                advice="Make it concrete: a number, a name, a date turns a claim into evidence.",
                rewrite=f"{sentence} [For example: how much, how many, how fast.]".strip(),
            )
        )
    reasoning = next((c for c in evaluation.criteria if c.criterion == "Reasoning"), None)
    if reasoning is not None and reasoning.score < 3 and sentences:
        found.append(
            Improvement(
                area=area,
                advice="Say why, not just what: the trade-off and when you would choose otherwise.",
                rewrite=f"{sentences[0]} I'd choose this because [reason]; the cost is [trade-off], "
                "and I'd do it differently when [condition].",
            )
        )
    if text.hedges:
        hedged = next((s for s in sentences if any(h in s.lower() for h in text.hedges)), None)
        found.append(
            Improvement(
                area=area,
                advice="Drop the hedging (" + ", ".join(text.hedges) + "): state what you did "
                "and what you know plainly.",
                rewrite=_dehedge(hedged) if hedged else "",
            )
        )
    return found


def _strengths(question: Question, evaluation: Evaluation, answer: str) -> list[str]:
    """What this answer did well, each with the candidate's own words as proof."""
    if evaluation.score is None:
        return []
    text = AnswerText(answer)
    quote = f" — you said “{evaluation.evidence[0]}”" if evaluation.evidence else ""
    found: list[str] = []
    if evaluation.score >= 3.5:
        if evaluation.star is not None and not evaluation.star.missing:
            what = "a complete STAR story (situation, task, your action, the result)"
        elif evaluation.covered_points:
            what = "covered " + ", ".join(
                p.rstrip(".").lower() for p in evaluation.covered_points[:2]
            )
        else:
            what = "a clear, relevant answer"
        found.append(f"{question.competency}: {what}{quote}")
    numbered = next((s.text for s in text.sentences if any(c.isdigit() for c in s.text)), None)
    if numbered is not None and evaluation.score >= 2.5:
        found.append(f"{question.competency}: you backed it with a figure — “{numbered}”")
    return found


def build_recap(
    profile: JobProfile,
    plan: InterviewPlan,
    turns: Sequence[Turn],
    *,
    focusable: Collection[str] | None = None,
) -> Recap:
    """The recap; ``focusable`` (casefolded names the planner can serve) keeps ``next_focus`` to
    entries a "focus" re-plan can act on, so the offered action never silently does nothing."""
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
        capped = [e for _, e in items if e.hints_used]
        if capped:
            hints = sum(e.hints_used for e in capped)
            anchor += (
                f" ({hints} hint(s) used: scored out of {min(e.ceiling for e in capped):g} "
                "on that question)"
            )
        competencies.append(
            CompetencyScore(name=name, score=score, evidence=evidence, anchor=anchor)
        )

    scored = [e.score for e in evaluations.values() if e.score is not None]
    overall = _round(mean(scored)) if scored else None

    ranked = sorted(evaluations.items(), key=lambda kv: -(kv[1].score or 0))
    strengths: list[str] = []
    for index, evaluation in ranked:
        for strength in _strengths(plan.questions[index], evaluation, answers.get(index, "")):
            area = strength.split(":", 1)[0]
            if not any(s.startswith(area + ":") for s in strengths):
                strengths.append(strength)
    if len(strengths) < 3:
        # Fewer than three areas shone: a second strength from the same area is still honest.
        for index, evaluation in ranked:
            for strength in _strengths(plan.questions[index], evaluation, answers.get(index, "")):
                if strength not in strengths:
                    strengths.append(strength)
    strengths = strengths[:3]

    # Worst answers first; one improvement per area, then a second per area if fewer than three.
    worst_first = sorted(evaluations.items(), key=lambda kv: (kv[1].score or 0, kv[0]))
    candidates = [
        item
        for index, evaluation in worst_first
        for item in improvements_for(plan.questions[index], evaluation, answers.get(index, ""))
    ]
    improvements: list[Improvement] = []
    for item in candidates:
        if len(improvements) < 3 and all(i.area != item.area for i in improvements):
            improvements.append(item)
    for item in candidates:
        if len(improvements) < 3 and item not in improvements:
            improvements.append(item)

    all_answers = AnswerText("\n".join(answers.values()))
    technical = profile.technical_skills
    covered = [s.name for s in technical if all_answers.contains(s.name)]
    not_covered = [
        s.name for s in technical if s.name not in covered and s.importance is Importance.REQUIRED
    ]

    def servable(name: str) -> bool:
        return focusable is None or name.casefold() in focusable

    weakest = [
        c.name
        for c in sorted(competencies, key=lambda c: c.score or 0)
        if (c.score is None or c.score < 3.5) and servable(c.name)
    ][:2]
    untested = [s for s in not_covered if servable(s)]
    next_focus = tuple(dict.fromkeys([*weakest, *untested[:1]]))

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
        delivery=delivery_summary(turns),
    )


# Pace most listeners follow comfortably in an interview, and the filler rate above which they
# start to notice (coaching rules of thumb; a few "um"s a minute are normal speech).
PACE_SLOW_WPM = 110.0
PACE_FAST_WPM = 170.0
FILLERS_NOTICEABLE_PER_MIN = 3.0
LONG_PAUSES_NOTICEABLE = 3


def delivery_summary(turns: Sequence[Turn]) -> DeliverySummary | None:
    """Pace, fillers and pauses over the spoken answers, weighted by speaking time, with concrete
    advice only where something is off; ``None`` when no answer was spoken."""
    spoken = [t.delivery for t in turns if t.delivery is not None and t.delivery.words > 0]
    if not spoken:
        return None
    minutes = sum(d.speaking_s for d in spoken) / 60 or 1 / 60
    wpm = round(sum(d.words for d in spoken) / minutes, 1)
    fillers = round(sum(d.fillers for d in spoken) / minutes, 2)
    counts: Counter[str] = Counter()
    for d in spoken:
        counts.update(dict(d.filler_counts))
    top = tuple(f"{word} ×{n}" for word, n in counts.most_common(3))
    pauses = sum(d.long_pauses for d in spoken)
    longest = max(d.longest_pause_s for d in spoken)
    advice: list[str] = []
    if wpm > PACE_FAST_WPM:
        advice.append(
            f"You spoke at about {wpm:.0f} words a minute; around 130–160 is easier to follow. "
            "Slow down on the key point of each answer and pause for a breath after it."
        )
    elif wpm < PACE_SLOW_WPM:
        advice.append(
            f"You spoke at about {wpm:.0f} words a minute, which can sound hesitant. Outline the "
            "answer first (situation, action, result), then say each part in one go."
        )
    if fillers > FILLERS_NOTICEABLE_PER_MIN:
        which = f" ({', '.join(top)})" if top else ""
        advice.append(
            f"{fillers:.1f} filler words a minute{which}: a silent pause sounds more confident "
            "than “um”. Practise one answer aloud, pausing where a filler would go."
        )
    if pauses >= LONG_PAUSES_NOTICEABLE:
        advice.append(
            f"{pauses} long pauses (the longest {longest:.1f} s). Thinking is fine: say “let me "
            "think for a moment” so the silence is yours, then give the headline first."
        )
    return DeliverySummary(
        answers=len(spoken),
        words_per_minute=wpm,
        fillers_per_minute=fillers,
        top_fillers=top,
        long_pauses=pauses,
        longest_pause_s=longest,
        advice=tuple(advice),
    )
