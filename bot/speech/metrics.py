"""Delivery metrics from word timestamps: pace, filler words and long pauses.

Interview coaches comment on how an answer sounded as well as what it said; these numbers are what
the recap can show for a spoken answer. Pure functions over ``Word``s, so any recogniser works.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import Delivery
from bot.ports import Word

LONG_PAUSE_S = 2.5
FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "erm", "er", "ah", "hmm", "mm", "basically"})
# "you know"/"I mean" are fillers unless they introduce a clause ("you know what happened").
_CLAUSE_WORDS = frozenset(
    [
        "what",
        "how",
        "that",
        "the",
        "a",
        "an",
        "it",
        "why",
        "when",
        "where",
        "who",
        "if",
        "this",
        "those",
        "these",
        "your",
        "my",
    ]
)


@dataclass(frozen=True, slots=True)
class DeliveryMetrics:
    words: int
    speaking_s: float
    words_per_minute: float
    fillers: int
    fillers_per_minute: float
    filler_counts: tuple[tuple[str, int], ...]
    long_pauses: int
    longest_pause_s: float

    def as_delivery(self) -> Delivery:
        """The stored form (``Turn.delivery``), what an adapter hands the engine with the answer."""
        return Delivery(
            words=self.words,
            speaking_s=self.speaking_s,
            words_per_minute=self.words_per_minute,
            fillers=self.fillers,
            fillers_per_minute=self.fillers_per_minute,
            filler_counts=self.filler_counts,
            long_pauses=self.long_pauses,
            longest_pause_s=self.longest_pause_s,
        )

    def summary(self) -> str:
        """One line for a transcript or recap: '142 wpm · 2.1 fillers/min (um ×3) · 1 long pause'."""
        parts = [f"{self.words_per_minute:.0f} wpm"]
        filler = f"{self.fillers_per_minute:.1f} fillers/min"
        if self.filler_counts:
            top = ", ".join(f"{w} ×{n}" for w, n in self.filler_counts[:3])
            filler += f" ({top})"
        parts.append(filler)
        pauses = "1 long pause" if self.long_pauses == 1 else f"{self.long_pauses} long pauses"
        if self.long_pauses:
            pauses += f" (longest {self.longest_pause_s:.1f} s)"
        parts.append(pauses)
        return " · ".join(parts)


def _bare(text: str) -> str:
    return re.sub(r"[^\w']", "", text.lower())


def _fillers(words: Sequence[Word]) -> Counter[str]:
    counts: Counter[str] = Counter()
    bare = [_bare(w.text) for w in words]
    for i, token in enumerate(bare):
        if token in FILLERS:
            counts[token] += 1
        elif token == "like":
            # "like" as a filler is set off by commas or pauses: "it was, like, slow".
            before = words[i - 1].text.rstrip().endswith(",") if i else True
            after = words[i].text.rstrip().endswith(",")
            if before or after:
                counts["like"] += 1
        elif (token, bare[i + 1] if i + 1 < len(bare) else "") in (("you", "know"), ("i", "mean")):
            follower = bare[i + 2] if i + 2 < len(bare) else ""
            if follower not in _CLAUSE_WORDS or words[i + 1].text.rstrip().endswith(","):
                counts[f"{token} {bare[i + 1]}"] += 1
    return counts


def delivery_metrics(
    words: Sequence[Word], *, long_pause_s: float = LONG_PAUSE_S
) -> DeliveryMetrics:
    """Pace over the span from the first word's start to the last word's end (leading and
    trailing silence are not the candidate's pace); pauses are gaps between consecutive words."""
    spoken = [w for w in words if _bare(w.text)]
    if not spoken:
        return DeliveryMetrics(0, 0.0, 0.0, 0, 0.0, (), 0, 0.0)
    span = max(spoken[-1].end - spoken[0].start, 0.001)
    minutes = span / 60
    counts = _fillers(spoken)
    gaps = [b.start - a.end for a, b in itertools.pairwise(spoken)]
    long_gaps = [g for g in gaps if g >= long_pause_s]
    total_fillers = sum(counts.values())
    return DeliveryMetrics(
        words=len(spoken),
        speaking_s=round(span, 2),
        words_per_minute=round(len(spoken) / minutes, 1),
        fillers=total_fillers,
        fillers_per_minute=round(total_fillers / minutes, 2),
        filler_counts=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        long_pauses=len(long_gaps),
        longest_pause_s=round(max(gaps, default=0.0), 2),
    )
