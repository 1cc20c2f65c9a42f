"""Whether to ask a follow-up, and which: the rules a good human interviewer applies.

Each probe says what it is probing and, where it can, quotes the candidate back to themselves
("You said it got “much faster” — by how much?"), so the follow-up is visibly about *their* answer
rather than a canned prompt, and the candidate learns the pattern. A kind of probe is asked at most
once per question and at most ``MAX_FOLLOW_UPS`` per question, so the bot never nags.

Priority, most useful gap first: off-topic, too short, we-without-I, missing action, missing result,
vague claim, missing context, a named job technology, missing reasoning (technical), a question's
own hook when the expected points are not covered, and finally a general "make it concrete".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import Question, QuestionType
from bot.evaluation.scoring import STAR_TYPES, AnswerFeatures, is_story

MAX_FOLLOW_UPS = 2
# Above this the answer is already strong: only the "you didn't answer" probes still fire.
_GOOD_ENOUGH = 4.5
_SHORT_WORDS = 20


@dataclass(frozen=True, slots=True)
class Probe:
    kind: str
    text: str


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _quote(text: str, limit: int = 70) -> str:
    """A short verbatim excerpt of the candidate's sentence, for quoting back."""
    return "“" + _shorten(text.rstrip(".!?"), limit) + "”"


def _short_probe(question: Question) -> Probe:
    if is_story(question):
        ask = (
            "walk me through one real example: what was going on, what *you* did, and how it "
            "turned out?"
        )
    elif question.type is QuestionType.SYSTEM_DESIGN:
        ask = "sketch the main components, how data flows between them, and what breaks first at scale?"
    elif question.type is QuestionType.CODING:
        ask = "talk me through your approach step by step, and its time and space complexity?"
    elif question.type in STAR_TYPES:
        ask = "take me through what you would do, in order, and why each step comes first?"
    else:
        ask = "explain how it works and why — and where you have used it?"
    return Probe("short", f"That was brief, and I can only score what I hear. Could you {ask}")


def _star_probes(features: AnswerFeatures) -> list[Probe]:
    answer = features.answer
    star = features.star
    probes: list[Probe] = []
    if answer.first_person == 0 and answer.we_count > 0:
        probes.append(
            Probe(
                "ownership",
                f"You said “we” {answer.we_count} time(s) and never “I”. I'm probing your own "
                "contribution: what did *you* personally decide or do?",
            )
        )
    elif not star.parts.action:
        if star.parts.situation:
            probes.append(
                Probe(
                    "action",
                    "You described the situation well — what did *you* do? Take me through your "
                    "steps in order.",
                )
            )
        else:
            probes.append(
                Probe("action", "I'm missing your actions: what did *you* do, step by step?")
            )
    if not star.parts.result:
        lead = (
            "You told me what you did — "
            if star.parts.action
            else "I haven't heard how it ended — "
        )
        probes.append(
            Probe(
                "result",
                lead + "what was the result? What changed, and can you put a number on it?",
            )
        )
    return probes


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
                "I'm not sure that answers what I asked, so let me bring us back to it: "
                f"{_shorten(question.text, 160)}",
            )
        )
    if latest_answer_words < _SHORT_WORDS and not asked_kinds:
        candidates.append(_short_probe(question))
    story = is_story(question)
    if story:
        candidates.extend(_star_probes(features))
    if answer.vague_claims and len(answer.numbers) < 2:
        claim = answer.vague_claims[0]
        candidates.append(
            Probe(
                "vague",
                f"You said {_quote(claim.text)}. How much, exactly — and how did you know? "
                "A number or a before-and-after makes that claim land.",
            )
        )
    if story and not features.star.parts.situation and not features.star.parts.task:
        candidates.append(
            Probe(
                "context",
                "I'm missing the context: where was this, what was at stake, and what were you "
                "responsible for?",
            )
        )
    for skill in features.skills_mentioned:
        if skill in question.skills or skill not in job_skills:
            continue
        candidates.append(
            Probe(
                f"skill:{skill}",
                f"You mentioned {skill}, which this job uses. How exactly did you use it there, why "
                "it rather than an alternative, and what would you do differently with it today?",
            )
        )
        break
    if not story and features.reasoning_cues == 0:
        candidates.append(
            Probe(
                "reasoning",
                "You told me *what* you would do; I'm probing the *why*: what is the trade-off, "
                "and when would you choose differently?",
            )
        )
    if question.follow_ups and features.coverage < 0.5:
        index = rng.randrange(len(question.follow_ups))
        candidates.append(
            Probe(f"hook:{index}", f"Let me dig into one part. {question.follow_ups[index]}")
        )

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
        if probe.kind in {"off_topic", "short"} or score is None or score < _GOOD_ENOUGH:
            return probe
    return None
