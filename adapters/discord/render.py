"""``Reply`` -> Discord messages: embeds within Discord's limits, split rather than truncated.

Pure functions (no network): each reply becomes one or more ``Outgoing`` messages. Buttons are named
by the engine's ``choices`` (plus a few adapter-level ones for the summary); the cog turns them into
views because the buttons' ids depend on who owns the session and where it lives.

Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits): title
256, description 4096, 25 fields, field name 256, field value 1024, footer 2048, 6000 characters
per embed and across all embeds of one message, 10 embeds per message, 2000 characters of content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import discord

from bot.domain import Importance, JobProfile, Recap
from bot.events import Reply, ReplyKind
from bot.render import recap_text, score_text

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10

BLURPLE = discord.Colour.blurple()
GOLD = discord.Colour.gold()
GREEN = discord.Colour.green()
RED = discord.Colour.red()
GREY = discord.Colour.light_grey()

CHART_FILENAME = "competencies.png"
CODE_NOTICE = (
    "I see code in your answer. I've recorded it and graded what you explained; running and "
    "judging code arrives with the code sandbox, so it was not executed."
)
_FENCE = re.compile(r"```")


@dataclass
class Outgoing:
    """One Discord message to send."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    actions: tuple[str, ...] = ()
    chart: bytes | None = None


# ---------------------------------------------------------------------- text splitting
def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph, line, then word boundaries.

    Nothing is dropped: only a single word longer than ``limit`` is cut mid-word.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            position = window.rfind(separator)
            if position > 0:
                cut = position
                break
        if cut <= 0:
            pieces.append(rest[:limit])
            rest = rest[limit:]
        else:
            head = rest[:cut].rstrip()
            if head:
                pieces.append(head)
            rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def clip_label(text: str, limit: int) -> str:
    """For labels only (names, titles, button text), never for content: shortened with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def embed_size(embed: discord.Embed) -> int:
    return len(embed)


def has_code(text: str) -> bool:
    return len(_FENCE.findall(text)) >= 2


# ---------------------------------------------------------------------- embed building
@dataclass(frozen=True, slots=True)
class Section:
    name: str
    value: str
    inline: bool = False


def _field_chunks(section: Section) -> list[Section]:
    """A section as one or more fields of at most 1024 characters; continuations say so."""
    name = clip_label(section.name, FIELD_NAME_LIMIT - 10) or "\u200b"
    values = split_text(section.value, FIELD_VALUE_LIMIT) or ["\u200b"]
    return [
        Section(name if i == 0 else f"{name} (cont.)", value, section.inline and len(values) == 1)
        for i, value in enumerate(values)
    ]


def build_embeds(
    title: str,
    description: str,
    sections: Iterable[Section] = (),
    *,
    colour: discord.Colour = BLURPLE,
    footer: str = "",
) -> list[discord.Embed]:
    """Embeds holding everything given, each within the per-embed limits.

    The first embed carries the title; a long description continues in further embeds; fields fill
    embeds up to 25 fields and the 6000-character total; the footer goes on the last embed.
    """
    title = clip_label(title, TITLE_LIMIT)
    continued = clip_label(f"{title} (continued)", TITLE_LIMIT) if title else ""
    footer_parts = split_text(footer, FOOTER_LIMIT)
    footer_text = footer_parts[0] if len(footer_parts) == 1 else ""
    extra_footer = "\n".join(footer_parts) if len(footer_parts) > 1 else ""
    embeds: list[discord.Embed] = []

    def new_embed(text: str = "") -> discord.Embed:
        embed = discord.Embed(
            title=(title if not embeds else continued) or None,
            description=text or None,
            colour=colour,
        )
        embeds.append(embed)
        return embed

    descriptions = split_text(description, DESCRIPTION_LIMIT)
    current = new_embed(descriptions[0] if descriptions else "")
    for text in descriptions[1:]:
        current = new_embed(text)
    chunks = [chunk for section in sections for chunk in _field_chunks(section)]
    if extra_footer:
        chunks.extend(_field_chunks(Section("Note", extra_footer)))
    reserve = len(footer_text)
    for chunk in chunks:
        size = len(chunk.name) + len(chunk.value)
        if (
            len(current.fields) >= FIELD_COUNT_LIMIT
            or embed_size(current) + size + reserve > EMBED_TOTAL_LIMIT
        ):
            current = new_embed()
        current.add_field(name=chunk.name, value=chunk.value, inline=chunk.inline)
    if footer_text:
        if embed_size(embeds[-1]) + len(footer_text) > EMBED_TOTAL_LIMIT:
            new_embed()
        embeds[-1].set_footer(text=footer_text)
    return embeds


def pack_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages: at most 10 per message and 6000 characters across them."""
    messages: list[list[discord.Embed]] = []
    total = 0
    for embed in embeds:
        size = embed_size(embed)
        if (
            not messages
            or len(messages[-1]) >= EMBEDS_PER_MESSAGE
            or total + size > EMBED_TOTAL_LIMIT
        ):
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += size
    return messages


def _embed_messages(
    embeds: Sequence[discord.Embed],
    content: str = "",
    actions: tuple[str, ...] = (),
    chart: bytes | None = None,
) -> list[Outgoing]:
    """Messages for a run of embeds: content on the first, buttons on the last."""
    outgoing = [Outgoing(embeds=list(group)) for group in pack_messages(embeds)]
    if not outgoing:
        outgoing = [Outgoing()]
    contents = split_text(content, CONTENT_LIMIT)
    if contents:
        outgoing[0].content = contents[-1]
        outgoing[:0] = [Outgoing(content=text) for text in contents[:-1]]
    outgoing[-1].actions = actions
    if chart is not None:
        first = next(o for o in outgoing if o.embeds)
        first.chart = chart
        first.embeds[0].set_image(url=f"attachment://{CHART_FILENAME}")
    return outgoing


# ---------------------------------------------------------------------- per reply kind
def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def summary_sections(profile: JobProfile, question_total: int) -> list[Section]:
    required = _unique(
        s.name for s in profile.technical_skills if s.importance is Importance.REQUIRED
    )
    others = _unique(
        s.name for s in profile.technical_skills if s.importance is not Importance.REQUIRED
    )
    soft = _unique(s.name for s in profile.soft_skills)
    level = profile.level.value + (
        f" (from “{profile.level_evidence}”)" if profile.level_evidence else ""
    )
    sections = [
        Section("Level", level, inline=True),
        Section("Domain", profile.domain, inline=True),
        Section("Coding", "yes" if profile.coding_required else "no", inline=True),
    ]
    if required:
        sections.append(Section("Required skills", ", ".join(required)))
    if others:
        sections.append(Section("Also mentioned", ", ".join(others[:15])))
    if soft:
        sections.append(Section("Soft skills", ", ".join(soft[:10])))
    sections.append(Section("Planned questions", str(question_total), inline=True))
    return sections


def render_summary(reply: Reply, *, extra_actions: tuple[str, ...] = ()) -> list[Outgoing]:
    actions = (*reply.choices[:1], *extra_actions, *reply.choices[1:])
    if reply.profile is None:
        embeds = build_embeds("Job description summary", reply.text, colour=BLURPLE)
    else:
        embeds = build_embeds(
            reply.profile.title,
            "Here's what I read in the job description. Start when you're ready.",
            summary_sections(reply.profile, reply.question_total),
            colour=BLURPLE,
        )
    return _embed_messages(embeds, actions=actions)


_HEADER = re.compile(r"^Question \d+ of \d+ — .+$")


def render_question(reply: Reply, *, footer: str = "") -> list[Outgoing]:
    lines = reply.text.split("\n")
    title = ""
    body: list[str] = []
    for line in lines:
        if not title and _HEADER.match(line):
            title = line
        else:
            body.append(line)
    text = "\n".join(body).strip()
    if reply.follow_up:
        text = re.sub(r"^Follow-up — ", "", text, count=1, flags=re.MULTILINE)
        title = f"Follow-up · question {reply.question_number} of {reply.question_total}"
    if not title:
        title = f"Question {reply.question_number} of {reply.question_total}"
    embeds = build_embeds(title, text, colour=GOLD, footer=footer)
    return _embed_messages(embeds, actions=reply.choices)


def recap_sections(recap: Recap) -> tuple[str, list[Section]]:
    description = (
        f"**Overall: {score_text(recap.overall)}** — {recap.questions_answered} of "
        f"{recap.questions_total} questions answered"
        + (f", {recap.hints_used} hint(s) used" if recap.hints_used else "")
    )
    sections: list[Section] = []
    for item in recap.competencies:
        quotes = "\n".join(f"> “{quote}”" for quote in item.evidence[:2])
        value = item.anchor or "—"
        if quotes:
            value = f"{value}\n{quotes}"
        sections.append(Section(f"{item.name} — {score_text(item.score)}", value))
    sections.append(
        Section(
            "Strengths",
            "\n".join(f"+ {s}" for s in recap.strengths)
            or "None clear yet: the answers were too brief to show one.",
        )
    )
    for improvement in recap.improvements:
        value = improvement.advice
        if improvement.rewrite:
            value += f"\n*Try:* {improvement.rewrite}"
        sections.append(Section(f"To improve: {improvement.area}", value))
    if recap.skills_covered:
        sections.append(Section("Job skills you drew on", ", ".join(recap.skills_covered)))
    if recap.skills_not_covered:
        sections.append(
            Section("Required skills you never mentioned", ", ".join(recap.skills_not_covered))
        )
    if recap.next_focus:
        sections.append(Section("Next focus", ", ".join(recap.next_focus)))
    return description, sections


def render_recap(reply: Reply, *, chart: bytes | None = None) -> list[Outgoing]:
    if reply.recap is None:
        embeds = build_embeds("Recap", reply.text, colour=GREEN)
        return _embed_messages(embeds, actions=reply.choices)
    body = recap_text(reply.recap)
    header, _, footer = reply.text.partition(body)
    if not _:
        header, footer = "", ""
    description, sections = recap_sections(reply.recap)
    embeds = build_embeds(
        "Your interview recap", description, sections, colour=GREEN, footer=footer
    )
    return _embed_messages(embeds, content=header.strip(), actions=reply.choices, chart=chart)


def render_text(reply: Reply) -> list[Outgoing]:
    prefix = "⚠️ " if reply.kind is ReplyKind.ERROR else ""
    return [Outgoing(content=part) for part in split_text(prefix + reply.text, CONTENT_LIMIT)]


def render_replies(
    replies: Sequence[Reply],
    *,
    summary_actions: tuple[str, ...] = (),
    question_footer: str = "",
    chart: bytes | None = None,
    code_notice: bool = False,
) -> list[Outgoing]:
    """Every reply rendered, a short notice merged into the next message's content when it fits."""
    outgoing: list[Outgoing] = []
    pending: list[str] = [CODE_NOTICE] if code_notice else []
    for reply in replies:
        kind = str(reply.kind)  # compared as text: kinds added to the core later still render
        if kind in (ReplyKind.NOTICE, ReplyKind.ERROR, ReplyKind.FEEDBACK):
            pending.extend(o.content for o in render_text(reply))
            continue
        if kind == ReplyKind.SUMMARY:
            rendered = render_summary(reply, extra_actions=summary_actions)
        elif kind == ReplyKind.QUESTION:
            rendered = render_question(reply, footer=question_footer)
        elif kind == ReplyKind.RECAP:
            rendered = render_recap(reply, chart=chart)
        else:
            rendered = render_text(reply)
        if pending:
            joined = "\n\n".join(pending)
            first = rendered[0]
            merged = f"{joined}\n\n{first.content}".strip() if first.content else joined
            if len(merged) <= CONTENT_LIMIT:
                first.content = merged
            else:
                outgoing.extend(Outgoing(content=t) for t in split_text(joined, CONTENT_LIMIT))
            pending = []
        outgoing.extend(rendered)
    if pending:
        outgoing.extend(
            Outgoing(content=t) for t in split_text("\n\n".join(pending), CONTENT_LIMIT)
        )
    return outgoing
