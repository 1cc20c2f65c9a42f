"""Normalisation that remembers where every character came from.

Evidence shown to a candidate must quote the posting as it was written, while the analyser wants
tidy text. So each rewrite below is a regex substitution that also carries, for every output
character, the ``[start, end)`` range of the extracted text it stands for. A replaced run maps
to the whole run it replaced; deleted text simply has no output character. Ranges only ever grow
left to right, so any span of the normalised text maps to one contiguous slice of the original.

Page furniture from pasted job-board pages ("Easy Apply", "Show more", cookie banners, "87
applicants") is removed here too, line by line and only on whole-line or whole-segment matches:
deleting a real requirement is worse than leaving a stray "Save".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_Repl = str | Callable[[re.Match[str]], str]


class _Tracked:
    """Text plus the original range behind each character; rewritten in place by ``sub``."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = list(range(len(text)))
        self.ends = list(range(1, len(text) + 1))

    def sub(self, pattern: re.Pattern[str], repl: _Repl) -> int:
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        pos = changed = 0
        for match in pattern.finditer(text):
            begin, end = match.span()
            if begin == end:
                continue  # insertions would have no original to point at
            replacement = repl if isinstance(repl, str) else repl(match)
            if replacement == text[begin:end]:
                continue
            out.append(text[pos:begin])
            new_starts.extend(starts[pos:begin])
            new_ends.extend(ends[pos:begin])
            if replacement:
                out.append(replacement)
                new_starts.extend([starts[begin]] * len(replacement))
                new_ends.extend([ends[end - 1]] * len(replacement))
            pos = end
            changed += 1
        if changed:
            out.append(text[pos:])
            new_starts.extend(starts[pos:])
            new_ends.extend(ends[pos:])
            self.text, self.starts, self.ends = "".join(out), new_starts, new_ends
        return changed

    def nfc(self) -> None:
        """Compose per cluster so a composed letter maps back to its decomposed original."""
        text = self.text
        if unicodedata.is_normalized("NFC", text):
            return
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        i, n = 0, len(text)
        while i < n:
            j = i + 1
            while j < n and j - i < 32 and not _cluster_boundary(text, i, j):
                j += 1
            chunk = text[i:j]
            composed = unicodedata.normalize("NFC", chunk)
            if composed == chunk:
                new_starts.extend(self.starts[i:j])
                new_ends.extend(self.ends[i:j])
            else:
                new_starts.extend([self.starts[i]] * len(composed))
                new_ends.extend([self.ends[j - 1]] * len(composed))
            out.append(composed)
            i = j
        self.text, self.starts, self.ends = "".join(out), new_starts, new_ends


def _cluster_boundary(text: str, i: int, j: int) -> bool:
    char = text[j]
    if char < "\u0300":
        return True  # nothing below U+0300 composes with what precedes it
    if unicodedata.combining(char):
        return False
    head = text[i:j]
    return unicodedata.normalize("NFC", head + char) == unicodedata.normalize(
        "NFC", head
    ) + unicodedata.normalize("NFC", char)


# ---------------------------------------------------------------------------- boilerplate
_AGO = r"(?:\d+\+?|an?|one)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago"
_SEGMENT = (
    r"(?:(?:re)?posted|active|employer\s*active)?\s*" + _AGO + r"|"
    r"(?:re)?posted\s+(?:today|yesterday|just now)|just posted|"
    r"(?:over\s+|more than\s+)?\d[\d,]*\+?\s+applicants?|be among the first \d+ applicants|"
    r"\d[\d,.]*\s*[km]?\s+followers|promoted(?:\s+by\s+hirer)?|"
    r"actively\s+(?:recruiting|hiring|reviewing(?:\s+applicants)?)|easy\s+apply|"
    r"responses managed off linkedin|no longer accepting applications|"
    r"urgently hiring|hiring multiple candidates|"
    r"responded to \d+% or more applications in the past \d+ days"
)
_FURNITURE = (
    r"apply(?:\s+now)?|apply\s+(?:for\s+this\s+job|on\s+company\s+(?:site|website))|"
    r"quick\s+apply|i'?m\s+interested|save(?:\s+job)?|saved|unsave|share(?:\s+(?:this\s+)?job)?|"
    r"report(?:\s+this)?\s+job|report|not\s+interested|show\s+(?:more|less|all)|"
    r"see\s+(?:more|less|all)|read\s+(?:more|less)|…\s*(?:see\s+)?more|\.\.\.\s*(?:see\s+)?more|"
    r"follow|following|unfollow|message|connect|copy\s+link|"
    r"skip\s+to\s+(?:main\s+)?content|sign\s+in|sign\s+up|log\s+in|join\s+now|menu|"
    r"home|jobs|my\s+network|messaging|notifications|for\s+business|"
    r"try\s+premium(?:\s+for\s+free)?|linkedin|indeed|glassdoor|"
    r"find\s+jobs|company\s+reviews|find\s+salaries|post\s+(?:a\s+)?job|employers(?:\s*/\s*post\s+job)?|"
    r"upload\s+your\s+(?:resume|cv)|back\s+to\s+(?:search\s+)?results|"
    r"similar\s+jobs|people\s+also\s+viewed|more\s+jobs(?:\s+like\s+this)?|"
    r"see\s+more\s+jobs\s+like\s+this|set\s+(?:job\s+)?alert(?:\s+for\s+similar\s+jobs)?|"
    r"job\s+alert|get\s+notified\s+about\s+new\s+.{1,60}\s+jobs.{0,40}|"
    r"accept(?:\s+all)?(?:\s+cookies)?|reject(?:\s+all)?(?:\s+cookies)?|"
    r"manage\s+(?:cookie\s+)?(?:preferences|settings)|cookie\s+(?:settings|preferences|policy)"
)
_SEPARATOR = r"\s*[·•|]\s*"
_LINE = re.compile(
    rf"(?:{_FURNITURE}|{_SEGMENT})(?:{_SEPARATOR}(?:{_FURNITURE}|{_SEGMENT}))*[.!]?",
    re.IGNORECASE,
)
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_CONSENT = re.compile(
    r"\b(?:accept|consent|we use|this (?:site|website) uses|privacy|preferences|reject|manage)",
    re.IGNORECASE,
)
# A boilerplate segment inside a kept line, e.g. "Acme · London · 2 days ago · 87 applicants".
# Spaces only: matching across a newline would merge two lines.
_INLINE_SEGMENT = re.compile(
    rf"[ ]*[·•|][ ]*(?:{_SEGMENT.replace(chr(92) + 's', '[ ]')})(?=[ ]*[·•|]|[ ]*$)",
    re.IGNORECASE | re.MULTILINE,
)
_ANY_LINE = re.compile(r"^[^\n]*(?:\n|\Z)", re.MULTILINE)


def is_boilerplate_line(line: str) -> bool:
    """Whole-line job-board furniture; real content is never this short and this formulaic."""
    stripped = line.strip().strip("-–—•*· ").strip()
    if not stripped:
        return False
    if len(stripped) <= 160 and _LINE.fullmatch(stripped):
        return True
    return len(stripped) <= 600 and bool(_COOKIE.search(stripped) and _CONSENT.search(stripped))


# ---------------------------------------------------------------------------- rewrites
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_SOFT_BREAK = re.compile(r"\u00ad[ \t]*\n[ \t]*")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff\ud800-\udfff\x00-\x08\x0e-\x1f\x7f]+")
_TRAILING = re.compile(r"[ ]+(?=\n)|[ ]+\Z")
_LEADING = re.compile(r"^[ ]+", re.MULTILINE)
_BULLET = re.compile(
    r"^(?:[•●▪◦■□‣⁃∙◆◇►▸▹➢➤✓✔❖][ ]*\n?|[*–—·-][ ]+)(?=\S)",
    re.MULTILINE,
)
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[^\W\d_])")
_WORD_BEFORE = re.compile(r"[^\W\d_]+\Z")
_WORD_AFTER = re.compile(r"[^\W\d_]+")
_MULTI_SPACE = re.compile(r"[ ]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_EDGES = re.compile(r"\A\n+|\n+\Z")

# Line-end hyphens that belong to a compound ("self-motivated"), not to a split word.
_COMPOUND_FIRST = frozenset(
    [
        "self",
        "well",
        "full",
        "part",
        "cross",
        "multi",
        "non",
        "co",
        "pre",
        "post",
        "re",
        "high",
        "low",
        "long",
        "short",
        "fast",
        "hands",
        "end",
        "real",
        "front",
        "back",
        "client",
        "customer",
        "detail",
        "results",
        "data",
        "user",
        "team",
        "time",
        "first",
        "world",
        "award",
        "fine",
        "large",
        "small",
        "mid",
        "cutting",
        "state",
        "best",
        "problem",
        "decision",
        "goal",
    ]
)
_COMPOUND_SECOND = frozenset(
    [
        "based",
        "driven",
        "oriented",
        "focused",
        "facing",
        "level",
        "time",
        "end",
        "related",
        "specific",
        "friendly",
        "first",
        "ready",
        "owned",
        "centred",
        "centered",
        "led",
        "minded",
        "term",
        "known",
        "class",
        "scale",
        "stack",
        "grade",
        "going",
    ]
)


def _dehyphenate(match: re.Match[str]) -> str:
    before = _WORD_BEFORE.search(match.string, max(0, match.start() - 64), match.start())
    after = _WORD_AFTER.match(match.string, match.end())
    first = before.group() if before else ""
    second = after.group() if after else ""
    if not second[:1].islower():
        return "-"  # "Python-\nDjango": a list or a proper noun, not a split word
    if first[:1].isupper() or first.lower() in _COMPOUND_FIRST or second in _COMPOUND_SECOND:
        return "-"
    return ""


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    boilerplate_removed: int


def normalise_mapped(original: str) -> Normalised:
    """Normalise ``original`` and keep, per output character, the original range it came from."""
    tracked = _Tracked(original)
    tracked.sub(_NEWLINES, "\n")
    tracked.nfc()
    tracked.sub(_SPACES, " ")
    tracked.sub(_SOFT_BREAK, "")
    tracked.sub(_INVISIBLE, "")
    tracked.sub(_TRAILING, "")
    tracked.sub(_LEADING, "")
    removed = tracked.sub(_ANY_LINE, lambda m: "" if is_boilerplate_line(m.group()) else m.group())
    removed += tracked.sub(_INLINE_SEGMENT, "")
    tracked.sub(_BULLET, "- ")
    tracked.sub(_HYPHEN_BREAK, _dehyphenate)
    tracked.sub(_MULTI_SPACE, " ")
    tracked.sub(_TRAILING, "")
    tracked.sub(_BLANK_LINES, "\n\n")
    tracked.sub(_EDGES, "")
    return Normalised(tracked.text, tuple(tracked.starts), tuple(tracked.ends), removed)


def normalise(text: str) -> str:
    """NFC, unified newlines and bullets, joined hyphenation, no page furniture or extra spaces."""
    return normalise_mapped(text).text
