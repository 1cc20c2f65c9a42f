"""Offline, explainable grading of one answer against its question's rubric.

Each criterion gets a 1-5 score and a note that says why, and the overall score is a weighted blend.
Weights differ by question type: a behavioural answer lives or dies by its STAR structure, a technical
one by covering the expected talking points. Every quote is an exact sentence of the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import CriterionNote, Evaluation, Question, QuestionType
from bot.evaluation.star import StarReading, read_star
from bot.evaluation.text import AnswerText, Sentence, content_words

STAR_TYPES = frozenset({QuestionType.BEHAVIOURAL, QuestionType.SCENARIO, QuestionType.ROLE})
_REASONING = (
    "because",
    "trade-off",
    "tradeoff",
    "however",
    "instead",
    "depends",
    "whereas",
    "downside",
    "on the other hand",
    "so that",
    "the reason",
    "which means",
    "cost",
)
HINT_CEILING_STEP = 1.0
MIN_CEILING = 2.0


@dataclass(frozen=True, slots=True)
class AnswerFeatures:
    """Everything the scorer and the follow-up rules need, computed once per answer."""

    answer: AnswerText
    covered: tuple[str, ...]
    missed: tuple[str, ...]
    coverage: float
    relevance: float
    star: StarReading
    skills_mentioned: tuple[str, ...]
    reasoning_cues: int
    evidence_sentences: tuple[Sentence, ...]
    off_topic: bool


def _length_factor(word_count: int) -> float:
    if word_count < 8:
        return 0.15
    if word_count < 20:
        return 0.45
    if word_count < 40:
        return 0.75
    if word_count <= 300:
        return 1.0
    return 0.85


def _scale(value: float) -> float:
    """0..1 -> 1..5, rounded to halves so scores don't pretend to more precision than they have."""
    return round((1 + 4 * max(0.0, min(1.0, value))) * 2) / 2


def extract_features(
    question: Question, answer: str, known_skills: Sequence[str] = ()
) -> AnswerFeatures:
    text = AnswerText(answer)
    covered: list[str] = []
    missed: list[str] = []
    evidence: list[Sentence] = []
    for point in question.talking_points:
        hit = next((k for k in point.keywords if text.contains(k)), None)
        if hit is None:
            missed.append(point.point)
            continue
        covered.append(point.point)
        sentence = text.sentence_with(hit)
        if sentence is not None:
            evidence.append(sentence)
    total = len(question.talking_points)
    coverage = len(covered) / total if total else 0.0

    topic = content_words(question.text)
    for point in question.talking_points:
        topic |= {w for k in point.keywords for w in content_words(k)}
    overlap = topic & content_words(answer)
    relevance = min(1.0, len(overlap) / max(1, min(5, len(topic))))

    star = read_star(text)
    if question.type in STAR_TYPES:
        for part in ("result", "action"):
            if part in star.sentences:
                evidence.append(star.sentences[part])
    for sentence in text.sentences:
        if any(ch.isdigit() for ch in sentence.text):
            evidence.append(sentence)
            break

    skills = tuple(dict.fromkeys(s for s in (*question.skills, *known_skills) if text.contains(s)))
    reasoning = sum(1 for cue in _REASONING if cue in text.lower)

    unique: dict[int, Sentence] = {}
    for sentence in evidence:
        unique.setdefault(sentence.start, sentence)
    ordered = tuple(unique[k] for k in sorted(unique))[:3]
    # A story with structure but none of our words may simply be a different, valid example.
    structured = question.type in STAR_TYPES and star.completeness >= 0.5
    off_topic = relevance == 0 and not covered and not structured
    return AnswerFeatures(
        text,
        tuple(covered),
        tuple(missed),
        coverage,
        relevance,
        star,
        skills,
        reasoning,
        ordered,
        off_topic,
    )


def evaluate(
    question: Question,
    answer: str,
    *,
    known_skills: Sequence[str] = (),
    hints_used: int = 0,
    features: AnswerFeatures | None = None,
) -> Evaluation:
    """Grade ``answer``; pass ``features`` when the caller already extracted them."""
    if features is None or features.answer.text != answer:
        features = extract_features(question, answer, known_skills)
    text = features.answer
    ceiling = max(MIN_CEILING, 5.0 - HINT_CEILING_STEP * hints_used)
    star = features.star
    specificity = (
        0.5 * min(2, len(text.numbers)) / 2 + 0.5 * min(2, len(features.skills_mentioned)) / 2
    )
    if question.type in STAR_TYPES and text.first_person == 0 and text.we_count > 0:
        ownership = 0.2
    elif text.first_person > 0:
        ownership = 1.0
    else:
        ownership = 0.5
    reasoning = min(1.0, features.reasoning_cues / 2)

    notes: list[CriterionNote] = []
    content = features.coverage if question.talking_points else features.relevance
    notes.append(
        CriterionNote(
            criterion="Content",
            score=_scale(content),
            note=(
                f"Covered {len(features.covered)} of {len(question.talking_points)} expected points"
                + (f"; not covered: {'; '.join(features.missed)}" if features.missed else "")
            ),
        )
    )
    if question.type in STAR_TYPES:
        structure = star.completeness
        missing = star.parts.missing
        notes.append(
            CriterionNote(
                criterion="Structure (STAR)",
                score=_scale(structure),
                note="Situation, task, action and result all present"
                if not missing
                else f"Missing: {', '.join(missing)}",
            )
        )
        raw = (
            0.35 * structure
            + 0.25 * content
            + 0.15 * specificity
            + 0.1 * ownership
            + 0.15 * features.relevance
        )
    else:
        notes.append(
            CriterionNote(
                criterion="Reasoning",
                score=_scale(reasoning),
                note="Explains why and weighs trade-offs"
                if reasoning >= 1
                else "Say why: trade-offs, alternatives, when you would choose otherwise",
            )
        )
        raw = 0.5 * content + 0.15 * specificity + 0.15 * reasoning + 0.2 * features.relevance
    notes.append(
        CriterionNote(
            criterion="Specificity",
            score=_scale(specificity),
            note=(
                f"{len(text.numbers)} figure(s), named: {', '.join(features.skills_mentioned) or 'none'}"
                + (f"; hedging: {', '.join(text.hedges)}" if text.hedges else "")
            ),
        )
    )
    raw *= _length_factor(text.word_count)
    raw -= 0.05 * min(2, len(text.hedges))
    if features.off_topic:
        raw = 0.0
    score = min(ceiling, _scale(raw))
    summary = question.rubric.anchor_for(score)
    if hints_used:
        summary += f" (hint used: score capped at {ceiling:g})"
    return Evaluation(
        score=score,
        evidence=tuple(s.text for s in features.evidence_sentences),
        criteria=tuple(notes),
        star=star.parts if question.type in STAR_TYPES else None,
        covered_points=features.covered,
        missed_points=features.missed,
        skills_mentioned=features.skills_mentioned,
        hints_used=hints_used,
        ceiling=ceiling,
        summary=summary,
    )


def skipped(hints_used: int = 0) -> Evaluation:
    return Evaluation(
        score=None, skipped=True, hints_used=hints_used, summary="Skipped: no answer to grade."
    )
