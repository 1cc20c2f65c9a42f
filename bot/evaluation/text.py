"""Text features of an answer that the grader and follow-up rules share.

Sentences are kept as exact slices of the answer so that any evidence we quote back to the candidate
is verbatim: the recap must never put words in their mouth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'+#.-]*[A-Za-z+#]|[A-Za-z]")
_NUMBER = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:%|percent|x|k|ms|s|seconds|minutes|hours|days|weeks|months|years|"
    r"users|customers|requests|people|engineers|patients)?\b|\$\d|"
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|dozen|dozens|half)\b",
    re.IGNORECASE,
)
# A capitalised word that does not start a sentence: a name, a product, a place.
_PROPER_NOUN = re.compile(r"(?<![.!?]\s)(?<!^)(?<!\n)\b[A-Z][a-zA-Z0-9+#-]+")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_WE = re.compile(r"\b(?:we|we're|we've|our|us)\b", re.IGNORECASE)
HEDGES = (
    "kind of",
    "sort of",
    "stuff",
    "things like that",
    "etc",
    "and so on",
    "i guess",
    "probably",
    "maybe",
    "i think",
    "basically",
    "something like",
    "whatever",
)
# Claims of size or success that beg "how much?": vague unless the same sentence has a figure.
_VAGUE_CLAIM = re.compile(
    r"\b(?:a lot|lots of|significantly|dramatically|substantially|greatly|hugely|massively|"
    r"(?:much|way|far|a lot) (?:faster|better|quicker|easier|more|less|fewer|smoother)|"
    r"huge|massive|improved (?:a lot|things|performance|reliability|quality)|"
    r"successful(?:ly)?|really well|went well|worked well|"
    r"a (?:big|huge|major) (?:improvement|difference|impact|win|success))\b",
    re.IGNORECASE,
)
STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at for with from by as is are was were be been
    being it its this that these those i you he she we they me my your our their them what which
    who whom how why when where do does did done have has had having can could would should will
    shall may might must not no yes about into over under than too very just also there here
    tell time describe walk through explain would your you're i'm give example some any all more
    most one""".split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    start: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def split_sentences(text: str) -> list[Sentence]:
    """Sentences as exact substrings (stripped) of ``text``, with their offsets."""
    result: list[Sentence] = []
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if len(stripped) < 2:
            continue
        offset = match.start() + raw.index(stripped)
        result.append(Sentence(stripped, offset))
    return result


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 2}


@dataclass(frozen=True)
class AnswerText:
    """An answer with its features computed once."""

    text: str

    @cached_property
    def lower(self) -> str:
        return self.text.lower()

    @cached_property
    def sentences(self) -> list[Sentence]:
        return split_sentences(self.text)

    @cached_property
    def words(self) -> list[str]:
        return words(self.text)

    @property
    def word_count(self) -> int:
        return len(self.words)

    @cached_property
    def numbers(self) -> list[str]:
        return [m.group(0).strip() for m in _NUMBER.finditer(self.text)]

    @cached_property
    def proper_nouns(self) -> list[str]:
        return [m for m in _PROPER_NOUN.findall(self.text) if m not in ("I", "I'm", "I've")]

    @cached_property
    def first_person(self) -> int:
        return len(_FIRST_PERSON.findall(self.text))

    @cached_property
    def we_count(self) -> int:
        return len(_WE.findall(self.text))

    @cached_property
    def hedges(self) -> list[str]:
        return [h for h in HEDGES if re.search(rf"\b{re.escape(h)}\b", self.lower)]

    @cached_property
    def vague_claims(self) -> list[Sentence]:
        """Sentences that claim size or success without a figure in the same sentence."""
        return [
            s for s in self.sentences if _VAGUE_CLAIM.search(s.text) and not _NUMBER.search(s.text)
        ]

    def contains(self, keyword: str) -> bool:
        key = keyword.lower()
        if key.isalnum() and len(key) <= 4:
            return re.search(rf"\b{re.escape(key)}\b", self.lower) is not None
        return key in self.lower

    def sentence_with(self, keyword: str) -> Sentence | None:
        key = keyword.lower()
        for sentence in self.sentences:
            if key in sentence.lower:
                return sentence
        return None
