"""``Reply`` -> Block Kit messages, within Slack's limits, split rather than truncated.

Pure functions (no network, no slack_sdk objects): blocks are plain dicts, which is what the Web
API takes and what tests can assert on. Limits (https://docs.slack.dev/reference/block-kit): 50
blocks per message (100 in a Home tab), 3000 characters of section text, 2000 per section field
and at most 10 fields, 150 for a header, 75 for a button label, 2000 for a button value, 10
context elements. Long content becomes more sections, and more messages after 50 blocks; only
labels (headers, buttons) are ever shortened.

Buttons carry ``action_id = "iv:<action>"`` and ``value = "<owner>|<channel>|<thread_ts>"`` so a
click says whose session it acts on and where, without any state in this process.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Recap
from bot.events import ConversationRef, Reply, ReplyKind
from bot.ports import SessionRecord
from bot.render import delivery_lines, recap_text, score_text

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
BUTTON_LABEL_LIMIT = 75
FALLBACK_LIMIT = 3000
ACTION_PREFIX = "iv:"

LABELS = {
    "begin": "Start",
    "coding": "Include coding",
    "length": "Change length",
    "cancel": "Cancel",
    "hint": "Hint",
    "repeat": "Repeat",
    "skip": "Skip",
    "end": "End",
    "retake": "Retake",
    "focus": "Focus on…",
    "forget": "Delete everything",
}
STYLES = {"begin": "primary", "retake": "primary", "end": "danger", "forget": "danger"}
CONFIRM = {
    "end": ("End the interview?", "You'll get the recap for what you've answered so far.", "End"),
    "forget": (
        "Delete everything?",
        "All your interviews, answers and recaps are deleted. This cannot be undone.",
        "Delete",
    ),
}


@dataclass
class SlackMessage:
    """One ``chat.postMessage``: ``text`` is the notification/accessibility fallback."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    kind: ReplyKind = ReplyKind.NOTICE


# ---------------------------------------------------------------------- text
def escape(text: str) -> str:
    """Slack's three control characters; user and job text must never become mentions/links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph, line, then word boundaries.

    Nothing is dropped: only a single word longer than ``limit`` is cut mid-word.
    """
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= 0:
            cut = limit
        head = text[:cut].rstrip()
        if head:
            pieces.append(head)
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def escaped_pieces(text: str, limit: int, *, raw_limit: int = 0) -> list[str]:
    """``text`` escaped for mrkdwn, in pieces that fit ``limit`` *after* escaping (``<`` grows to
    ``&lt;``, so splitting the escaped string could cut an entity in half). A raw piece that
    grows too much is split again, smaller, until it fits."""
    out: list[str] = []
    for piece in split_text(text, raw_limit or limit):
        escaped = escape(piece)
        if len(escaped) <= limit or len(piece) == 1:
            out.append(escaped)
            continue
        smaller = min(len(piece) - 1, max(1, limit * len(piece) // len(escaped)))
        out.extend(escaped_pieces(piece, limit, raw_limit=smaller))
    return out


def clip_label(text: str, limit: int) -> str:
    """For labels only (headers, buttons), never for content: shortened with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fallback(text: str) -> str:
    return clip_label(text, FALLBACK_LIMIT) if len(text) > FALLBACK_LIMIT else text


# ---------------------------------------------------------------------- blocks
def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip_label(text, HEADER_LIMIT) or " "},
    }


def sections(text: str, *, prefix: str = "") -> list[Block]:
    """``text`` (raw, unescaped) as mrkdwn sections of at most 3000 characters each;
    ``prefix`` is trusted mrkdwn put before the first piece."""
    pieces = escaped_pieces(text, SECTION_TEXT_LIMIT - len(prefix))
    if prefix and pieces:
        pieces[0] = prefix + pieces[0]
    elif prefix:
        pieces = [prefix.strip()]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces]


def context(text: str) -> list[Block]:
    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": p}]}
        for p in escaped_pieces(text, SECTION_TEXT_LIMIT)
    ]


def action_value(owner: str, conversation: ConversationRef) -> str:
    return f"{owner}|{conversation.channel_id}|{conversation.thread_id}"


def parse_action_value(value: str) -> tuple[str, ConversationRef] | None:
    parts = value.split("|")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    return parts[0], ConversationRef("slack", parts[1], parts[2])


def button(name: str, value: str, label: str = "") -> Block:
    element: Block = {
        "type": "button",
        "action_id": ACTION_PREFIX + name,
        "text": {"type": "plain_text", "text": clip_label(label or LABELS.get(name, name), 75)},
        "value": value,
    }
    if name in STYLES:
        element["style"] = STYLES[name]
    if name in CONFIRM:
        title, text, confirm = CONFIRM[name]
        element["confirm"] = {
            "title": {"type": "plain_text", "text": title},
            "text": {"type": "plain_text", "text": text},
            "confirm": {"type": "plain_text", "text": confirm},
            "deny": {"type": "plain_text", "text": "Keep going"},
        }
    return element


def actions(
    names: Iterable[str], value: str, labels: Mapping[str, str] | None = None
) -> list[Block]:
    labels = labels or {}
    elements = [
        button(name, value, labels.get(name, "")) for name in names if labels.get(name, "x") != ""
    ]
    if not elements:
        return []
    return [{"type": "actions", "elements": elements[:25]}]


def pack(text: str, blocks: Sequence[Block], kind: ReplyKind) -> list[SlackMessage]:
    """Blocks into messages of at most 50; the fallback text goes with the first, and later
    messages say they continue it (a screen reader or a notification gets something useful)."""
    messages: list[SlackMessage] = []
    for start in range(0, len(blocks), MAX_BLOCKS):
        chunk = list(blocks[start : start + MAX_BLOCKS])
        note = fallback(text) if start == 0 else "(continued)"
        messages.append(SlackMessage(note, chunk, kind))
    return messages or [SlackMessage(fallback(text), [], kind)]


# ---------------------------------------------------------------------- replies
def _summary_text(reply: Reply) -> str:
    """The engine's briefing without its console-command hints (the buttons replace them)."""
    lines = [
        line
        for line in reply.text.splitlines()
        if "(/begin)" not in line and "/coding yes" not in line
    ]
    return "\n".join(lines).strip()


def render_summary(reply: Reply, value: str, labels: Mapping[str, str]) -> list[SlackMessage]:
    title = reply.profile.title if reply.profile is not None else "your interview"
    blocks = [header(f"Interview plan: {title}"), *sections(_summary_text(reply))]
    blocks += context(
        "Start when you're ready. Change the plan with the buttons or "
        "/interview length short|standard|long, /interview coding yes|no, /interview focus A,B."
    )
    names = ["begin", *[c for c in ("coding", "length") if c in reply.choices], "cancel"]
    trailing = actions(names, value, labels)
    return pack(reply.text, [*blocks[: MAX_BLOCKS - len(trailing)], *trailing], ReplyKind.SUMMARY)


def render_question(reply: Reply, value: str, footer: str) -> list[SlackMessage]:
    head, _, body = reply.text.partition("\n")
    if reply.follow_up or not body:
        blocks = sections(reply.text)
    else:
        blocks = sections(body, prefix=f"*{escape(head)}*\n")
    blocks += context(footer)
    names = [c for c in reply.choices if c in ("hint", "repeat", "skip", "end")]
    return pack(reply.text, [*blocks, *actions(names, value)], ReplyKind.QUESTION)


def _competency_blocks(recap: Recap) -> list[Block]:
    """A section per competency: fields *name + score + anchor* and *evidence*; evidence longer
    than a field continues in further sections rather than being cut."""
    blocks: list[Block] = []
    for item in recap.competencies:
        title = f"*{escape(item.name)}*\n{score_text(item.score)}"
        anchor = escaped_pieces(item.anchor, FIELD_TEXT_LIMIT - len(title) - 1)
        left = f"{title}\n{anchor[0]}" if anchor else title
        evidence = "\n".join(f"“{quote}”" for quote in item.evidence) or "(no quote: not answered)"
        quotes = escaped_pieces(evidence, FIELD_TEXT_LIMIT) or [" "]
        fields = [{"type": "mrkdwn", "text": left}, {"type": "mrkdwn", "text": quotes[0]}]
        blocks.append({"type": "section", "fields": fields})
        rest = [*anchor[1:], *quotes[1:]]
        for piece in rest:
            cont = f"*{escape(item.name)}* (cont.)"
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": cont},
                        {"type": "mrkdwn", "text": piece},
                    ],
                }
            )
    return blocks


def recap_blocks(recap: Recap, intro: str = "", usage: str = "") -> list[Block]:
    """The recap without its actions (the caller adds them at the very end)."""
    answered = f"{recap.questions_answered} of {recap.questions_total} questions answered"
    if recap.hints_used:
        answered += f", {recap.hints_used} hint(s) used"
    blocks = [header(f"Interview recap · overall {score_text(recap.overall)}")]
    blocks += sections(f"{intro}\n{answered}".strip())
    blocks.append({"type": "divider"})
    blocks += _competency_blocks(recap)
    blocks.append({"type": "divider"})
    strengths = "\n".join(f"• {s}" for s in recap.strengths) or (
        "(none clear yet: the answers were too brief to show one)"
    )
    blocks += sections(strengths, prefix="*Strengths*\n")
    if recap.improvements:
        lines = []
        for item in recap.improvements:
            lines.append(f"• {item.area}: {item.advice}")
            if item.rewrite:
                lines.append(f"   Try: {item.rewrite}")
        blocks += sections("\n".join(lines), prefix="*To improve*\n")
    if recap.delivery is not None:  # spoken answers: pace, fillers, pauses and advice
        blocks += sections("\n".join(delivery_lines(recap.delivery)))
    notes = []
    if recap.skills_covered:
        notes.append("Job skills you drew on: " + ", ".join(recap.skills_covered))
    if recap.skills_not_covered:
        notes.append("Required skills you never mentioned: " + ", ".join(recap.skills_not_covered))
    if recap.hints_used:
        notes.append("Each hint lowered that question's ceiling by one point.")
    if recap.next_focus:
        notes.append("Next focus: " + ", ".join(recap.next_focus))
    if usage:
        notes.append(usage)
    for note in notes:
        blocks += context(note)
    return blocks


def render_recap(reply: Reply, value: str) -> list[SlackMessage]:
    assert reply.recap is not None
    recap = reply.recap
    body = recap_text(recap)
    intro, _, rest = reply.text.partition(body)
    usage = rest.strip() if body in reply.text else ""
    intro = intro.replace("Here is your recap of what you answered.", "").strip()
    intro = intro.replace("Here is your recap.", "").strip()
    labels = {}
    if "focus" in reply.choices:
        focus = recap.next_focus[:3]
        labels["focus"] = clip_label("Focus on " + ", ".join(focus), 75) if focus else ""
    trailing = actions([c for c in reply.choices if c in ("retake", "focus")], value, labels)
    blocks = recap_blocks(recap, intro, usage)
    messages = pack(reply.text, blocks, ReplyKind.RECAP)
    if trailing:
        last = messages[-1]
        if len(last.blocks) + len(trailing) <= MAX_BLOCKS:
            last.blocks.extend(trailing)
        else:
            messages.append(SlackMessage("What next?", trailing, ReplyKind.RECAP))
    return messages


def render_text(reply: Reply) -> list[SlackMessage]:
    prefix = ":warning: " if reply.kind is ReplyKind.ERROR else ""
    return pack(reply.text, sections(reply.text, prefix=prefix), reply.kind)


def render_replies(
    replies: Sequence[Reply],
    value: str,
    *,
    labels: Mapping[str, str] | None = None,
    footer: str = "Reply in this thread with your answer.",
) -> list[SlackMessage]:
    """Every reply in order, as Slack messages."""
    messages: list[SlackMessage] = []
    for reply in replies:
        if reply.kind is ReplyKind.SUMMARY:
            messages += render_summary(reply, value, labels or {})
        elif reply.kind is ReplyKind.QUESTION:
            messages += render_question(reply, value, footer)
        elif reply.kind is ReplyKind.RECAP and reply.recap is not None:
            messages += render_recap(reply, value)
        else:
            messages += render_text(reply)
    return messages


# ---------------------------------------------------------------------- history and home
def _when(timestamp: float) -> str:
    """A Slack date token (shown in the reader's time zone) with a UTC fallback."""
    day = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    return f"<!date^{int(timestamp)}^{{date_short}}|{day}>"


def session_line(record: SessionRecord) -> str:
    answered = len({t.question_index for t in record.turns if t.answer})
    state = (
        f"overall {score_text(record.recap.overall)}"
        if record.recap is not None
        else record.state.replace("_", " ")
    )
    return f"{_when(record.created_at)} · {state} · {answered} of {len(record.plan.questions)} answered"


def history_blocks(records: Sequence[SessionRecord], *, limit: int = MAX_BLOCKS) -> list[Block]:
    """One section per past session (title, date, overall score) with its competency scores."""
    blocks: list[Block] = [header("Your mock interviews")]
    if not records:
        blocks += sections("No interviews yet. Start one with /interview start.")
        return blocks
    for record in records:
        if len(blocks) + 2 > limit:
            blocks += context(f"…and {len(records)} interviews in all.")
            break
        text = (
            f"*{escape(record.profile.title)}*\n{session_line(record)}"
            f" · `/interview show {record.id}`"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        if record.recap is not None and record.recap.competencies:
            scores = " · ".join(
                f"{c.name} {score_text(c.score)}" for c in record.recap.competencies[:8]
            )
            blocks += context(scores)[:1]
    return blocks[:limit]


def home_view(records: Sequence[SessionRecord]) -> dict[str, Any]:
    blocks = history_blocks(records, limit=MAX_HOME_BLOCKS - 2)
    blocks += context(
        "Start an interview with /interview start (paste the job description or upload it). "
        "/interview forget deletes everything."
    )
    return {"type": "home", "blocks": blocks}


def modal_metadata(channel_id: str, options: Mapping[str, str] | None = None) -> str:
    """The modal's ``private_metadata``: the channel alone, or JSON when options (``focus``)
    typed with ``/interview start`` must survive until the form is submitted."""
    if not options:
        return channel_id
    return json.dumps({"channel": channel_id, "options": dict(options)})


def parse_modal_metadata(metadata: str) -> tuple[str, dict[str, str]]:
    if not metadata.startswith("{"):
        return metadata, {}
    try:
        data = json.loads(metadata)
    except ValueError:
        return "", {}
    options = data.get("options") if isinstance(data, dict) else None
    clean = {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {}
    return str(data.get("channel") or ""), clean


_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TABLE_RULE = re.compile(r"^\|(?:\s*-+\s*\|)+\s*$")


def markdown_to_mrkdwn(markdown: str) -> str:
    """The session export's Markdown as Slack mrkdwn (raw, escaped later by ``sections``):
    headings and ``**bold**`` become ``*bold*``, table rows become ``cell · cell`` lines. Slack
    renders neither Markdown headings nor tables, so without this ``show`` would print symbols."""
    lines: list[str] = []
    for line in markdown.splitlines():
        if _TABLE_RULE.match(line):
            continue
        heading = _HEADING.match(line)
        if heading:
            line = f"*{heading.group(1).strip()}*"
        elif line.startswith("|") and line.rstrip().endswith("|"):
            line = " · ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        lines.append(_BOLD.sub(r"*\1*", line))
    return "\n".join(lines).strip()


def document_blocks(title: str, mrkdwn: str, *, limit: int = MAX_BLOCKS) -> list[Block]:
    """A long text (a shown session) as a header and sections, cut at ``limit`` blocks with a
    note saying where the rest is (Slack refuses a message of more than 50 blocks)."""
    blocks: list[Block] = [header(title), *sections(mrkdwn)]
    if len(blocks) > limit:
        blocks = blocks[: limit - 1] + context(
            "Too long to show in full here: add `markdown` to get the whole session as a file."
        )
    return blocks


def start_modal(
    channel_id: str,
    max_chars: int = SECTION_TEXT_LIMIT,
    options: Mapping[str, str] | None = None,
    length: str = "standard",
) -> dict[str, Any]:
    """The job-description modal: a pasted text box (Slack caps it at 3000) and a file picker
    for anything longer, plus length and coding."""

    def option(value: str, label: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": label}, "value": value}

    lengths = [option("short", "Short (5)"), option("standard", "Standard (8)")]
    lengths.append(option("long", "Long (12)"))
    codings = [option("auto", "If the job codes: ask"), option("yes", "Yes"), option("no", "No")]
    return {
        "type": "modal",
        "callback_id": "iv_start",
        "private_metadata": modal_metadata(channel_id, options),
        "title": {"type": "plain_text", "text": "Mock interview"},
        "submit": {"type": "plain_text", "text": "Read it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "jd_text",
                "optional": True,
                "label": {"type": "plain_text", "text": "Paste the job description"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": min(max_chars, SECTION_TEXT_LIMIT),
                },
            },
            {
                "type": "input",
                "block_id": "jd_file",
                "optional": True,
                "label": {"type": "plain_text", "text": "…or upload it (longer postings)"},
                "element": {
                    "type": "file_input",
                    "action_id": "value",
                    "filetypes": ["txt", "md", "pdf", "docx", "html", "htm", "rtf"],
                    "max_files": 1,
                },
            },
            {
                "type": "input",
                "block_id": "length",
                "label": {"type": "plain_text", "text": "Length"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": lengths,
                    "initial_option": next(
                        (o for o in lengths if o["value"] == length), lengths[1]
                    ),
                },
            },
            {
                "type": "input",
                "block_id": "coding",
                "label": {"type": "plain_text", "text": "Coding question"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": codings,
                    "initial_option": codings[0],
                },
            },
        ],
    }
