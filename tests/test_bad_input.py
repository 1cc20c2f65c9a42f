"""Bad input gets a specific message and loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from adapters.cli import main as cli_main
from bot.intake import IntakeError, IntakeLimits, from_bytes, from_text
from tests.test_console_e2e import SAMPLE, run

LIMITS = IntakeLimits(max_bytes=2 * 1024 * 1024, max_chars=60_000)
SMALL = IntakeLimits(max_chars=1000)


@pytest.mark.parametrize("text", ["", "   \n\t  \n", "\u00a0\u00a0"])
def test_empty_job_description(text: str) -> None:
    with pytest.raises(IntakeError, match="empty"):
        from_text(text, limits=SMALL)


def test_too_short_job_description() -> None:
    with pytest.raises(IntakeError, match="too short"):
        from_text("Python developer", limits=SMALL)


def test_oversized_upload_names_the_limit() -> None:
    with pytest.raises(IntakeError, match=r"2\.0 MB"):
        from_bytes("big.txt", b"a" * (3 * 1024 * 1024), limits=LIMITS)


def test_too_long_after_extraction() -> None:
    with pytest.raises(IntakeError, match="60,000"):
        from_bytes("long.md", ("word " * 20_000).encode(), limits=LIMITS)


def test_binary_renamed_txt() -> None:
    garbage = bytes(range(256)) * 64
    with pytest.raises(IntakeError, match=r"binary file.*\.txt"):
        from_bytes("jd.txt", garbage, limits=LIMITS)


def test_non_utf8_file_is_read_with_a_notice() -> None:
    text = "Café manager — responsible for staff rotas, stock ordering and customer service. " * 2
    job = from_bytes("jd.txt", text.encode("cp1252"), limits=LIMITS)
    assert "Café" in job.text
    assert job.notices and "Windows-1252" in job.notices[0]


def test_broken_pdf_says_what_to_do() -> None:
    with pytest.raises(IntakeError, match=r"jd\.pdf is not a readable PDF.*paste the text"):
        from_bytes("jd.pdf", b"%PDF-1.7 ...", limits=LIMITS)


def test_real_pdf_is_read(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Data Analyst\nWe need an analyst fluent in SQL, Excel and Tableau.")
    job = from_bytes("jd.pdf", bytes(pdf.output()), limits=LIMITS)
    assert "SQL, Excel and Tableau" in job.text and job.format == "pdf"


def test_cli_analyzes_a_docx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = docx.Document()
    document.add_heading("Registered Nurse", level=1)
    for line in ("Caring for adult patients on a busy surgical ward.", "Medication administration"):
        document.add_paragraph(line)
    path = tmp_path / "nurse.docx"
    document.save(str(path))
    assert cli_main(["analyze", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"]


def test_cli_refuses_empty_file_with_exit_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    answers = tmp_path / "a.txt"
    answers.write_text("hello")
    result = run(tmp_path, "console", "--jd", str(empty), "--answers", str(answers))
    assert result.returncode == 1
    assert "empty" in result.stdout + result.stderr


def test_cli_corrupted_database_is_named_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "data" / "interview-bot.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"\x00garbage" * 500)
    answers = tmp_path / "a.txt"
    answers.write_text("hello")
    result = run(tmp_path, "console", "--jd", str(SAMPLE), "--answers", str(answers))
    assert result.returncode == 2
    assert str(db) in result.stderr and "corrupted" in result.stderr
    assert db.read_bytes() == b"\x00garbage" * 500


def test_cli_invalid_configuration_is_readable(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('default_length = "enormous"\n')
    result = run(tmp_path, "--config", str(config), "samples")
    assert result.returncode == 2
    assert "default_length" in result.stderr and str(config) in result.stderr


def test_hundred_kb_answer_through_the_console(tmp_path: Path) -> None:
    answers = tmp_path / "a.txt"
    answers.write_text("x" * 100_000 + "\n---\n/end\n")
    result = run(tmp_path, "console", "--jd", str(SAMPLE), "--answers", str(answers))
    assert result.returncode == 0
    assert "100,000 characters" in result.stdout and "still open" in result.stdout
