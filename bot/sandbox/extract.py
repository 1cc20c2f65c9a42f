"""Find the code in a candidate's answer: fenced blocks, or an attached source file.

Why: in chat people paste code in ```fences```, sometimes with a language tag, sometimes not,
sometimes with prose around it; or they attach ``solution.py``. Everything else (a plain-text
walkthrough) is not code and stays a normal answer graded on the rubric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.languages import by_extension, resolve

_FENCE = re.compile(
    r"(?P<fence>```+|~~~+)[ \t]*(?P<tag>[^\n`]*)\n(?P<body>.*?)(?:\n(?P=fence)|\Z)", re.S
)
_ATTACHABLE = (".py", ".js", ".mjs", ".cpp", ".cc", ".cxx", ".java", ".go", ".rs")
MAX_CODE_CHARS = 64_000


@dataclass(frozen=True, slots=True)
class CodeAnswer:
    code: str
    language: str | None  # our language name, None when neither tagged nor detectable
    source: str  # "fence" | "file"


def detect_language(code: str) -> str | None:
    """A cheap guess from tell-tale syntax; ``None`` rather than a wrong guess."""
    scores = {
        "cpp": len(re.findall(r"#include\s*<|std::|\bcout\s*<<|\bvector<|int\s+main\s*\(", code)),
        "java": len(
            re.findall(
                r"\bpublic\s+(static\s+)?(class|void|int)|System\.out\.|\bimport java\.", code
            )
        ),
        "javascript": len(
            re.findall(
                r"\bfunction\s+\w+\s*\(|\bconst\s+\w+\s*=|\blet\s+\w+\s*=|=>|console\.log|module\.exports",
                code,
            )
        ),
        "python": len(
            re.findall(
                r"^\s*def\s+\w+\(.*\)\s*(->\s*[^:]+)?:|^\s*import\s+\w+$|^\s*from\s+\w+\s+import|\bprint\(|:\s*$",
                code,
                re.M,
            )
        ),
        "go": len(re.findall(r"^package\s+main|\bfunc\s+\w+\(|fmt\.Print", code, re.M)),
        "rust": len(re.findall(r"\bfn\s+\w+\(|\blet\s+mut\b|println!", code)),
    }
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        return None
    ties = [k for k, v in scores.items() if v == scores[best]]
    return best if len(ties) == 1 else None


def from_text(text: str) -> CodeAnswer | None:
    """The largest fenced block (people paste a test call in a second, smaller fence)."""
    blocks = []
    for match in _FENCE.finditer(text):
        body = match.group("body").strip("\n")
        if body.strip():
            tag = match.group("tag").strip().split()[0] if match.group("tag").strip() else ""
            blocks.append((body, tag))
    if not blocks:
        return None
    body, tag = max(blocks, key=lambda b: len(b[0]))
    lang = resolve(tag) if tag else None
    name = lang.name if lang else detect_language(body)
    return CodeAnswer(body[:MAX_CODE_CHARS], name, "fence")


def from_file(filename: str, data: bytes) -> CodeAnswer | None:
    """An attached source file, by extension; ``None`` for other files."""
    if not filename.lower().endswith(_ATTACHABLE):
        return None
    lang = by_extension(filename)
    text = data[: MAX_CODE_CHARS * 4].decode("utf-8", errors="replace")
    return CodeAnswer(text[:MAX_CODE_CHARS], lang.name if lang else None, "file")
