"""The page a share link opens: one session's transcript and recap as a standalone HTML document.

Standalone on purpose: inline CSS, the chart as a ``data:`` PNG, no scripts, no fonts or images
from anywhere. The route can then send ``Content-Security-Policy: default-src 'none'`` and the
page still renders, a saved copy keeps working offline, and nothing on it can call home or reach
anything else of the candidate's. Every value from the session is HTML-escaped (answers and job
descriptions are user text). ``noindex``: a leaked link should not end up in a search engine.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape

from bot.evaluation.chart import competency_chart
from bot.export.outline import SessionOutline, outline
from bot.ports import SessionRecord
from bot.render import score_text

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2127;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; background: #fff;
  min-height: 100vh; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2.25rem 0 .75rem; padding-bottom: .3rem;
  border-bottom: 1px solid #e3e6ea; }
h3 { font-size: 1.05rem; margin: 1.75rem 0 .5rem; }
.facts { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0; padding: 0;
  list-style: none; color: #4a525c; font-size: .95rem; }
.facts b { color: #1d2127; font-weight: 600; }
.skills { color: #4a525c; }
.overall { font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ea;
  vertical-align: top; }
td.score, th.score { text-align: right; white-space: nowrap; width: 6rem; }
img.chart { display: block; max-width: 100%; height: auto; margin: 1rem 0; }
blockquote { margin: .5rem 0; padding: .6rem .9rem; background: #f3f5f8;
  border-left: 3px solid #9aa5b1; white-space: pre-wrap; overflow-wrap: anywhere; }
.followup { margin: 1rem 0 .25rem; font-style: italic; }
.score { font-weight: 600; }
.feedback { margin: .25rem 0 0; color: #333a42; }
.muted { color: #6b7480; }
footer { margin-top: 3rem; color: #6b7480; font-size: .85rem; }
@media print { body { background: #fff; } main { padding: 0; } }
"""

# (heading, explanation) per refusal reason (bot.share.REASONS).
REFUSALS: dict[str, tuple[str, str]] = {
    "tampered": (
        "This link is not valid",
        "The link is incomplete or has been changed. Ask the person who shared it to send it "
        "again, and copy it whole.",
    ),
    "unknown": (
        "This link does not open anything",
        "The interview it pointed to is no longer here (it may have been deleted). Ask the person "
        "who shared it for a new link.",
    ),
    "expired": (
        "This link has expired",
        "Shared interviews are visible for a limited time. Ask the person who shared it for a new "
        "link.",
    ),
    "revoked": (
        "This link was turned off",
        "The person who shared this interview has revoked the link.",
    ),
}


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _date_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _job(view: SessionOutline) -> list[str]:
    facts = "".join(f"<li>{escape(k)}: <b>{escape(v)}</b></li>" for k, v in view.facts)
    html = [f"<h1>Mock interview: {escape(view.title)}</h1>", f'<ul class="facts">{facts}</ul>']
    if view.skills or view.responsibilities:
        html.append("<h2>The job</h2>")
    if view.skills:
        html.append(f'<p class="skills">Job skills: {escape(", ".join(view.skills))}</p>')
    if view.responsibilities:
        items = "".join(f"<li>{escape(item)}</li>" for item in view.responsibilities)
        html.append(f"<p>Responsibilities:</p><ul>{items}</ul>")
    return html


def _recap(view: SessionOutline, chart_png: bytes | None) -> list[str]:
    recap = view.recap
    if recap is None:
        return [
            "<h2>Recap</h2>",
            '<p class="muted">This interview has no recap yet: it was not finished.</p>',
        ]
    html = [
        '<h2 id="recap">Recap</h2>',
        f'<p class="overall">Overall: <b>{escape(score_text(recap.overall))}</b>'
        f' <span class="muted">({recap.questions_answered} of {recap.questions_total}'
        " questions answered)</span></p>",
    ]
    if chart_png:
        data = base64.b64encode(chart_png).decode("ascii")
        html.append(
            f'<img class="chart" src="data:image/png;base64,{data}" '
            'alt="Bar chart of the score per competency">'
        )
    if recap.competencies:
        rows = "".join(
            f'<tr><td>{escape(c.name)}</td><td class="score">{escape(score_text(c.score))}</td>'
            f'<td class="muted">{escape(c.anchor)}</td></tr>'
            for c in recap.competencies
        )
        html.append(
            '<table><thead><tr><th>Competency</th><th class="score">Score</th><th>Rubric</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    html.append("<h3>Strengths</h3>")
    if recap.strengths:
        html.append("<ul>" + "".join(f"<li>{escape(s)}</li>" for s in recap.strengths) + "</ul>")
    else:
        html.append('<p class="muted">None clear yet: the answers were too brief to show one.</p>')
    if recap.improvements:
        items = []
        for item in recap.improvements:
            rewrite = f"<br><i>Try:</i> {escape(item.rewrite)}" if item.rewrite else ""
            items.append(f"<li><b>{escape(item.area)}</b>: {escape(item.advice)}{rewrite}</li>")
        html.append("<h3>To improve</h3><ul>" + "".join(items) + "</ul>")
    if recap.skills_not_covered:
        skills = escape(", ".join(recap.skills_not_covered))
        html.append(f"<p>Job skills not drawn on: {skills}</p>")
    if recap.next_focus:
        html.append(f"<p>Practise next: {escape(', '.join(recap.next_focus))}</p>")
    return html


def _transcript(view: SessionOutline) -> list[str]:
    html = ['<h2 id="transcript">Questions and answers</h2>']
    if not view.questions:
        html.append('<p class="muted">No questions were answered.</p>')
    for block in view.questions:
        html.append(f'<section class="question"><h3>{block.number}. {escape(block.text)}</h3>')
        for part in block.parts:
            if part.follow_up:
                html.append(f'<p class="followup">Follow-up: {escape(part.follow_up)}</p>')
            if part.skipped:
                html.append('<p class="muted">Skipped.</p>')
                continue
            html.append(f"<blockquote>{escape(part.answer)}</blockquote>")
            if part.score:
                hints = f" (hints used: {part.hints_used})" if part.hints_used else ""
                html.append(f'<p><span class="score">Score: {escape(part.score)}</span>{hints}</p>')
            if part.feedback:
                html.append(f'<p class="feedback">{escape(part.feedback)}</p>')
        html.append("</section>")
    return html


def session_page(
    record: SessionRecord, *, expires_at: float | None = None, chart_png: bytes | None = None
) -> str:
    """The shared page for one session. ``chart_png`` defaults to the recap's competency chart
    (drawn here with matplotlib: CPU-bound, so callers on an event loop run this in a thread)."""
    view = outline(record)
    if chart_png is None and record.recap is not None:
        chart_png = competency_chart(record.recap)
    body = [*_job(view), *_recap(view, chart_png), *_transcript(view)]
    until = f" until {escape(_date_time(expires_at))}" if expires_at is not None else ""
    body.append(
        f"<footer>Shared read-only by the candidate{until}, from an AI mock-interview coach. "
        "Scores are on a 1-5 scale (3 is adequate).</footer>"
    )
    return _document(f"Mock interview: {view.title}", "\n".join(body))


def refusal_page(reason: str) -> str:
    """The page for a link that does not open (``bot.share.ShareRefused.reason``)."""
    heading, explanation = REFUSALS.get(reason, REFUSALS["unknown"])
    body = f'<h1 class="refused">{escape(heading)}</h1>\n<p>{escape(explanation)}</p>'
    return _document(heading, body)
