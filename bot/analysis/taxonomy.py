"""Skill and title taxonomy: the shipped JSON files turned into a fast, context-aware matcher.

Matching is token based rather than one giant regex: every surface form is indexed by its first
token, so a scan costs one dict lookup per token of the job description, and the longest form
starting at a token wins ("Spring Boot" over "Spring", "C++" over "C"). Names that are ordinary
English or single letters ("Go", "R", "Spring") only count when the surrounding line reads like
programming, because a wrong skill produces a wrong interview question, which is worse than a
missing one.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import SkillKind
from bot.resources import data_dir

logger = logging.getLogger(__name__)

# Word runs, "++", and the punctuation that is part of names (C#, Node.js, CI/CD, R&D).
# Hyphens and whitespace separate tokens, so "problem-solving" == "problem solving".
_TOKEN_RE = re.compile(r"[^\W_]+|\+\+?|[#.&/]")
# Punctuation that must touch its neighbours: "Node.js" is a name, "Node. JS" is not.
_GLUE = frozenset({".", "#", "+", "++"})
_PUNCT = _GLUE | {"&", "/"}
_TECH_KINDS = frozenset({SkillKind.LANGUAGE, SkillKind.FRAMEWORK, SkillKind.TOOL})
_CONTEXT_SPAN = 14  # tokens either side, within the same line
_SINGLE_LETTER_BAD_NEXT = frozenset("-&'+#")
_SINGLE_LETTER_BAD_PREV = frozenset("-&'.+#")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    low: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    return [
        Token(m.group(), m.group().casefold(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)
    ]


def norm_key(text: str) -> str:
    """The lookup key both the build script and the loader use for names and titles."""
    return " ".join(tok.casefold() for tok in _TOKEN_RE.findall(text))


@dataclass(frozen=True, slots=True)
class SkillEntry:
    name: str
    kind: SkillKind
    source: str
    ambiguous: bool = False
    group: str = ""
    context: tuple[tuple[str, ...], ...] = ()
    reject_next: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class _Form:
    low: tuple[str, ...]
    exact: tuple[str, ...] | None  # set when the case must match, e.g. "Go", "REST"
    entry: int
    needs_context: bool


@dataclass(frozen=True, slots=True)
class SkillMatch:
    """One accepted occurrence; ``text[start:end]`` is the evidence."""

    entry: SkillEntry
    start: int
    end: int
    token_start: int
    token_end: int


@dataclass(frozen=True, slots=True)
class TitleInfo:
    display: str
    occupation: str
    soc_code: str
    job_zone: int


def _tuple_key(text: str) -> tuple[str, ...]:
    return tuple(tok.casefold() for tok in _TOKEN_RE.findall(text))


class Taxonomy:
    """Loaded once per process (see ``load_taxonomy``); immutable after construction."""

    def __init__(self, skills_doc: dict[str, Any], titles_doc: dict[str, Any]) -> None:
        self.attribution: tuple[str, ...] = tuple(skills_doc.get("attribution", ()))
        self.entries: list[SkillEntry] = []
        self._index: dict[str, list[_Form]] = {}
        self._by_name: dict[str, SkillEntry] = {}
        for raw in skills_doc["skills"]:
            self._add_entry(raw)
        for forms in self._index.values():
            forms.sort(key=lambda f: -len(f.low))
        self.domains: dict[str, tuple[tuple[str, ...], ...]] = {
            name: tuple(_tuple_key(w) for w in words)
            for name, words in skills_doc.get("domains", {}).items()
        }
        self.role_families: list[tuple[str, tuple[str, ...]]] = [
            (name, tuple(norm_key(w) for w in words))
            for name, words in titles_doc.get("role_families", [])
        ]
        occupations = titles_doc.get("occupations", [])
        self._titles: dict[str, TitleInfo] = {}
        self._title_lengths: set[int] = set()
        for display, occ in titles_doc.get("titles", {}).items():
            code, occ_title, zone = occupations[occ]
            key = norm_key(display)
            self._titles[key] = TitleInfo(display, occ_title, code, int(zone))
            self._title_lengths.add(key.count(" ") + 1)

    # ------------------------------------------------------------ construction
    def _add_entry(self, raw: dict[str, Any]) -> None:
        try:
            kind = SkillKind(raw["kind"])
        except ValueError:
            logger.warning(
                "skipping skill %r with unknown kind %r", raw.get("name"), raw.get("kind")
            )
            return
        ambiguous = bool(raw.get("ambiguous", False))
        entry = SkillEntry(
            name=raw["name"],
            kind=kind,
            source=raw.get("source", ""),
            ambiguous=ambiguous,
            group=raw.get("group", ""),
            context=tuple(_tuple_key(w) for w in raw.get("context", ())),
            reject_next=tuple(_tuple_key(w) for w in raw.get("reject_next", ())),
        )
        idx = len(self.entries)
        self.entries.append(entry)
        self._by_name.setdefault(entry.name.casefold(), entry)
        cased = list(raw.get("cased", ()))
        if ambiguous:
            case_sensitive = bool(raw.get("case_sensitive", True))
            for form in [entry.name, *raw.get("ambiguous_forms", ())]:
                self._add_form(form, idx, exact=case_sensitive, needs_context=True)
        elif entry.name not in cased:
            self._add_form(entry.name, idx, exact=False, needs_context=False)
        for alias in raw.get("aliases", ()):
            self._add_form(alias, idx, exact=False, needs_context=False)
        for form in cased:
            self._add_form(form, idx, exact=True, needs_context=False)

    def _add_form(self, surface: str, idx: int, *, exact: bool, needs_context: bool) -> None:
        toks = _TOKEN_RE.findall(surface)
        if not toks or all(t in _PUNCT for t in toks):
            return
        low = tuple(t.casefold() for t in toks)
        form = _Form(low, tuple(toks) if exact else None, idx, needs_context)
        self._index.setdefault(low[0], []).append(form)

    # ------------------------------------------------------------ lookups
    def skill(self, name: str) -> SkillEntry | None:
        return self._by_name.get(name.casefold())

    def title(self, phrase: str) -> TitleInfo | None:
        return self._titles.get(norm_key(phrase))

    def find_titles(self, tokens: Sequence[Token]) -> list[tuple[int, int, TitleInfo]]:
        """Known job titles in a token run, longest first at each position, non-overlapping."""
        found: list[tuple[int, int, TitleInfo]] = []
        lengths = sorted(self._title_lengths, reverse=True)
        i = 0
        while i < len(tokens):
            for n in lengths:
                if i + n > len(tokens):
                    continue
                info = self._titles.get(" ".join(t.low for t in tokens[i : i + n]))
                if info is not None:
                    found.append((i, i + n, info))
                    i += n - 1
                    break
            i += 1
        return found

    # ------------------------------------------------------------ skill matching
    def find_skills(self, text: str, tokens: Sequence[Token] | None = None) -> list[SkillMatch]:
        """All accepted, non-overlapping skill occurrences in reading order."""
        toks = list(tokens) if tokens is not None else tokenize(text)
        if not toks:
            return []
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        line_of = [bisect_right(line_starts, t.start) for t in toks]

        # Pass 1: at each token, the longest plain form and (if longer) the longest
        # ambiguous form; ambiguous ones are settled once we know the plain matches around.
        candidates: list[tuple[int, _Form | None, _Form | None]] = []
        for i, tok in enumerate(toks):
            forms = self._index.get(tok.low)
            if not forms:
                continue
            plain: _Form | None = None
            ambiguous: _Form | None = None
            for form in forms:
                if (plain is not None and len(form.low) <= len(plain.low)) or not self._fits(
                    text, toks, i, form
                ):
                    continue
                if form.needs_context:
                    if ambiguous is None and self._plausible(text, toks, i, form):
                        ambiguous = form
                elif plain is None:
                    plain = form
            if ambiguous is not None and plain is not None and len(ambiguous.low) <= len(plain.low):
                ambiguous = None
            if plain is not None or ambiguous is not None:
                candidates.append((i, plain, ambiguous))

        anchors = [
            i
            for i, plain, _ in candidates
            if plain is not None and self.entries[plain.entry].kind in _TECH_KINDS
        ]

        # Pass 2: accept, left to right, without overlaps.
        out: list[SkillMatch] = []
        covered_until = 0
        for i, plain, ambiguous in candidates:
            if i < covered_until:
                continue
            chosen = plain
            if ambiguous is not None and self._has_context(toks, line_of, i, ambiguous, anchors):
                chosen = ambiguous
            if chosen is None:
                continue
            j = i + len(chosen.low)
            out.append(SkillMatch(self.entries[chosen.entry], toks[i].start, toks[j - 1].end, i, j))
            covered_until = j
        return out

    @staticmethod
    def _fits(text: str, toks: Sequence[Token], i: int, form: _Form) -> bool:
        n = len(form.low)
        if i + n > len(toks):
            return False
        for k in range(n):
            tok = toks[i + k]
            if tok.low != form.low[k]:
                return False
            if form.exact is not None and tok.text != form.exact[k]:
                return False
            glued = k and (form.low[k] in _GLUE or form.low[k - 1] in _GLUE)
            if glued and toks[i + k - 1].end != tok.start:
                return False
        # A name must not continue into glue it does not own: "C" in "C++", "Node" in "Node.js".
        end = toks[i + n - 1].end
        return not (
            i + n < len(toks) and toks[i + n].start == end and toks[i + n].low in {"#", "++", "+"}
        )

    @staticmethod
    def _plausible(text: str, toks: Sequence[Token], i: int, form: _Form) -> bool:
        """Cheap rejections that need no context: "C-level", "R&D", "Go to market"."""
        start, end = toks[i].start, toks[i + len(form.low) - 1].end
        if len(form.low) == 1 and len(form.low[0]) == 1:
            nxt = text[end : end + 1]
            if nxt and nxt in _SINGLE_LETTER_BAD_NEXT:
                return False
            if nxt == "." and text[end + 1 : end + 2].isalnum():
                return False
            if start and text[start - 1] in _SINGLE_LETTER_BAD_PREV:
                return False
        return True

    def _has_context(
        self,
        toks: Sequence[Token],
        line_of: Sequence[int],
        i: int,
        form: _Form,
        anchors: Sequence[int],
    ) -> bool:
        entry = self.entries[form.entry]
        j = i + len(form.low)
        following = [t.low for t in toks[j : j + 4]]
        for reject in entry.reject_next:
            if tuple(following[: len(reject)]) == reject:
                return False
        line = line_of[i]
        lo = max(0, i - _CONTEXT_SPAN)
        hi = min(len(toks), j + _CONTEXT_SPAN)
        while lo < i and line_of[lo] != line:
            lo += 1
        while hi > j and line_of[hi - 1] != line:
            hi -= 1
        # Another technical skill on the same line is the strongest hint.
        left = bisect_right(anchors, hi - 1)
        for a in anchors[bisect_right(anchors, lo - 1) : left]:
            if a < i or a >= j:
                return True
        window = [t for k, t in enumerate(toks[lo:hi], start=lo) if k < i or k >= j]
        lows = [t.low for t in window]
        for phrase in entry.context:
            n = len(phrase)
            for k in range(len(lows) - n + 1):
                if tuple(lows[k : k + n]) == phrase:
                    # Short context words ("R", "C") must keep their case to count.
                    if n == 1 and len(phrase[0]) <= 2 and window[k].text != window[k].text.upper():
                        continue
                    return True
        return False


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        doc = json.load(handle)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return doc


@functools.lru_cache(maxsize=4)
def _load(directory: str) -> Taxonomy:
    base = Path(directory)
    return Taxonomy(_read_json(base / "skills.json"), _read_json(base / "titles.json"))


def load_taxonomy(directory: Path | None = None) -> Taxonomy:
    """The shipped taxonomy, parsed once per process and shared (it is read-only)."""
    base = directory if directory is not None else data_dir() / "taxonomy"
    return _load(str(base.resolve()))


def skill_names(matches: Iterable[SkillMatch]) -> list[str]:
    return [m.entry.name for m in matches]
