"""Intake: every format from real generated files, every refusal, and the span mapping."""

from __future__ import annotations

import contextlib
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter

import bot.intake.worker as worker
from bot.intake import (
    IntakeError,
    IntakeLimits,
    JobText,
    from_bytes,
    from_path,
    from_text,
    language,
)
from bot.intake.detect import Kind, sniff
from bot.intake.extract import check_docx_container
from bot.intake.normalise import is_boilerplate_line, normalise, normalise_mapped
from bot.settings import load_settings

LIMITS = IntakeLimits()
POSTING = (
    "Senior Data Engineer\n\n"
    "We are hiring a senior data engineer to build and run our analytics platform.\n"
    "Requirements:\n"
    "- Five years of Python and SQL in production\n"
    "- Experience with Apache Spark and Kafka\n"
    "The role involves the develop-\nment of reliable batch pipelines.\n"
)


@pytest.fixture(scope="module", autouse=True)
def _language_model() -> Iterator[None]:
    language.warm_up()  # about a second, once, rather than inside whichever test runs first
    yield


# ---------------------------------------------------------------------------- builders
def make_pdf(*pages: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, page)
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (40, 40), "white"), x=10, y=10, w=100)
    return bytes(pdf.output())


def encrypt(data: bytes, user: str, owner: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Registered Nurse", level=1)
    document.add_paragraph("Join our busy surgical ward team caring for adult patients every day.")
    document.add_heading("What you'll need", level=2)
    document.add_paragraph("Current NMC registration", style="List Bullet")
    document.add_paragraph(
        "Patient-centred care and medication administration", style="List Bullet"
    )
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Shift pattern"
    table.cell(0, 1).text = "Days and nights"
    table.cell(1, 0).text = "Location"
    table.cell(1, 1).text = "Leeds"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("word/media/image1.bin", b"\0" * (8 * 1024 * 1024))
    return out.getvalue()


HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Jobs | Acme</title><style>body { color: red }</style>
<script>window.track("Apply now"); var secret = "Kubernetes";</script></head>
<body>
<header><a href="/">Acme careers</a> <a href="/jobs">All jobs</a></header>
<nav><ul><li>Home</li><li>Teams</li></ul></nav>
<main><article>
<h1>Frontend   Developer</h1>
<p>We build accessible booking tools
   for independent cinemas across the country.</p>
<h2>Requirements</h2>
<ul><li>Two years of <b>React</b> and TypeScript</li><li>CSS layout without a framework</li></ul>
<table><tr><th>Location</th><td>Bristol or remote</td></tr></table>
</article></main>
<div id="cookie-consent">We use cookies to improve your experience. <button>Accept all</button></div>
<footer>Copyright Acme Ltd</footer>
</body></html>
"""

RTF = (
    r"{\rtf1\ansi\ansicpg1252{\fonttbl\f0\fswiss Helvetica;}\f0\pard "
    r"Caf\'e9 Manager\par "
    r"We are looking for a caf\'e9 manager to run a busy neighbourhood coffee shop.\par "
    r"\bullet  Staff rotas and stock ordering\par "
    r"\bullet  Customer service and cash handling\par}"
)

LINKEDIN = """Skip to main content
LinkedIn
Home
My Network
Jobs
Messaging
Notifications
Senior Product Designer
Acme Health · London, England, United Kingdom · 2 days ago · Over 100 applicants
Promoted by hirer · Actively reviewing applicants
Hybrid · Full-time
Easy Apply
Save
Share
Report this job
About the job
We are looking for a senior product designer to lead design for our patient booking app.
Responsibilities
• Run user research with patients and clinicians
• Own the design system in Figma
Show more
About the company
12,345 followers
Follow
We use cookies to improve your experience. By clicking Accept, you consent to our use of cookies.
Accept
Reject
"""

INDEED = """Find jobs
Company reviews
Find salaries
Warehouse Operative
Posted 3 days ago
Urgently hiring
Apply now
Save job
Full job description
We need a warehouse operative to pick, pack and dispatch orders on day shifts in our depot.
Forklift licence preferred; training is provided for the right person.
Report job
Not interested
"""


# ---------------------------------------------------------------------------- formats
def test_pdf_text_is_extracted_and_dehyphenated() -> None:
    job = from_bytes("jd.pdf", make_pdf(POSTING), limits=LIMITS)
    assert job.format == "pdf"
    assert "Apache Spark and Kafka" in job.text
    assert "the development of reliable" in job.text
    start = job.text.index("development")
    assert job.quote(start, start + len("development")) == "develop-\nment"
    assert not job.notices


def test_pdf_over_the_page_limit_reads_the_first_pages_with_a_notice() -> None:
    data = make_pdf(POSTING, "Benefits: a pension and free lunches on Fridays.", "Legal text page.")
    job = from_bytes("long.pdf", data, limits=IntakeLimits(max_pdf_pages=2))
    assert "free lunches" in job.text and "Legal text" not in job.text
    assert any("3 pages" in n and "first 2" in n for n in job.notices)


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(IntakeError, match="password-protected"):
        from_bytes("locked.pdf", encrypt(make_pdf(POSTING), user="secret"), limits=LIMITS)


def test_pdf_with_only_an_owner_password_still_opens() -> None:
    job = from_bytes("restricted.pdf", encrypt(make_pdf(POSTING), user=""), limits=LIMITS)
    assert "Apache Spark" in job.text


def test_scanned_pdf_without_text_layer_says_so() -> None:
    with pytest.raises(IntakeError, match=r"scanned PDF.*no text layer.*paste"):
        from_bytes("scan.pdf", image_only_pdf(), limits=LIMITS)


@pytest.mark.parametrize("data", [b"%PDF-1.7\n1 0 obj <<", b"%PDF-1.4\n" + bytes(range(256)) * 8])
def test_corrupt_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(IntakeError, match=r"not a readable PDF|could not be read|damaged"):
        from_bytes("broken.pdf", data, limits=LIMITS)


def test_docx_paragraphs_lists_and_tables() -> None:
    job = from_bytes("nurse.docx", make_docx(), limits=LIMITS)
    assert job.format == "docx"
    lines = job.text.splitlines()
    assert "Registered Nurse" in lines
    assert "- Current NMC registration" in lines
    assert "Shift pattern | Days and nights" in lines
    assert "Location | Leeds" in lines


def test_zip_bomb_docx_is_refused_before_unpacking() -> None:
    data = zip_bomb_docx()
    with pytest.raises(IntakeError, match="zip bomb"):
        check_docx_container("bomb.docx", data)
    with pytest.raises(IntakeError, match="zip bomb"):
        from_bytes("bomb.docx", data, limits=LIMITS)


def test_docx_with_thousands_of_members_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(2_100):
            archive.writestr(f"word/x{n}.xml", "")
    with pytest.raises(IntakeError, match="zip bomb"):
        from_bytes("many.docx", out.getvalue(), limits=LIMITS)


def test_corrupt_docx_is_refused() -> None:
    data = make_docx()
    with pytest.raises(IntakeError, match="not a readable Word document"):
        from_bytes("broken.docx", data[: len(data) // 2], limits=LIMITS)


def test_zip_that_is_not_a_word_document() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(IntakeError, match="ZIP archive"):
        from_bytes("jd.docx", out.getvalue(), limits=LIMITS)


def test_html_page_drops_furniture_and_keeps_structure() -> None:
    job = from_bytes("job.html", HTML_PAGE, limits=LIMITS)
    lines = job.text.splitlines()
    assert lines[0] == "Frontend Developer"
    assert "Requirements" in lines
    assert "- Two years of React and TypeScript" in lines
    assert "- CSS layout without a framework" in lines
    assert "Location | Bristol or remote" in lines
    assert "We build accessible booking tools for independent cinemas across the country." in lines
    for gone in ("Kubernetes", "color", "Home", "Acme careers", "cookies", "Copyright"):
        assert gone not in job.text


def test_pasted_html_source_is_read_as_html() -> None:
    job = from_text(HTML_PAGE.decode(), limits=LIMITS)
    assert job.format == "html" and "- CSS layout without a framework" in job.text


def test_rtf() -> None:
    job = from_bytes("cafe.rtf", RTF.encode("ascii"), limits=LIMITS)
    assert job.format == "rtf"
    assert job.text.splitlines()[0] == "Café Manager"
    assert "- Staff rotas and stock ordering" in job.text.splitlines()


def test_linkedin_paste_loses_boilerplate_not_content() -> None:
    job = from_text(LINKEDIN, limits=LIMITS)
    lines = job.text.splitlines()
    assert lines[0] == "Senior Product Designer"
    assert "Acme Health · London, England, United Kingdom" in lines
    assert "Hybrid · Full-time" in lines
    assert "- Run user research with patients and clinicians" in lines
    assert "About the company" in lines
    for gone in ("Easy Apply", "applicants", "Show more", "followers", "cookies", "Report"):
        assert gone not in job.text
    assert "Follow" not in lines and "Save" not in lines and "Home" not in lines
    assert any("page furniture" in n for n in job.notices)
    start = job.text.index("Own the design system")
    assert job.quote(start, start + 21) == "Own the design system"


def test_indeed_paste() -> None:
    job = from_text(INDEED, limits=LIMITS)
    assert job.text.splitlines()[0] == "Warehouse Operative"
    assert "Forklift licence preferred" in job.text
    for gone in ("Posted", "Urgently", "Apply now", "Save job", "Report job", "Find salaries"):
        assert gone not in job.text


def test_boilerplate_detection_is_conservative() -> None:
    for line in ("Apply now", "Save job", "87 applicants", "Posted 3 days ago", "Show more"):
        assert is_boilerplate_line(line)
    for line in (
        "Apply statistical methods to customer data",
        "Save time for the team by automating reports",
        "Home care visits across the city",
        "Follow up with patients after discharge",
        "We bake cookies and bread every morning",
    ):
        assert not is_boilerplate_line(line)


# ---------------------------------------------------------------------------- detection
def test_a_pdf_named_txt_is_read_as_pdf() -> None:
    job = from_bytes("posting.txt", make_pdf(POSTING), limits=LIMITS)
    assert job.format == "pdf" and "Apache Spark" in job.text
    assert any("actually a PDF" in n for n in job.notices)


def test_text_named_pdf_and_docx_named_md_are_read_by_content() -> None:
    job = from_bytes("posting.pdf", POSTING.encode(), limits=LIMITS)
    assert job.format == "text" and any("actually plain text" in n for n in job.notices)
    assert from_bytes("posting.md", make_docx(), limits=LIMITS).format == "docx"


def test_sniff_signatures() -> None:
    assert sniff(b"%PDF-1.7 ...") is Kind.PDF
    assert sniff(make_docx()) is Kind.DOCX
    assert sniff(RTF.encode()) is Kind.RTF
    assert sniff(HTML_PAGE) is Kind.HTML
    assert sniff(b"<div><p>Hello</p><ul><li>x</li></ul></div>") is Kind.HTML
    assert sniff(POSTING.encode()) is Kind.TEXT
    assert sniff(b"Use <br> sparingly in **Markdown**.") is Kind.TEXT
    assert sniff(POSTING.encode("utf-16-le")) is Kind.TEXT


def test_utf16_without_bom_is_text() -> None:
    job = from_bytes("jd.txt", POSTING.encode("utf-16-le"), limits=LIMITS)
    assert "Apache Spark" in job.text


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(200), r"image \(despite the \.txt name\)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), r"old-style Word \(\.doc\)"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), r"binary file"),
    ],
)
def test_binaries_are_refused_by_what_they_are(data: bytes, pattern: str) -> None:
    with pytest.raises(IntakeError, match=pattern):
        from_bytes("jd.txt", data, limits=LIMITS)


@pytest.mark.parametrize("data", [b"", b"   \n\n\t", b"\xef\xbb\xbf\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(IntakeError, match="empty"):
        from_bytes("jd.txt", data, limits=LIMITS)


def test_html_with_no_text_says_so() -> None:
    with pytest.raises(IntakeError, match="no readable text"):
        from_bytes(
            "jd.html",
            b"<html><body><script>x()</script><nav>Home</nav></body></html>",
            limits=LIMITS,
        )


# ---------------------------------------------------------------------------- limits
GERMAN = (
    "Wir suchen eine erfahrene Softwareentwicklerin oder einen erfahrenen Softwareentwickler "
    "für unser Team in Berlin. Sie entwickeln und betreiben unsere Zahlungsplattform mit Python "
    "und arbeiten eng mit dem Produktteam zusammen. Sie bringen mehrere Jahre Berufserfahrung mit."
)


def test_non_english_warns_by_default_and_names_the_language() -> None:
    job = from_text(GERMAN, limits=LIMITS)
    assert any("German" in n and "(de)" in n for n in job.notices)


def test_non_english_is_refused_when_configured() -> None:
    with pytest.raises(IntakeError, match=r"German \(de"):
        from_text(GERMAN, limits=IntakeLimits(language_policy="refuse"))


@pytest.mark.parametrize(
    "text",
    [POSTING, "Python Django Flask PostgreSQL Kubernetes Docker AWS Terraform Kafka Redis"],
)
def test_english_and_keyword_lists_are_not_flagged(text: str) -> None:
    job = from_text(text, limits=IntakeLimits(language_policy="refuse"))
    assert not any("looks like it is in" in n for n in job.notices)


def test_limits_from_settings() -> None:
    settings = load_settings(
        environ={
            "INTERVIEW_BOT_MAX_PDF_PAGES": "3",
            "INTERVIEW_BOT_JD_LANGUAGE_POLICY": "refuse",
            "INTERVIEW_BOT_EXTRACTION_TIMEOUT": "2.5",
            "INTERVIEW_BOT_MAX_JD_CHARS": "5000",
        }
    )
    limits = IntakeLimits.from_settings(settings)
    assert limits == IntakeLimits(
        max_bytes=settings.max_jd_bytes,
        max_chars=5000,
        max_pdf_pages=3,
        timeout_s=2.5,
        language_policy="refuse",
    )


def test_extraction_past_the_deadline_is_refused() -> None:
    with pytest.raises(IntakeError, match=r"took longer than 0\.001 s"):
        from_bytes("jd.pdf", make_pdf(POSTING), limits=IntakeLimits(timeout_s=0.001))


def test_a_worker_that_dies_is_a_clear_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker.sys, "executable", "/bin/false")
    with pytest.raises(IntakeError, match="reader failed"):
        from_bytes("jd.pdf", make_pdf(POSTING), limits=LIMITS)


def test_no_subprocess_falls_back_to_reading_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(worker.subprocess, "Popen", refuse)
    assert "Apache Spark" in from_bytes("jd.pdf", make_pdf(POSTING), limits=LIMITS).text


def test_from_path_reads_documents(tmp_path: Path) -> None:
    path = tmp_path / "nurse.docx"
    path.write_bytes(make_docx())
    assert "Current NMC registration" in from_path(path, limits=LIMITS).text
    with pytest.raises(IntakeError, match="directory"):
        from_path(tmp_path, limits=LIMITS)
    with pytest.raises(IntakeError, match="No such file"):
        from_path(tmp_path / "missing.pdf", limits=LIMITS)


# ---------------------------------------------------------------------------- normalisation
def test_normalise_unicode_bullets_hyphens_and_spaces() -> None:
    raw = (
        "Cafe\u0301  manager\u00a0\u00a0role\r\n"
        "\u2022\tStock   ordering\n"
        "\u25aa Staff rotas\n"
        "* Cash handling\n"
        "well-\nknown brand, Python-\nbased tools, manage-\nment duties\n\n\n\n"
        "soft\u00ad\nware and in\u00advoices   \n"
    )
    text = normalise(raw)
    assert text.splitlines() == [
        "Café manager role",
        "- Stock ordering",
        "- Staff rotas",
        "- Cash handling",
        "well-known brand, Python-based tools, management duties",
        "",
        "software and invoices",
    ]
    assert unicodedata.is_normalized("NFC", text)


def test_mapping_quotes_the_original() -> None:
    raw = "Cafe\u0301  manager\n\u2022\tStock ordering\nmanage-\nment"
    job = from_text(raw + " of the team, rotas, budgets and customer service.", limits=LIMITS)
    start = job.text.index("Café")
    assert job.quote(start, start + 4) == "Cafe\u0301"
    start = job.text.index("- Stock")
    assert job.quote(start, start + 7) == "\u2022\tStock"
    start = job.text.index("management")
    assert job.quote(start, start + 10) == "manage-\nment"
    assert job.to_original(0, 0) == (0, 0)
    assert job.to_original(len(job.text), len(job.text)) == (len(job.original),) * 2
    with pytest.raises(ValueError):
        job.to_original(3, 2)


def test_hand_built_job_text_is_its_own_original() -> None:
    job = JobText("Some text here", "test")
    assert job.original == job.text and job.to_original(2, 6) == (2, 6)


def _collapse(text: str) -> str:
    return " ".join(text.split())


_PLAIN = st.lists(
    st.sampled_from(
        [*"abcdeéXYZ019.,:;()/&'", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000"]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=120, deadline=None)
@given(raw=_PLAIN, data=st.data())
def test_any_span_maps_back_to_the_same_words(raw: str, data: st.DataObject) -> None:
    assume(not any(is_boilerplate_line(line) for line in raw.replace("\r", "\n").split("\n")))
    mapped = normalise_mapped(raw)
    job = JobText(mapped.text, "t", (), raw, "text", mapped.starts, mapped.ends)
    i = data.draw(st.integers(0, len(job.text)))
    j = data.draw(st.integers(i, len(job.text)))
    a, b = job.to_original(i, j)
    assert 0 <= a <= b <= len(raw)
    assert _collapse(raw[a:b]) == _collapse(job.text[i:j])


_RICH = st.lists(
    st.sampled_from(
        [
            *"abcXY-.,",
            *(" ", "\t", "\n", "\r\n", "\u00a0", "\u00ad", "\u200b", "\x0c"),
            *("e\u0301", "\u212b", "\u2022 ", "\u25aa", "* ", "-\n", "\ud800", "\x00"),
        ]
    ),
    max_size=80,
).map("".join)


def _fold(text: str) -> str:
    """Equal up to what normalisation is allowed to change: spacing, composition, bullet marks."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c.isalnum() or c in ".,")


@settings(max_examples=120, deadline=None)
@given(raw=_RICH, data=st.data())
def test_any_span_maps_back_even_through_bullets_and_hyphens(raw: str, data: st.DataObject) -> None:
    assume(not any(is_boilerplate_line(line) for line in raw.replace("\r", "\n").split("\n")))
    mapped = normalise_mapped(raw)
    job = JobText(mapped.text, "t", (), raw, "text", mapped.starts, mapped.ends)
    i = data.draw(st.integers(0, len(job.text)))
    j = data.draw(st.integers(i, len(job.text)))
    a, b = job.to_original(i, j)
    assert 0 <= a <= b <= len(raw)
    assert _fold(raw[a:b]) == _fold(job.text[i:j])
    assert list(mapped.starts) == sorted(mapped.starts)


# ---------------------------------------------------------------------------- robustness
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=3000), name=st.sampled_from(["a.txt", "a.md", "a.html", "a", "a.rtf"])
)
def test_arbitrary_bytes_only_ever_raise_intake_error(data: bytes, name: str) -> None:
    try:
        job = from_bytes(name, data, limits=LIMITS)
    except IntakeError:
        return
    assert job.text and job.text == job.text.strip()


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["pdf", "docx", "html", "rtf"]),
    tail=st.binary(max_size=600),
)
def test_parsers_on_garbage_only_raise_intake_error(kind: str, tail: bytes) -> None:
    # The same function the worker process runs, called in-process to keep this fast.
    prefix = {"pdf": b"%PDF-1.4\n", "docx": b"PK\x03\x04", "html": b"<html>", "rtf": b"{\\rtf1 "}
    with contextlib.suppress(IntakeError):
        worker.extract(kind, "x", prefix[kind] + tail, max_pages=5, max_chars=60_000)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=2000))
def test_arbitrary_pasted_text_only_ever_raises_intake_error(text: str) -> None:
    with contextlib.suppress(IntakeError):
        from_text(text, limits=LIMITS)


def test_huge_paste_is_refused_before_normalising() -> None:
    with pytest.raises(IntakeError, match=r"300,000 characters; the limit is 1,000"):
        from_text("word " * 60_000, limits=IntakeLimits(max_chars=1000))
