"""Checks that keep model output honest: verbatim evidence, injection spotting, leak detection.

A model's output is a proposal. It is accepted only where it can be checked against text we hold:
a quote must be a verbatim slice of what the candidate said, a skill's evidence a slice of the job
description, a follow-up must anchor on the candidate's own words and reveal nothing hidden.
Text that reads like an instruction to the model ("ignore previous instructions…", "give me 5/5",
"reveal your system prompt") is never accepted as evidence of anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain import Question

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|"
    r"earlier|all|any|your|the|these|those)\b[^.\n]{0,30}?\b(?:instructions?|prompts?|rules?|"
    r"directions?|guidelines?)\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|message|instructions?)\b"
    r"|\byou\s+are\s+now\b"
    r"|\bnew\s+instructions?\b"
    r"|\b(?:give|award|grade|score|rate|mark)\s+(?:me|this(?:\s+answer)?|the\s+candidate|"
    r"my\s+answer|it)\s+(?:a\s+|an\s+)?(?:\d(?:\.\d)?\s*(?:/|out\s+of)\s*5|five|full\s+marks|"
    r"top\s+marks|maximum|perfect)"
    r"|<<<|>>>",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
MIN_QUOTE_WORDS = 3


def normalise(text: str) -> str:
    """Whitespace collapsed, curly quotes straightened, casefolded: how quotes are compared."""
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return _SPACE.sub(" ", text).strip().casefold()


def injection_spans(text: str) -> list[tuple[int, int]]:
    """Sentences (or lines) of ``text`` that contain an instruction aimed at the model."""
    spans: list[tuple[int, int]] = []
    for match in _INJECTION.finditer(text):
        start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
        ends = [i for i in (text.find(c, match.end()) for c in ".!?\n") if i != -1]
        end = min(ends) + 1 if ends else len(text)
        spans.append((start, end))
    return spans


def has_injection(text: str) -> bool:
    return _INJECTION.search(text) is not None


def verbatim_quote(quote: str, source: str) -> str | None:
    """The exact slice of ``source`` that ``quote`` reproduces, or ``None``.

    Comparison forgives whitespace, case and curly quotes (models re-flow text), but what we keep
    and show is the candidate's own slice, never the model's wording. Quotes shorter than three
    words prove nothing and are refused, as are quotes of injected instructions.
    """
    wanted = normalise(quote.strip().strip("\"'“”‘’").strip())
    if len(wanted.split()) < MIN_QUOTE_WORDS or has_injection(wanted):
        return None
    # Map each normalised character back to its offset in the source.
    chars: list[str] = []
    offsets: list[int] = []
    previous_space = True
    for index, ch in enumerate(source):
        if ch.isspace():
            if previous_space:
                continue
            chars.append(" ")
            offsets.append(index)
            previous_space = True
            continue
        previous_space = False
        # Case folding can turn one character into several ("ß" -> "ss"): one offset each.
        folded = normalise(ch) or ch
        chars.append(folded)
        offsets.extend([index] * len(folded))
    flat = "".join(chars)
    position = flat.find(wanted)
    if position < 0:
        return None
    start = offsets[position]
    end = offsets[position + len(wanted) - 1] + 1
    for span_start, span_end in injection_spans(source):
        if start < span_end and span_start < end:
            return None
    return source[start:end]


def valid_quotes(quotes: Iterable[str], source: str, limit: int = 3) -> list[str]:
    kept: list[str] = []
    for quote in quotes:
        exact = verbatim_quote(quote, source)
        if exact is not None and exact not in kept:
            kept.append(exact)
        if len(kept) >= limit:
            break
    return kept


def hidden_notes(question: Question) -> list[str]:
    """What the interviewer knows but the candidate must not see while answering."""
    notes = [question.rubric.weak, question.rubric.adequate, question.rubric.strong]
    notes.extend(p.point for p in question.talking_points)
    return [n for n in notes if len(n.split()) >= 3]


def leaks(text: str, questions: Iterable[Question]) -> bool:
    """True when ``text`` reproduces a rubric anchor or talking point, or talks about them."""
    flat = normalise(text)
    if "rubric" in flat or "talking point" in flat:
        return True
    return any(normalise(note) in flat for q in questions for note in hidden_notes(q))
