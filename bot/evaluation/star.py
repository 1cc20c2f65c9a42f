"""Situation / Task / Action / Result detection, sentence by sentence.

Lexical cues rather than a model: they are explainable to the candidate ("I could not find a result")
and deterministic. Each part records the sentence that showed it, so feedback can quote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import StarParts
from bot.evaluation.text import AnswerText, Sentence

_SITUATION = re.compile(
    r"\b(?:when i was|at my (?:last|previous|current)|in my (?:last|previous|current|first)|"
    r"last (?:year|month|quarter|summer)|a few (?:years|months) ago|(?:in|back in) (?:19|20)\d\d|"
    r"we had|there was|our team|the team|the project|a project|one time|once,|at the time|"
    r"during (?:my|a|the|our)|while (?:i was|working)|working (?:at|on|as)|the situation)\b",
    re.IGNORECASE,
)
_TASK = re.compile(
    r"\b(?:my (?:goal|task|job|role|responsibility)|i was (?:responsible|asked|tasked|in charge)|"
    r"i (?:needed|had) to|we (?:needed|had) to|needed to|had to|the goal|the challenge|"
    r"the problem was|the aim|was supposed to|deadline|objective)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\bi (?:then |first |quickly |personally |also |eventually )?(?:"
    r"\w+ed|built|wrote|led|set|ran|made|took|began|sent|met|spoke|drew|chose|found|brought|"
    r"rewrote|split|put|got|gave|taught|bought|sought|sat|held|kept|cut|did|went|decided|"
    r"organi[sz]ed|analy[sz]ed|proposed|created|designed|implemented|introduced|fixed|talked|"
    r"scheduled|reached out|pushed|asked|started|worked|moved|added|reviewed|measured|tested|"
    r"migrated|refactored|wrote|coached|mentored|negotiated|escalated|documented|prioriti[sz]ed)\b",
    re.IGNORECASE,
)
_RESULT = re.compile(
    r"\b(?:as a result|resulted|result was|in the end|eventually|outcome|which meant|that meant|"
    r"so that|this (?:led|reduced|increased|improved|saved|cut)|reduc\w*|increas\w*|improv\w*|"
    r"sav(?:ed|ing)|cut (?:the|our)|shipped|launched|delivered|on time|finished|succeeded|"
    r"learned|learnt|lesson|since then|feedback was|promoted|praised|went (?:down|up)|"
    r"dropped|fell|fewer|faster|stopped (?:failing|happening))\b|\d+\s*%",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class StarReading:
    parts: StarParts
    sentences: dict[str, Sentence]

    @property
    def completeness(self) -> float:
        found = 4 - len(self.parts.missing)
        return found / 4


def read_star(answer: AnswerText) -> StarReading:
    found: dict[str, Sentence] = {}
    for sentence in answer.sentences:
        for part, pattern in (
            ("situation", _SITUATION),
            ("task", _TASK),
            ("action", _ACTION),
            ("result", _RESULT),
        ):
            if part not in found and pattern.search(sentence.text):
                found[part] = sentence
    parts = StarParts(
        situation="situation" in found,
        task="task" in found,
        action="action" in found,
        result="result" in found,
    )
    return StarReading(parts, found)
