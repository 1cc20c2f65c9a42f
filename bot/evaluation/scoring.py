"""Offline, explainable grading of one answer against its question's rubric.

Each criterion gets a 1-5 score and a note that says why, and the overall score is a weighted blend.
Weights differ by question type: a behavioural answer lives or dies by its STAR structure, a technical
one by covering the expected talking points. Every quote is an exact sentence of the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import CriterionNote, Evaluation, Question, QuestionType
from bot.evaluation.star import StarReading, read_star
from bot.evaluation.text import AnswerText, Sentence, content_words

STAR_TYPES = frozenset({QuestionType.BEHAVIOURAL, QuestionType.SCENARIO, QuestionType.ROLE})
# "Tell me about a time..." asks for a past story (graded on STAR); "What would you do..." asks for
# an approach, where demanding a past situation and a measured result would punish a good answer.
_STORY_PROMPT = re.compile(
    r"\b(?:tell me about|describe a (?:time|piece|situation)|give (?:me )?an example|"
    r"walk me through (?:one|a) (?:project|time))",
    re.IGNORECASE,
)
_SEQUENCE = (
    "first",
    "then",
    "next",
    "after that",
    "afterwards",
    "finally",
    "before",
    "once ",
    "while ",
    "step",
)
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


def hint_ceiling(hints_used: int) -> float:
    """The best score still reachable after ``hints_used`` hints on a question."""
    return max(MIN_CEILING, 5.0 - HINT_CEILING_STEP * hints_used)


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


def is_story(question: Question) -> bool:
    """True when the question asks for a past example, so STAR structure is what we grade."""
    if question.type is QuestionType.BEHAVIOURAL:
        return True
    return question.type in STAR_TYPES and _STORY_PROMPT.search(question.text) is not None


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
    if is_story(question):
        for part in ("result", "action"):
            if part in star.sentences:
                evidence.append(star.sentences[part])
    for sentence in text.sentences:
        if any(ch.isdigit() for ch in sentence.text):
            evidence.append(sentence)
            break

    skills = tuple(dict.fromkeys(s for s in (*question.skills, *known_skills) if text.contains(s)))
    reasoning = sum(1 for cue in _REASONING if cue in text.lower)

    # Rank candidate quotes by how much they prove (each reason a sentence was picked counts, plus
    # a figure and some substance), keep the best three, then show them in the answer's order.
    weight: dict[int, float] = {}
    unique: dict[int, Sentence] = {}
    for sentence in evidence:
        unique.setdefault(sentence.start, sentence)
        weight[sentence.start] = weight.get(sentence.start, 0.0) + 1.0
    for start, sentence in unique.items():
        weight[start] += any(ch.isdigit() for ch in sentence.text) + min(
            1.0, len(sentence.text.split()) / 15
        )
    best = sorted(unique, key=lambda start: (-weight[start], start))[:3]
    ordered = tuple(unique[k] for k in sorted(best))
    # A story with structure but none of our words may simply be a different, valid example.
    structured = is_story(question) and star.completeness >= 0.5
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


def _clip(text: str, limit: int = 80) -> str:
    """A verbatim prefix of ``text`` for notes (the evidence tuple keeps whole sentences)."""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _star_note(features: AnswerFeatures) -> str:
    star = features.star
    found = [
        f"{part}: “{_clip(star.sentences[part].text, 60)}”"
        for part in ("situation", "task", "action", "result")
        if part in star.sentences
    ]
    missing = star.parts.missing
    head = (
        "Situation, task, action and result all present"
        if not missing
        else f"Missing: {', '.join(missing)}"
    )
    return head + (" — " + "; ".join(found) if found else "")


def evaluate(
    question: Question,
    answer: str,
    *,
    known_skills: Sequence[str] = (),
    hints_used: int = 0,
    features: AnswerFeatures | None = None,
) -> Evaluation:
    """Grade ``answer``; pass ``features`` when the caller already extracted them.

    Criteria, each scored 1-5 with a note that says why:

    * Content: the question's expected talking points (the rubric's anchors, made checkable);
    * Structure (STAR) for past-example questions, Approach (ordered steps and reasons) for
      "what would you do" questions, Reasoning (why, trade-offs) for technical ones;
    * Specificity: figures and named tools; claims of size without a figure count against it;
    * Ownership for stories: "I" rather than only "we";
    * Relevance: overlap with the question's topic, and the job's own skills drawn on.

    A hint lowers the ceiling, and the summary says so, so the recap can explain the cap.
    """
    if features is None or features.answer.text != answer:
        features = extract_features(question, answer, known_skills)
    text = features.answer
    ceiling = hint_ceiling(hints_used)
    star = features.star
    story = is_story(question)
    named = len(features.skills_mentioned)
    vague = len(text.vague_claims)
    # A claim of size is only a weakness when the answer never backs anything with a figure.
    vague_penalty = 0.1 * min(2, vague) if len(text.numbers) < 2 else 0.0
    specificity = max(
        0.0,
        0.5 * min(2, len(text.numbers)) / 2
        + 0.5 * min(2, named + min(1, len(text.proper_nouns) // 2)) / 2
        - vague_penalty,
    )
    if story and text.first_person == 0 and text.we_count > 0:
        ownership = 0.2
    elif text.first_person > 0:
        ownership = 1.0
    else:
        ownership = 0.5
    reasoning = min(1.0, features.reasoning_cues / 2)
    lower = text.lower
    sequence = min(1.0, sum(1 for cue in _SEQUENCE if cue in lower) / 3)
    job_skills_used = [s for s in features.skills_mentioned if s in known_skills]

    notes: list[CriterionNote] = []
    content = features.coverage if question.talking_points else features.relevance
    notes.append(
        CriterionNote(
            criterion="Content",
            score=_scale(content),
            note=(
                f"Covered {len(features.covered)} of {len(question.talking_points)} expected points"
                + (f": {'; '.join(features.covered)}" if features.covered else "")
                + (f". Not covered: {'; '.join(features.missed)}" if features.missed else "")
            ),
        )
    )
    if story:
        structure = star.completeness
        notes.append(
            CriterionNote(
                criterion="Structure (STAR)", score=_scale(structure), note=_star_note(features)
            )
        )
        notes.append(
            CriterionNote(
                criterion="Ownership",
                score=_scale(ownership),
                note=(
                    f"Says “I” {text.first_person} time(s), “we” {text.we_count} time(s)"
                    + (
                        ": say what *you* did, not only the team"
                        if ownership < 1
                        else ": your own part is clear"
                    )
                ),
            )
        )
        raw = (
            0.35 * structure
            + 0.25 * content
            + 0.15 * specificity
            + 0.1 * ownership
            + 0.15 * features.relevance
        )
    elif question.type in STAR_TYPES:
        approach = 0.5 * sequence + 0.5 * reasoning
        notes.append(
            CriterionNote(
                criterion="Approach",
                score=_scale(approach),
                note=("Ordered steps" if sequence >= 0.67 else "Give the steps in order")
                + (
                    " with reasons"
                    if reasoning >= 1
                    else "; say why each step comes first and what you would weigh"
                ),
            )
        )
        raw = 0.45 * content + 0.2 * approach + 0.15 * specificity + 0.2 * features.relevance
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
    vague_note = (
        f"; claim without a figure: “{_clip(text.vague_claims[0].text, 60)}”" if vague else ""
    )
    notes.append(
        CriterionNote(
            criterion="Specificity",
            score=_scale(specificity),
            note=(
                f"{len(text.numbers)} figure(s), named: {', '.join(features.skills_mentioned) or 'none'}"
                + vague_note
                + (f"; hedging: {', '.join(text.hedges)}" if text.hedges else "")
            ),
        )
    )
    notes.append(
        CriterionNote(
            criterion="Relevance",
            score=_scale(features.relevance),
            note=(
                "Off the question"
                if features.off_topic
                else "On the question"
                if features.relevance >= 0.6
                else "Only partly on the question"
            )
            + (
                f"; job skills drawn on: {', '.join(job_skills_used)}"
                if job_skills_used
                else "; no job skills named"
                if known_skills
                else ""
            ),
        )
    )
    raw *= _length_factor(text.word_count)
    raw -= 0.05 * min(2, len(text.hedges))
    if features.off_topic:
        raw = 0.0
    uncapped = _scale(raw)
    score = min(ceiling, uncapped)
    summary = question.rubric.anchor_for(score)
    if hints_used:
        summary += f" (hint used: score capped at {ceiling:g}"
        summary += f", would have been {uncapped:g})" if uncapped > ceiling else ")"
    return Evaluation(
        score=score,
        evidence=tuple(s.text for s in features.evidence_sentences),
        criteria=tuple(notes),
        star=star.parts if story else None,
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
