"""What a file really is, from its bytes: uploads arrive renamed, mislabelled or both.

The extension is only a tie-breaker between plain text and HTML, which overlap (a Markdown file
may hold a ``<br>``). Everything else is decided by signatures and by looking at the content.
"""

from __future__ import annotations

import io
import re
import zipfile
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    HTML = "html"
    RTF = "rtf"
    PDF = "pdf"
    DOCX = "docx"
    ZIP = "zip"
    OLE = "ole"
    IMAGE = "image"
    BINARY = "binary"


LABELS = {
    Kind.TEXT: "plain text",
    Kind.HTML: "an HTML page",
    Kind.RTF: "an RTF document",
    Kind.PDF: "a PDF",
    Kind.DOCX: "a Word (.docx) document",
    Kind.ZIP: "a ZIP archive",
    Kind.OLE: "an old-style Office file",
    Kind.IMAGE: "an image",
    Kind.BINARY: "a binary file",
}

SUFFIX_KINDS = {
    ".txt": Kind.TEXT,
    ".text": Kind.TEXT,
    ".md": Kind.TEXT,
    ".markdown": Kind.TEXT,
    ".html": Kind.HTML,
    ".htm": Kind.HTML,
    ".xhtml": Kind.HTML,
    ".rtf": Kind.RTF,
    ".pdf": Kind.PDF,
    ".docx": Kind.DOCX,
    ".doc": Kind.OLE,
}

_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_OTHER_BINARY = (b"\x7fELF", b"MZ", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TAG = re.compile(
    r"</?(?:html|head|body|div|span|p|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|a|table|thead|tbody|tr|td|th|"
    r"section|article|main|header|footer|nav|strong|em|b|i|u|meta|link|script|style|title|img)"
    r"\b[^<>]{0,2000}>",
    re.IGNORECASE,
)


def sniff(data: bytes) -> Kind:
    head = data[:2048]
    if b"%PDF-" in data[:1024]:
        return Kind.PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(_OLE):
        return Kind.OLE
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return Kind.IMAGE
    if head.startswith(_OTHER_BINARY):
        return Kind.BINARY
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return Kind.RTF
    if looks_binary(data):
        return Kind.BINARY
    sample = head.decode(_utf16(head) or "latin-1", errors="ignore")
    return Kind.HTML if looks_like_html(sample) else Kind.TEXT


def _zip_kind(data: bytes) -> Kind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        # A truncated .docx still starts with PK\3\4; call it a docx so the refusal says corrupt.
        return Kind.DOCX if b"word/" in data[:65536] else Kind.ZIP
    return Kind.DOCX if "word/document.xml" in names else Kind.ZIP


def _utf16(sample: bytes) -> str | None:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
    return None


def text_encoding_hint(data: bytes) -> str | None:
    """UTF-16 with or without a byte-order mark; anything else is decided by ``decode``."""
    return _utf16(data[:2048])


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if _utf16(sample):
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > max(8, len(sample) // 50)


def looks_like_html(text: str) -> bool:
    """A document, or markup dense enough that reading it as text would show the tags."""
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    if head.startswith(("<!doctype html", "<html")) or "<html" in head[:1024]:
        return True
    tags = _TAG.findall(head)
    if head.startswith("<") and len(tags) >= 2:
        return True
    return len(tags) >= 10 and sum(map(len, tags)) >= 0.05 * len(head)


def has_tags(text: str) -> bool:
    return _TAG.search(text[:65536]) is not None


def decode(data: bytes) -> tuple[str, str | None]:
    """Text and the encoding we had to assume (``None`` for UTF-8, which needs no notice)."""
    encoding = _utf16(data[:2048])
    if encoding is not None:
        return data.decode(encoding, errors="replace").lstrip("\ufeff"), "UTF-16"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"
