"""Job description in: pasted text or an uploaded file -> clean text, or a specific refusal.

Every refusal says exactly what was wrong and what to do, because the person on the other side is
usually in a chat window with no logs. Nothing here guesses silently: a non-UTF-8 file that we can
still read is accepted with a notice saying which encoding we assumed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ""})
LATER_FORMATS = {
    ".pdf": "PDF",
    ".docx": "Word (.docx)",
    ".doc": "Word (.doc)",
    ".html": "HTML",
    ".htm": "HTML",
    ".rtf": "RTF",
}
MIN_WORDS = 8


class IntakeError(ValueError):
    """The job description cannot be used; ``str()`` is the message for the user."""


@dataclass(frozen=True, slots=True)
class JobText:
    text: str
    source: str
    notices: tuple[str, ...] = field(default=())


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample and not (sample.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control > max(8, len(sample) // 50)


def _decode(data: bytes) -> tuple[str, str | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def normalise(text: str) -> str:
    """NFC, unified newlines and bullets, no trailing spaces; keeps line structure for sections."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\t", " ")
    text = re.sub(r"^[ ]*[•●▪◦■·‣⁃–—*]\s+", "- ", text, flags=re.MULTILINE)
    text = re.sub(r"[ ]{2,}", " ", text)
    text = re.sub(r"[ ]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def from_text(text: str, *, max_chars: int, source: str = "pasted text") -> JobText:
    cleaned = normalise(text)
    if not cleaned:
        raise IntakeError(
            "The job description is empty. Paste the posting's text or attach a file."
        )
    if len(cleaned) > max_chars:
        raise IntakeError(
            f"The job description is {len(cleaned):,} characters; the limit is {max_chars:,}. "
            "Paste just the role's description, responsibilities and requirements."
        )
    if len(cleaned.split()) < MIN_WORDS:
        raise IntakeError(
            "That is too short to be a job description "
            f"({len(cleaned.split())} words). Paste the whole posting: title, what you'd do, "
            "requirements."
        )
    return JobText(cleaned, source)


def from_bytes(filename: str, data: bytes, *, max_bytes: int, max_chars: int) -> JobText:
    suffix = Path(filename).suffix.lower()
    if suffix in LATER_FORMATS:
        raise IntakeError(
            f"{filename}: {LATER_FORMATS[suffix]} files are not supported yet. "
            "Open it, copy the text and paste it instead."
        )
    if len(data) > max_bytes:
        raise IntakeError(
            f"{filename} is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes / 1024 / 1024:.1f} MB. A job description is usually under 20 kB: "
            "paste the text instead."
        )
    if not data.strip():
        raise IntakeError(f"{filename} is empty.")
    if _looks_binary(data):
        raise IntakeError(
            f"{filename} looks like a binary file, not text"
            + (f" (despite the {suffix} name)" if suffix in TEXT_SUFFIXES and suffix else "")
            + ". Attach the job description as .txt or .md, or paste it."
        )
    text, encoding = _decode(data)
    job = from_text(text, max_chars=max_chars, source=filename)
    if encoding is not None and encoding != "UTF-16":
        notice = f"{filename} is not UTF-8; I read it as {encoding}. Check the summary looks right."
        return JobText(job.text, job.source, (notice,))
    return job


def from_path(path: Path, *, max_bytes: int, max_chars: int) -> JobText:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IntakeError(f"No such file: {path}") from exc
    if path.is_dir():
        raise IntakeError(f"{path} is a directory; give the path of a job description file.")
    if size > max_bytes:
        raise IntakeError(
            f"{path.name} is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes / 1024 / 1024:.1f} MB."
        )
    return from_bytes(path.name, path.read_bytes(), max_bytes=max_bytes, max_chars=max_chars)
