"""Job description in: pasted text or an uploaded file -> clean text, or a specific refusal.

Every refusal says exactly what was wrong and what to do, because the person on the other side is
usually in a chat window with no logs. Nothing here guesses silently: a file whose content is not
what its name says is read by its content, with a notice; a non-UTF-8 file is read with a notice
naming the encoding we assumed; a long PDF is read up to the page limit, with a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.intake import language
from bot.intake.detect import LABELS, SUFFIX_KINDS, Kind, decode, has_tags, looks_like_html, sniff
from bot.intake.errors import IntakeError
from bot.intake.extract import Extracted, check_docx_container
from bot.intake.limits import IntakeLimits
from bot.intake.normalise import normalise_mapped
from bot.intake.worker import run_isolated

MIN_WORDS = 8


@dataclass(frozen=True, slots=True)
class JobText:
    """Clean text for the analyser, plus what it was made from so evidence can quote the source.

    ``original`` is the text as extracted from the file (or as pasted); ``to_original`` turns a
    span of ``text`` into the span of ``original`` it came from. A ``JobText`` built by hand with
    no mapping is its own original.
    """

    text: str
    source: str
    notices: tuple[str, ...] = field(default=())
    original: str = ""
    format: str = "text"
    _starts: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _ends: tuple[int, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.original and not self._starts:
            object.__setattr__(self, "original", self.text)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the text (0:{len(self.text)})")
        if not self._starts:
            return start, end
        if start == end:
            point = self._starts[start] if start < len(self.text) else len(self.original)
            return point, point
        return self._starts[start], self._ends[end - 1]

    def quote(self, start: int, end: int) -> str:
        """The original wording behind a span of ``text``: what evidence should show."""
        a, b = self.to_original(start, end)
        return self.original[a:b]


def _too_long(source: str, size: int, limit: int) -> IntakeError:
    what = "The job description" if source == "pasted text" else source
    return IntakeError(
        f"{what} is {size:,} characters; the limit is {limit:,}. "
        "Paste just the role's description, responsibilities and requirements."
    )


def _finish(
    extracted: Extracted, source: str, fmt: str, notices: list[str], limits: IntakeLimits
) -> JobText:
    """The checks every path shares: emptiness, length, substance, language."""
    # Normalisation keeps two ints per character; text this far over the limit cannot pass it.
    if len(extracted.text) > 4 * limits.max_chars + 10_000:
        raise _too_long(source, len(extracted.text), limits.max_chars)
    mapped = normalise_mapped(extracted.text)
    cleaned = mapped.text
    notices = [*notices, *extracted.notices]
    if not cleaned:
        if source == "pasted text":
            raise IntakeError(
                "The job description is empty. Paste the posting's text or attach a file."
            )
        raise IntakeError(
            f"{source} has no readable text (it is empty once markup and page furniture are "
            "removed). Attach the posting itself or paste its text."
        )
    if len(cleaned) > limits.max_chars:
        raise _too_long(source, len(cleaned), limits.max_chars)
    words = len(cleaned.split())
    if words < MIN_WORDS:
        raise IntakeError(
            f"That is too short to be a job description ({words} words). Paste the whole "
            "posting: title, what you'd do, requirements."
        )
    if mapped.boilerplate_removed:
        notices.append(
            f"I skipped {mapped.boilerplate_removed} line(s) of job-board page furniture "
            "(buttons, applicant counts, cookie text)."
        )
    detected = language.detect(cleaned)
    if detected is not None:
        code, name, confidence = detected
        if limits.language_policy == "refuse":
            raise IntakeError(
                f"This job description looks like it is in {name} ({code}, {confidence:.0%} "
                "confident). I can only interview in English for now: paste an English version."
            )
        notices.append(
            f"This job description looks like it is in {name} ({code}); I work in English, so "
            "the analysis and questions may miss things. An English version will work better."
        )
    return JobText(
        cleaned,
        source,
        tuple(notices),
        extracted.text,
        fmt,
        mapped.starts,
        mapped.ends,
    )


def from_text(text: str, *, limits: IntakeLimits, source: str = "pasted text") -> JobText:
    """Pasted text; a pasted HTML document (page source) is read as HTML."""
    if looks_like_html(text):
        data = text.encode("utf-8", errors="replace")
        extracted = _isolated(Kind.HTML, source, data, limits)
        return _finish(extracted, source, Kind.HTML.value, [], limits)
    return _finish(Extracted(text), source, Kind.TEXT.value, [], limits)


def _isolated(kind: Kind, source: str, data: bytes, limits: IntakeLimits) -> Extracted:
    return run_isolated(
        kind.value,
        source,
        data,
        max_pages=limits.max_pdf_pages,
        max_chars=limits.max_chars,
        timeout_s=limits.timeout_s,
    )


def from_bytes(filename: str, data: bytes, *, limits: IntakeLimits) -> JobText:
    """An upload, read by what its bytes are; the name only breaks the text/HTML tie."""
    suffix = Path(filename).suffix.lower()
    if len(data) > limits.max_bytes:
        raise IntakeError(
            f"{filename} is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{limits.max_bytes / 1024 / 1024:.1f} MB. A job description is usually under "
            "20 kB: paste the text instead."
        )
    if not data.strip(b" \t\r\n\x0b\x0c\x00\xef\xbb\xbf\xff\xfe"):
        raise IntakeError(f"{filename} is empty. Attach the job description or paste its text.")
    kind = sniff(data)
    claimed = SUFFIX_KINDS.get(suffix)
    notices: list[str] = []
    if kind is Kind.TEXT and claimed is Kind.HTML and has_tags(decode(data)[0]):
        kind = Kind.HTML
    _refuse_unreadable(filename, suffix, kind, claimed)
    if claimed is not None and claimed is not kind:
        notices.append(
            f"{filename} is named like {LABELS[claimed]} but is actually {LABELS[kind]}; "
            "I read it as what it is."
        )
    if kind is Kind.PDF:
        extracted = _isolated(kind, filename, data, limits)
    elif kind is Kind.DOCX:
        check_docx_container(filename, data)
        extracted = _isolated(kind, filename, data, limits)
    elif kind is Kind.RTF:
        extracted = _isolated(kind, filename, data, limits)
    else:
        text, encoding = decode(data)
        if encoding is not None:
            notices.append(
                f"{filename} is not UTF-8; I read it as {encoding}. Check the summary looks right."
            )
        if kind is Kind.HTML:
            extracted = _isolated(kind, filename, text.encode("utf-8", "replace"), limits)
        else:
            extracted = Extracted(text)
    return _finish(extracted, filename, kind.value, notices, limits)


def _refuse_unreadable(filename: str, suffix: str, kind: Kind, claimed: Kind | None) -> None:
    despite = f" (despite the {suffix} name)" if suffix and claimed is not kind else ""
    if kind is Kind.OLE:
        raise IntakeError(
            f"{filename} is an old-style Word (.doc) or password-protected Office file{despite}; "
            "I can't read those. Save it as .docx or PDF without a password, or paste the text."
        )
    if kind is Kind.ZIP:
        raise IntakeError(
            f"{filename} is a ZIP archive{despite}, not a Word document. Attach the job "
            "description itself (.docx, .pdf, .txt, .html, .rtf) or paste it."
        )
    if kind is Kind.IMAGE:
        raise IntakeError(
            f"{filename} is an image{despite}, so there is no text for me to read. "
            "Copy the text of the posting and paste it instead."
        )
    if kind is Kind.BINARY:
        raise IntakeError(
            f"{filename} looks like a binary file, not text{despite}. "
            "Attach the job description as .txt, .md, .pdf, .docx, .html or .rtf, or paste it."
        )


def read_upload(path: Path, *, limits: IntakeLimits) -> bytes:
    """A file's bytes, refused by size before reading, for callers that pass them on as an
    attachment (the engine then does intake once, off the event loop)."""
    try:
        if path.is_dir():
            raise IntakeError(f"{path} is a directory; give the path of a job description file.")
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IntakeError(f"No such file: {path}") from exc
    except OSError as exc:
        raise IntakeError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if size > limits.max_bytes:
        raise IntakeError(
            f"{path.name} is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{limits.max_bytes / 1024 / 1024:.1f} MB."
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IntakeError(f"Cannot read {path}: {exc.strerror or exc}") from exc


def from_path(path: Path, *, limits: IntakeLimits) -> JobText:
    return from_bytes(path.name, read_upload(path, limits=limits), limits=limits)
