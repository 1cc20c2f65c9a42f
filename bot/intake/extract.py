"""Format parsers: bytes of one known kind in, plain text out, or a specific ``IntakeError``.

These run inside the worker process (see ``bot.intake.worker``), so they may be slow or crash
on hostile input without taking the bot with them. Every library is imported lazily: the worker
only pays for the parser it needs. The ZIP directory check for ``.docx`` is the exception: it is
cheap, reads no member data, and runs in the caller before any bytes are inflated.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from bot.intake.errors import IntakeError

# A .docx is a few hundred kB unpacked; these are far above any real document and far below
# what would hurt the worker. Ratio alone is not enough (XML compresses well), hence both.
MAX_ZIP_MEMBERS = 2_000
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
BOMB_RATIO = 100
BOMB_MIN_MEMBER = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    notices: tuple[str, ...] = ()


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def check_docx_container(source: str, data: bytes) -> None:
    """Refuse zip bombs from the central directory alone, before anything is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise IntakeError(_corrupt_docx(source)) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise IntakeError(
            f"{source} contains {len(members):,} files inside; a Word document has a few dozen. "
            "It looks like a zip bomb, so I did not open it. Paste the text instead."
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED_BYTES:
        raise IntakeError(
            f"{source} would unpack to {_mb(total)} (the limit is {_mb(MAX_UNZIPPED_BYTES)}). "
            "That looks like a zip bomb, not a job description, so I did not open it."
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > BOMB_MIN_MEMBER and ratio > BOMB_RATIO:
            raise IntakeError(
                f"{source} contains {member.filename!r}, which is compressed {ratio:,.0f}:1 and "
                f"would unpack to {_mb(member.file_size)}. That looks like a zip bomb, so I did "
                "not open it. Paste the text instead."
            )
        if member.flag_bits & 0x1:
            raise IntakeError(
                f"{source} is password-protected, so I can't read it. "
                "Save an unprotected copy or paste the text."
            )
    if not any(member.filename == "word/document.xml" for member in members):
        raise IntakeError(
            f"{source} is a ZIP archive but not a Word document (there is no word/document.xml). "
            "Attach the job description itself as .docx, .pdf or .txt, or paste it."
        )


def _corrupt_docx(source: str) -> str:
    return (
        f"{source} is not a readable Word document (it looks damaged or incomplete). "
        "Re-save it as .docx or PDF, or open it and paste the text."
    )


def _corrupt_pdf(source: str) -> str:
    return (
        f"{source} is not a readable PDF (it looks damaged or incomplete). "
        "Re-export it, or open it and paste the text."
    )


# ---------------------------------------------------------------------------- PDF
def extract_pdf(source: str, data: bytes, max_pages: int) -> Extracted:
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on damaged files
        raise IntakeError(_corrupt_pdf(source)) from exc
    if encrypted:
        try:
            # An empty user password only restricts printing/copying; such files still open.
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:  # unsupported algorithm (AES without a crypto backend), bad keys
            opened = False
        if not opened:
            raise IntakeError(
                f"{source} is password-protected (encrypted), so I can't read it. "
                "Remove the password, or open it and paste the text."
            )
    try:
        total = len(reader.pages)
    except Exception as exc:
        raise IntakeError(_corrupt_pdf(source)) from exc
    if total == 0:
        raise IntakeError(f"{source} has no pages. Attach the job description or paste its text.")
    count = min(total, max_pages)
    texts: list[str] = []
    failures = images = 0
    for index in range(count):
        try:
            page = reader.pages[index]
            texts.append(page.extract_text() or "")
        except Exception:
            failures += 1
            continue
        images += _image_count(page)
    if failures == count:
        raise IntakeError(_corrupt_pdf(source))
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if not text.strip():
        if images:
            raise IntakeError(
                f"{source} looks like a scanned PDF: its pages are images with no text layer, "
                "so there is nothing I can read. Copy the text from the original posting and "
                "paste it (or run the PDF through OCR first)."
            )
        raise IntakeError(
            f"{source} has no text I can extract. Paste the job description's text instead."
        )
    notices: list[str] = []
    if total > count:
        notices.append(
            f"{source} has {total} pages; I read only the first {count} (the page limit). "
            "If the requirements come later in the file, paste them."
        )
    if failures:
        notices.append(f"{failures} page(s) of {source} could not be read and were skipped.")
    return Extracted(text, tuple(notices))


def _image_count(page: Any) -> int:
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        if xobjects is None:
            return 0
        xobjects = xobjects.get_object()
        return sum(1 for key in xobjects if xobjects[key].get_object().get("/Subtype") == "/Image")
    except Exception:
        return 0


# ---------------------------------------------------------------------------- DOCX
def extract_docx(source: str, data: bytes) -> Extracted:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.extend(_docx_paragraph(block))
            elif isinstance(block, Table):
                lines.extend(_docx_table(block))
    except IntakeError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on damaged files
        raise IntakeError(_corrupt_docx(source)) from exc
    return Extracted("\n".join(lines))


def _docx_paragraph(paragraph: Any) -> list[str]:
    text = paragraph.text.strip()
    if not text:
        return [""]
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    ppr = paragraph._p.pPr
    numbered = ppr is not None and ppr.numPr is not None
    if style.startswith(("Heading", "Title")):
        return ["", text]
    if numbered or style.startswith("List"):
        return [f"- {text}"]
    return [text]


def _docx_table(table: Any) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue  # merged cells repeat the same cell object
            seen.add(id(cell._tc))
            value = " ".join(cell.text.split())
            if value:
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return ["", *rows, ""]


# ---------------------------------------------------------------------------- HTML
_PRESTRIP = re.compile(
    r"<!--.*?-->|<(script|style|noscript|template|svg|iframe|object)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
_DROP_ALWAYS = ("nav", "footer", "aside", "form", "button", "select", "dialog")
_FURNITURE_ATTR = re.compile(r"cookie|consent|gdpr|banner|navbar|breadcrumb", re.IGNORECASE)
_FURNITURE_ROLE = frozenset({"navigation", "banner", "contentinfo", "dialog", "alertdialog"})
_BLOCKS = (
    "p", "div", "section", "article", "main", "ul", "ol", "dl", "dt", "dd", "table", "tr",
    "blockquote", "pre", "address", "figure", "figcaption", "hr", "li", "header",
)  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_WS = re.compile(r"\s+")
_ROW_END = re.compile(r"[ ]*\|[ ]*(?=\n|\Z)")
_SECTION_BREAK = "\u2029"
_NEWLINE_RUN = re.compile(r"[ \t\n]*\n[ \t\n]*")
_SECTION_RUN = re.compile(r"[ \t\n]*\u2029[ \t\n\u2029]*")


def extract_html(markup: str) -> Extracted:
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, PreformattedString, Tag

    soup = BeautifulSoup(_PRESTRIP.sub(" ", markup), "html.parser")
    for tag in soup.find_all(_DROP + _DROP_ALWAYS):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.find_parent(["article", "main"]) is None:
            tag.decompose()  # site banner; an article's own header holds the job title
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        marker = " ".join([str(tag.get("id") or ""), *tag.get_attribute_list("class")])
        role = str(tag.get("role") or "").lower()
        if role in _FURNITURE_ROLE or (marker.strip() and _FURNITURE_ATTR.search(marker)):
            tag.decompose()
    preformatted = {id(s) for pre in soup.find_all("pre") for s in pre.find_all(string=True)}
    for string in soup.find_all(string=True):
        if isinstance(string, PreformattedString):
            string.extract()  # comments, doctype, CDATA, processing instructions
        elif isinstance(string, NavigableString) and id(string) not in preformatted:
            string.replace_with(_WS.sub(" ", str(string)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for tag in soup.find_all(_HEADINGS):
        tag.insert_before(_SECTION_BREAK)
        tag.insert_after("\n")
    for tag in soup.find_all("li"):
        if isinstance(tag, Tag):
            tag.insert(0, "- ")
    for tag in soup.find_all(["td", "th"]):
        tag.insert_after(" | ")
    # Markup whitespace means nothing: one newline per block, a blank line only before headings.
    text = _NEWLINE_RUN.sub("\n", soup.get_text())
    text = _SECTION_RUN.sub("\n\n", text)
    return Extracted(_ROW_END.sub("", text).strip())


# ---------------------------------------------------------------------------- RTF
def extract_rtf(markup: str) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    return Extracted(str(rtf_to_text(markup, errors="ignore")))  # type: ignore[no-untyped-call]
