"""PDF export (issue 11): a real PDF whose text (read back with pypdf) holds the transcript and
the recap, with the chart embedded; Unicode answers never break it, even without a TrueType font."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.access import AccessDenied
from bot.export import export_session
from bot.export.pdf import dejavu_fonts, latin1, session_pdf
from bot.planning.bank import QuestionBank
from bot.store.sqlite import SQLiteStore
from tests.sharing import invite, save, shared_record

UNICODE = "Zürich — naïve café, Ελληνικά, Привет; 東京 😀"


def pdf_text(data: bytes) -> tuple[str, int]:
    """All text, and how many images, in a PDF."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, sum(len(page.images) for page in reader.pages)


def flat(text: str) -> str:
    """Text with line wrapping undone, for phrase checks."""
    return " ".join(text.split())


def test_pdf_holds_answers_scores_recap_and_chart(bank: QuestionBank) -> None:
    record = shared_record(bank, "s1", "cli:ann", secret=UNICODE)
    data = session_pdf(record)
    assert data.startswith(b"%PDF-")
    text, images = pdf_text(data)
    text = flat(text)
    for expected in (
        "Mock interview: Backend Engineer",
        "I led the migration with three teams.",
        '<script>alert("x")</script>',  # user text is kept as text
        "Follow-up: What changed as a result, in numbers?",
        "Deploys went from weekly to daily and incidents halved.",
        "Score: 3.5/5",
        "Clear ownership; add a measured result.",
        "Skipped.",
        "Overall: 3.8/5",
        "Collaboration: 4.0/5",
        "Owns cross-team work end to end",
        "PostgreSQL: Review index types: B-tree, GIN, BRIN.",
        "Job skills not drawn on: Kafka",
        "Zürich — naïve café, Ελληνικά, Привет;",  # DejaVu covers Latin, Greek, Cyrillic
    ):
        assert expected in text, expected
    assert images == 1  # the competency chart
    assert "cli:ann" not in text


def test_pdf_falls_back_to_latin1_without_a_truetype_font(bank: QuestionBank) -> None:
    record = shared_record(bank, "s1", "cli:ann", secret=UNICODE)
    text, _ = pdf_text(session_pdf(record, core_font_only=True))
    text = flat(text)
    assert "Zürich - naïve café" in text and "Deploys went from weekly to daily" in text
    assert "Overall: 3.8/5" in text


def test_latin1_transliterates_rather_than_fails() -> None:
    assert latin1("“Quote” — café … ½") == '"Quote" - café ... ½'
    assert latin1("Ångström ő 東") == "Ångström o ?"
    latin1(UNICODE).encode("latin-1")  # never raises


def test_a_bundled_unicode_font_is_found() -> None:
    fonts = dejavu_fonts()
    assert fonts is not None and all(path.is_file() for path in fonts)


def test_pdf_without_recap_or_answers(bank: QuestionBank) -> None:
    record = shared_record(bank, "s1", "cli:ann")
    record.recap, record.turns, record.state = None, [], "briefing"
    text, images = pdf_text(session_pdf(record))
    assert "No questions were answered." in flat(text) and images == 0


async def test_export_session_checks_access_for_both_formats(
    tmp_path: Path, bank: QuestionBank
) -> None:
    store = SQLiteStore(tmp_path / "export.sqlite3")
    await store.open()
    try:
        await save(store, shared_record(bank, "annsession01", "cli:ann"))
        await invite(store, "annsession01", "cli:olga")
        pdf = await export_session(store, "annsession01", "cli:ann", "pdf")
        assert pdf.filename == "interview-annsession01.pdf" and pdf.data.startswith(b"%PDF-")
        markdown = await export_session(store, "anns", "cli:olga", "md")  # observer, by prefix
        assert markdown.data.decode().startswith("# Mock interview: Backend Engineer")
        for fmt in ("md", "pdf"):
            with pytest.raises(AccessDenied, match=r"^No such session: annsession01$"):
                await export_session(store, "annsession01", "cli:mallory", fmt)
        with pytest.raises(ValueError, match="Unknown export format"):
            await export_session(store, "annsession01", "cli:ann", "docx")
    finally:
        await store.close()
