"""Whether to ask a follow-up, and which: the rules a good human interviewer applies.

Each probe names what it is probing ("what did *you* do?") so the candidate learns the pattern, and
a kind of probe is asked at most once per question so the bot never nags about the same gap.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import Question
from bot.evaluation.scoring import STAR_TYPES, AnswerFeatures

MAX_FOLLOW_UPS = 2


@dataclass(frozen=True, slots=True)
class Probe:
    kind: str
    text: str


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def decide_follow_up(
    question: Question,
    features: AnswerFeatures,
    *,
    latest_answer_words: int,
    asked_kinds: Sequence[str],
    score: float | None,
    job_skills: Sequence[str] = (),
    rng: random.Random | None = None,
) -> Probe | None:
    """The next probe for this question, or ``None`` to move on."""
    if len(asked_kinds) >= MAX_FOLLOW_UPS:
        return None
    rng = rng or random.Random(0)
    asked = set(asked_kinds)
    answer = features.answer
    candidates: list[Probe] = []

    if features.off_topic and answer.word_count >= 8:
        candidates.append(
            Probe(
                "off_topic",
                "I'm not sure that answers what I asked. Let me bring us back: "
                f"{_shorten(question.text, 160)}",
            )
        )
    if latest_answer_words < 20 and not asked_kinds:
        candidates.append(
            Probe(
                "short",
                "That was quite brief. Could you take me through it in more detail — "
                "what happened, what you did and why?",
            )
        )
    if question.type in STAR_TYPES:
        star = features.star
        if answer.first_person == 0 and answer.we_count > 0:
            candidates.append(
                Probe(
                    "ownership",
                    "You've told me what the team did — what was *your* part? What did you personally "
                    "decide or do?",
                )
            )
        elif not star.parts.action:
            ask = "what did *you* actually do, step by step?"
            text = f"You set the scene well — {ask}" if star.parts.situation else ask.capitalize()
            candidates.append(Probe("action", text))
        if not star.parts.result:
            candidates.append(
                Probe(
                    "result",
                    "How did it turn out? What was the result — and can you put a number on it?",
                )
            )
        if not star.parts.situation and not star.parts.task:
            candidates.append(
                Probe(
                    "context",
                    "Set the scene for me: where was this, and what was at stake for you?",
                )
            )
    for skill in features.skills_mentioned:
        if skill in question.skills or skill not in job_skills:
            continue
        candidates.append(
            Probe(
                f"skill:{skill}",
                f"You mentioned {skill}. How exactly did you use it there, and what would you do "
                "differently with it today?",
            )
        )
        break
    if question.follow_ups and features.coverage < 0.5:
        index = rng.randrange(len(question.follow_ups))
        candidates.append(Probe(f"hook:{index}", question.follow_ups[index]))

    concrete = bool(answer.numbers or features.skills_mentioned) or len(answer.proper_nouns) >= 2
    if not concrete and (question.type in STAR_TYPES or answer.hedges):
        candidates.append(
            Probe(
                "specific",
                "That's still fairly general. Can you make it concrete — one specific example, with "
                "a number or the name of the tool or person involved?",
            )
        )

    for probe in candidates:
        if probe.kind in asked:
            continue
        if probe.kind in {"off_topic", "short"} or score is None or score < 4.5:
            return probe
    return None
