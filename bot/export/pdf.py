"""One session as a PDF (issue 11), for a mentor who wants a file rather than a link.

fpdf2 because it is pure Python (no system libraries, no browser), embeds TrueType fonts and PNGs,
and writes text a PDF reader (and pypdf, in our tests) can extract and search. The content and
its order are the Markdown export's (``bot.export.outline``), with the competency chart added.

Unicode: candidates answer in any language, so text is set in DejaVu Sans, which matplotlib (a
core dependency) ships inside its package; Debian's ``fonts-dejavu-core`` is the second place we
look. Characters DejaVu lacks (CJK, emoji) come out as blanks rather than errors. With no
TrueType font at all the export still works: text is transliterated to Latin-1 for the PDF core
font (accents dropped, other characters as "?"), which loses detail but never the document.

CPU-bound and synchronous: callers on an event loop run ``session_pdf`` in a thread.
"""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from pathlib import Path

from bot.evaluation.chart import competency_chart
from bot.export.outline import SessionOutline, outline
from bot.ports import SessionRecord
from bot.render import score_text

log = logging.getLogger(__name__)

FAMILY = "DejaVu"
_DEBIAN_FONTS = Path("/usr/share/fonts/truetype/dejavu")
# Typographic characters Latin-1 lacks, for the no-TrueType fallback.
_LATIN1_SUBSTITUTES = str.maketrans(
    {"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "…": "...", "•": "-", "·": "-",
     "→": "->", "≤": "<=", "≥": ">=", "−": "-", "\u00a0": " "}
)  # fmt: skip


@functools.cache
def dejavu_fonts() -> tuple[Path, Path] | None:
    """(regular, bold) DejaVu Sans TTF files, or None when neither place has both."""
    places: list[Path] = []
    try:
        import matplotlib

        places.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a core dependency
        pass
    places.append(_DEBIAN_FONTS)
    for place in places:
        regular, bold = place / "DejaVuSans.ttf", place / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def latin1(text: str) -> str:
    """Text the PDF core fonts can set: accents dropped, other characters replaced by "?"."""
    text = text.translate(_LATIN1_SUBSTITUTES)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class _Writer:
    """Paragraph-level helpers over one ``FPDF`` document, with the font choice made once."""

    def __init__(self, fonts: tuple[Path, Path] | None) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(18, 18, 18)
        self.pdf.set_auto_page_break(True, margin=18)
        self.unicode = fonts is not None
        if fonts is not None:
            self.pdf.add_font(FAMILY, "", str(fonts[0]))
            self.pdf.add_font(FAMILY, "B", str(fonts[1]))
            self.family = FAMILY
        else:
            log.warning("PDF without a TrueType font (DejaVu not found): Latin-1 text only")
            self.family = "helvetica"
        self.pdf.add_page()

    def text(self, value: str) -> str:
        return value if self.unicode else latin1(value)

    def paragraph(
        self,
        value: str,
        *,
        size: float = 10.5,
        bold: bool = False,
        colour: tuple[int, int, int] = (29, 33, 39),
        indent: float = 0.0,
        after: float = 1.5,
        fill: tuple[int, int, int] | None = None,
    ) -> None:
        from fpdf.enums import XPos, YPos

        pdf = self.pdf
        pdf.set_font(self.family, "B" if bold else "", size)
        pdf.set_text_color(*colour)
        if fill is not None:
            pdf.set_fill_color(*fill)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(
            pdf.epw - indent, size * 0.5, self.text(value), align="L", fill=fill is not None,
            new_x=XPos.LMARGIN, new_y=YPos.NEXT, padding=2 if fill is not None else 0,
        )  # fmt: skip
        pdf.ln(after)

    def heading(self, value: str, size: float) -> None:
        if self.pdf.get_y() > self.pdf.h - 45:  # keep a heading with what follows it
            self.pdf.add_page()
        self.pdf.ln(size * 0.25)
        self.paragraph(value, size=size, bold=True, after=1.0)

    def image(self, png: bytes) -> None:
        pdf = self.pdf
        width = pdf.epw
        from PIL import Image

        with Image.open(io.BytesIO(png)) as picture:
            height = width * picture.height / picture.width
        if pdf.get_y() + height > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, h=height, alt_text="Score chart")
        pdf.ln(2)


def _write(writer: _Writer, view: SessionOutline, chart_png: bytes | None) -> None:
    grey = (90, 98, 108)
    writer.paragraph(f"Mock interview: {view.title}", size=17, bold=True, after=2)
    writer.paragraph("  ·  ".join(f"{k}: {v}" for k, v in view.facts), colour=grey, after=1)
    if view.skills:
        writer.paragraph(f"Job skills: {', '.join(view.skills)}", colour=grey)
    writer.heading("Questions and answers", 14)
    if not view.questions:
        writer.paragraph("No questions were answered.", colour=grey)
    for block in view.questions:
        writer.heading(f"{block.number}. {block.text}", 11.5)
        for part in block.parts:
            if part.follow_up:
                writer.paragraph(f"Follow-up: {part.follow_up}", bold=True, size=10)
            if part.skipped:
                writer.paragraph("Skipped.", colour=grey)
                continue
            writer.paragraph(part.answer, fill=(243, 245, 248), indent=2, after=2)
            if part.score:
                hints = f" (hints used: {part.hints_used})" if part.hints_used else ""
                writer.paragraph(f"Score: {part.score}{hints}", bold=True, size=10)
            if part.feedback:
                writer.paragraph(part.feedback, size=10)
    recap = view.recap
    if recap is None:
        return
    writer.heading("Recap", 14)
    writer.paragraph(f"Overall: {score_text(recap.overall)}", bold=True, size=12)
    if chart_png:
        writer.image(chart_png)
    for item in recap.competencies:
        writer.paragraph(f"{item.name}: {score_text(item.score)}", size=10.5, after=0.5)
    if recap.strengths:
        writer.heading("Strengths", 12)
        for strength in recap.strengths:
            writer.paragraph(f"• {strength}", indent=2)
    if recap.improvements:
        writer.heading("To improve", 12)
        for improvement in recap.improvements:
            writer.paragraph(f"• {improvement.area}: {improvement.advice}", indent=2)
            if improvement.rewrite:
                writer.paragraph(f"Rewrite: {improvement.rewrite}", indent=8, colour=grey)
    if recap.skills_not_covered:
        writer.paragraph(f"Job skills not drawn on: {', '.join(recap.skills_not_covered)}")
    if recap.next_focus:
        writer.paragraph(f"Practise next: {', '.join(recap.next_focus)}")


def session_pdf(
    record: SessionRecord, *, chart_png: bytes | None = None, core_font_only: bool = False
) -> bytes:
    """The session as PDF bytes. ``chart_png`` defaults to the recap's competency chart;
    ``core_font_only`` forces the Latin-1 fallback (what happens with no DejaVu anywhere)."""
    if chart_png is None and record.recap is not None:
        chart_png = competency_chart(record.recap)
    writer = _Writer(None if core_font_only else dejavu_fonts())
    view = outline(record)
    writer.pdf.set_title(writer.text(f"Mock interview: {view.title}"))
    writer.pdf.set_creator("interview-bot")
    _write(writer, view, chart_png)
    return bytes(writer.pdf.output())
