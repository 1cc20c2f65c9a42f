"""Progress over time (issue 11): one session as Markdown, score series per competency and skill,
and ``focus:weakest`` (spaced practice) resolved to names the planner understands.

Everything here reads ``SessionRecord``s the store already keeps; nothing new is stored, so
``forget`` and retention cover progress too. Access checks stay with the callers, which only ever
pass records the user may see: ``sessions_for_user``, or ``bot.access.viewable_session`` for one
session (its candidate and invited observers; same refusal for "not yours" and "no such id").
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain import SkillKind
from bot.planning.bank import QuestionBank, load_bank
from bot.planning.planner import Planner
from bot.ports import SessionRecord, Store
from bot.render import score_text

WEAKEST = "weakest"
# The weak/adequate boundary of the recap's bands: a job skill never practised ranks as if it had
# scored just there, so clearly weak areas still come before it and solid ones after it.
UNTRIED_SCORE = 2.5
# Staleness: each 28 days without practice lowers an area's effective score by one point (at most
# one): something scored 4 a year ago is due again before something scored 3.5 last week.
STALE_DAYS = 28.0
RECENT_SESSIONS = 3  # an area's level is the mean of its last few sessions, not its whole history
HISTORY_LIMIT = 200  # sessions read to build progress; more is past any useful trend


def when(timestamp: float) -> str:
    """A session's date in UTC: the same in every time zone, so exports and tests agree."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------- markdown
def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines()) or ">"


def session_markdown(record: SessionRecord) -> str:
    """The whole session (job, each question with the answer, score and feedback, then the recap)
    as Markdown: readable as plain text in a terminal and shareable with a mentor as a file."""
    profile = record.profile
    overall = score_text(record.recap.overall) if record.recap else record.state.replace("_", " ")
    lines = [
        f"# Mock interview: {profile.title}",
        "",
        f"- Date: {when(record.created_at)}",
        f"- Level: {profile.level.value} · domain: {profile.domain}",
        f"- State: {record.state.replace('_', ' ')} · overall: {overall}",
        f"- Session: `{record.id}`",
    ]
    skills = [s.name for s in profile.skills if s.kind is not SkillKind.SOFT]
    if skills:
        lines.append(f"- Job skills: {', '.join(skills)}")
    lines += ["", "## Questions and answers"]
    by_question: dict[int, list[int]] = defaultdict(list)
    for position, turn in enumerate(record.turns):
        by_question[turn.question_index].append(position)
    for index in sorted(by_question):
        first = record.turns[by_question[index][0]]
        lines += ["", f"### {index + 1}. {first.question_text}"]
        for position in by_question[index]:
            turn = record.turns[position]
            if turn.follow_up:
                lines += ["", f"**Follow-up:** {turn.question_text}"]  # probe is only its kind
            evaluation = turn.evaluation
            if evaluation is not None and evaluation.skipped:
                lines += ["", "_Skipped._"]
                continue
            lines += ["", _quote(turn.answer or "(no answer)")]
            if evaluation is not None:
                lines += ["", f"**Score:** {score_text(evaluation.score)}"]
                if evaluation.hints_used:
                    lines[-1] += f" (hints used: {evaluation.hints_used})"
                feedback = evaluation.feedback or evaluation.summary
                if feedback:
                    lines += ["", feedback]
    recap = record.recap
    if recap is not None:
        lines += ["", "## Recap", "", f"Overall: **{score_text(recap.overall)}**", ""]
        lines += ["| Competency | Score |", "|---|---|"]
        lines += [f"| {c.name} | {score_text(c.score)} |" for c in recap.competencies]
        if recap.strengths:
            lines += ["", "### Strengths", "", *(f"- {s}" for s in recap.strengths)]
        if recap.improvements:
            lines += ["", "### To improve", ""]
            for item in recap.improvements:
                lines.append(f"- **{item.area}**: {item.advice}")
                if item.rewrite:
                    lines.append(f"  - Rewrite: {item.rewrite}")
        if recap.skills_not_covered:
            lines += ["", f"Job skills not drawn on: {', '.join(recap.skills_not_covered)}"]
        if recap.next_focus:
            lines += ["", f"Practise next: {', '.join(recap.next_focus)}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- mastery
@dataclass(frozen=True, slots=True)
class Series:
    """One area's scores over time: ``kind`` is "competency" or "skill"; ``points`` are
    (session start, score 1-5), oldest first, one per session that scored the area."""

    kind: str
    name: str
    points: tuple[tuple[float, float], ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _session_scores(record: SessionRecord) -> dict[tuple[str, str], float]:
    """(kind, name) -> this session's score. Competencies come from the recap when there is one
    (it is what the user was shown); skills, and competencies of unfinished sessions, from the
    graded answers to questions on them."""
    by_area: dict[tuple[str, str], list[float]] = defaultdict(list)
    for turn in record.turns:
        evaluation = turn.evaluation
        if evaluation is None or evaluation.score is None:
            continue
        if not 0 <= turn.question_index < len(record.plan.questions):
            continue
        question = record.plan.questions[turn.question_index]
        by_area[("competency", question.competency)].append(evaluation.score)
        for skill in question.skills:
            by_area[("skill", skill)].append(evaluation.score)
    scores = {area: _mean(values) for area, values in by_area.items()}
    if record.recap is not None:
        scores = {k: v for k, v in scores.items() if k[0] != "competency"}
        for item in record.recap.competencies:
            if item.score is not None:
                scores[("competency", item.name)] = item.score
    return scores


def mastery(records: Iterable[SessionRecord]) -> list[Series]:
    """Score series per competency and per skill across sessions (cancelled ones left out),
    sorted by kind then name so charts and listings are stable."""
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.created_at, r.id)):
        if record.state == "cancelled":
            continue
        for area, score in _session_scores(record).items():
            points[area].append((record.created_at, round(score, 2)))
    return [
        Series(kind, name, tuple(values))
        for (kind, name), values in sorted(points.items(), key=lambda i: (i[0][0], i[0][1].lower()))
    ]


# ---------------------------------------------------------------------------------- weakest
def _effective(series: Series, now: float) -> float:
    recent = _mean([score for _, score in series.points[-RECENT_SESSIONS:]])
    idle_days = max(0.0, now - series.points[-1][0]) / 86_400
    return recent - min(1.0, idle_days / STALE_DAYS)


def weakest_focus(
    records: Sequence[SessionRecord],
    bank: QuestionBank,
    *,
    now: float | None = None,
    limit: int = 3,
) -> tuple[str, ...]:
    """Areas to practise next, weakest first, as focus names the planner can build questions for.

    Spaced practice: an area's effective score is the mean of its last few session scores minus
    up to one point for time since it was last practised; skills the latest job asks for but that
    were never practised rank as ``UNTRIED_SCORE``. Names the bank has no questions for are left
    out (a focus nobody can serve is ignored by the planner anyway). Ties break by name.
    """
    now = time.time() if now is None else now
    planner = Planner(bank)

    def bank_name(kind: str, name: str) -> str | None:
        found = (
            planner.focus_skills([name]) if kind == "skill" else planner.focus_competencies([name])
        )
        return found[0] if found else None

    ranked: dict[str, float] = {}
    for series in mastery(records):
        name = bank_name(series.kind, series.name)
        if name is not None:
            score = _effective(series, now)
            ranked[name] = min(score, ranked.get(name, score))
    latest = max(
        (r for r in records if r.state != "cancelled"),
        key=lambda r: (r.created_at, r.id),
        default=None,
    )
    if latest is not None:
        for skill in latest.profile.skills:
            if skill.kind is SkillKind.SOFT:
                continue
            name = bank_name("skill", skill.name)
            if name is not None and name not in ranked:
                ranked[name] = UNTRIED_SCORE
    order = sorted(ranked.items(), key=lambda item: (item[1], item[0].lower()))
    return tuple(name for name, _ in order[:limit])


@functools.cache
def _default_bank() -> QuestionBank:
    """The shipped bank, parsed once per process: resolving a focus must answer within Discord's
    three-second interaction window."""
    return load_bank()


async def resolve_focus(
    store: Store, user_key: str, focus: str, bank: QuestionBank | None = None
) -> str:
    """``focus`` with a ``weakest`` entry replaced by this user's weakest areas (comma-separated,
    as the engine's ``focus`` option takes it). Other entries pass through unchanged; with no
    history ``weakest`` resolves to nothing and the plan is the job's default."""
    entries = [e.strip() for e in focus.split(",") if e.strip()]
    if not any(e.casefold() == WEAKEST for e in entries):
        return focus
    records = await store.sessions_for_user(user_key, limit=HISTORY_LIMIT)
    weakest = weakest_focus(records, bank or _default_bank())
    resolved: list[str] = []
    for entry in entries:
        resolved.extend(weakest if entry.casefold() == WEAKEST else (entry,))
    return ",".join(dict.fromkeys(resolved))
