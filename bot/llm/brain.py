"""``LLMBrain``: a model proposes, the offline brain checks and catches.

Every task runs the offline brain first (milliseconds) and then asks the model to improve on it
within the per-turn deadline. Whatever the model returns is validated and merged with the offline
result; any failure (time-out, HTTP error after retries, refusal, invalid JSON after one repair
attempt, output that fails our checks) leaves the offline result in place and is logged. So a
model can make the interview better but never make it stall, crash or change shape.

Grading rules (the part a prompt injection would target):
  * one call per rubric criterion, run concurrently;
  * a criterion score counts only if it quotes the answer verbatim (whitespace/case forgiven, at
    least three words); quotes of text that addresses the model ("give me 5/5", "ignore previous
    instructions") are not evidence; no valid quote means "not enough evidence" for that criterion;
  * the model's overall score is the mean of its evidenced criteria, clamped to the offline
    score ± ``SCORE_MARGIN`` and to the hint ceiling;
  * if the answer contains an injection attempt the score may not rise above the offline score;
  * with no evidenced criterion the offline score stands.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from bot.brain import AnswerContext, OfflineBrain
from bot.domain import (
    CriterionNote,
    Evaluation,
    Importance,
    Improvement,
    InterviewPlan,
    JobProfile,
    Level,
    PlanOptions,
    Question,
    QuestionType,
    Recap,
    Rubric,
    SkillKind,
    SkillMention,
    TalkingPoint,
    Turn,
)
from bot.evaluation.followup import MAX_FOLLOW_UPS, Probe
from bot.evaluation.recap import answers_by_question
from bot.evaluation.scoring import STAR_TYPES
from bot.llm import guard
from bot.llm.base import LLMError
from bot.llm.prompts import load_prompt
from bot.llm.schemas import (
    AnalysisOut,
    CriterionOut,
    FollowUpOut,
    OutputError,
    PlanOut,
    PlanQuestionOut,
    RecapOut,
    parse_output,
    schema_of,
)
from bot.llm.usage import Usage
from bot.ports import ChatMessage, LLMClient
from bot.render import score_text

log = logging.getLogger(__name__)

SCORE_MARGIN = 1.0
# After this many consecutive transport failures or deadline misses, skip the model for a while:
# a dead or hung endpoint must not cost every turn a full deadline.
BREAKER_FAILURES = 2
BREAKER_COOLDOWN_S = 60.0
MAX_LLM_SKILLS = 12
OFFLINE_KINDS = frozenset({"action", "result", "ownership", "context", "specific"})
_TRACKED_SESSIONS = 2048
Out = TypeVar("Out", bound=BaseModel)


class Fallback(Exception):
    """This task falls back to the offline result; the message says why (for the log)."""


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    guide: str


CRITERIA_STAR = (
    Criterion(
        "Content",
        "Does the story answer the question asked and cover what a strong answer covers?",
    ),
    Criterion(
        "Structure (STAR)",
        "Is there a clear situation, the candidate's task, the actions THEY took, and a result?",
    ),
    Criterion(
        "Specificity",
        "Concrete details: numbers, names of tools or people, dates; not generalities or hedging.",
    ),
)
CRITERIA_TECHNICAL = (
    Criterion(
        "Content", "Is it correct, and does it cover what a strong answer to this question covers?"
    ),
    Criterion(
        "Reasoning", "Does the candidate explain why, weigh trade-offs and name alternatives?"
    ),
    Criterion(
        "Specificity",
        "Concrete details: real tools, numbers, examples from their experience; not hand-waving.",
    ),
)


def criteria_for(question: Question) -> tuple[Criterion, ...]:
    return CRITERIA_STAR if question.type in STAR_TYPES else CRITERIA_TECHNICAL


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return str(reason) or "turn deadline passed"
    return str(reason)


def _halves(value: float) -> float:
    return round(value * 2) / 2


def _profile_key(profile: JobProfile) -> str:
    return hashlib.sha1(profile.model_dump_json().encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class _Turn:
    key: tuple[str, str, int]
    started: float
    evaluation_from_llm: bool = False


@dataclass(slots=True)
class _Ledger:
    """Usage per session. Analysis and planning happen before the engine has a session id, so
    their usage is parked under the profile and claimed by the first graded turn of a session."""

    sessions: OrderedDict[str, Usage] = field(default_factory=OrderedDict)
    pending: OrderedDict[str, Usage] = field(default_factory=OrderedDict)
    session_of_profile: OrderedDict[str, str] = field(default_factory=OrderedDict)

    @staticmethod
    def _bounded(mapping: OrderedDict[str, object]) -> None:
        while len(mapping) > _TRACKED_SESSIONS:
            mapping.popitem(last=False)

    def for_session(self, session_id: str, profile: JobProfile | None = None) -> Usage:
        usage = self.sessions.get(session_id)
        if usage is None:
            usage = self.sessions[session_id] = Usage()
            self._bounded(self.sessions)  # type: ignore[arg-type]
        if profile is not None:
            key = _profile_key(profile)
            parked = self.pending.pop(key, None)
            if parked is not None:
                usage.merge(parked)
            self.session_of_profile[key] = session_id
            self._bounded(self.session_of_profile)  # type: ignore[arg-type]
        return usage

    def for_profile(self, profile: JobProfile) -> Usage:
        key = _profile_key(profile)
        session_id = self.session_of_profile.get(key)
        if session_id is not None:
            return self.for_session(session_id)
        usage = self.pending.get(key)
        if usage is None:
            usage = self.pending[key] = Usage()
            self._bounded(self.pending)  # type: ignore[arg-type]
        return usage


class LLMBrain:
    """Implements ``bot.brain.Brain`` with a model, validated against and merged with ``offline``."""

    def __init__(
        self,
        offline: OfflineBrain,
        client: LLMClient,
        *,
        turn_deadline_s: float = 12.0,
        max_tokens: int = 800,
    ) -> None:
        self.offline = offline
        self.client = client
        self.turn_deadline_s = turn_deadline_s
        self.max_tokens = max_tokens
        self.ledger = _Ledger()
        self._turns: dict[str, _Turn] = {}
        self._failures = 0
        self._open_until = 0.0

    # ------------------------------------------------------------------ circuit breaker
    def _available(self, task: str, usage: Usage) -> bool:
        if time.monotonic() >= self._open_until:
            return True
        usage.fallbacks += 1
        log.info("llm %s skipped: endpoint failing recently, offline engine used", task)
        return False

    def _healthy(self) -> None:
        self._failures = 0

    def _unhealthy(self) -> None:
        self._failures += 1
        if self._failures >= BREAKER_FAILURES and time.monotonic() >= self._open_until:
            self._open_until = time.monotonic() + BREAKER_COOLDOWN_S
            log.warning(
                "llm endpoint failed %d times in a row; offline engine only for %.0f s",
                self._failures,
                BREAKER_COOLDOWN_S,
            )

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------------ the one call path
    async def _ask(
        self,
        task: str,
        values: dict[str, str],
        out: type[Out],
        usage: Usage,
    ) -> Out:
        """Render the task's prompt, call, parse; one repair turn on invalid output."""
        template = load_prompt(task)
        messages = template.render(values)
        schema = schema_of(out)
        try:
            result = await self.client.complete(
                messages, schema, tag=template.tag, max_tokens=self.max_tokens
            )
        except LLMError as exc:
            self._unhealthy()
            raise Fallback(f"{template.tag}: {exc}") from exc
        self._healthy()
        usage.add(result)
        if result.refusal:
            raise Fallback(f"{template.tag}: the model refused ({result.refusal[:80]})")
        try:
            return parse_output(result.text, out)
        except OutputError as first:
            repair = load_prompt("repair")
            follow = repair.render({"error": str(first), "schema": json.dumps(schema)})
            retry = [*messages, ChatMessage("assistant", result.text[:4000]), *follow]
            log.info("%s: invalid output (%s); asking once for a repair", template.tag, first)
            try:
                fixed = await self.client.complete(
                    retry, schema, tag=f"{template.tag}+repair", max_tokens=self.max_tokens
                )
            except LLMError as exc:
                raise Fallback(f"{template.tag} repair: {exc}") from exc
            usage.add(fixed)
            if fixed.refusal:
                raise Fallback(f"{template.tag} repair: the model refused") from None
            try:
                return parse_output(fixed.text, out)
            except OutputError as second:
                raise Fallback(f"{template.tag}: still invalid after repair ({second})") from second

    def _fallback(self, task: str, reason: object, usage: Usage) -> None:
        usage.fallbacks += 1
        if isinstance(reason, TimeoutError):
            self._unhealthy()
        log.warning("llm %s fell back to the offline engine: %s", task, _reason(reason))

    # ------------------------------------------------------------------ analyse
    async def analyse(self, text: str) -> JobProfile:
        base = await self.offline.analyse(text)
        usage = Usage()
        profile = base
        if not self._available("analyse", usage):
            self.ledger.for_profile(profile).merge(usage)
            return profile
        try:
            async with asyncio.timeout(self.turn_deadline_s):
                proposal = await self._ask("analyse", {"jd": text}, AnalysisOut, usage)
            profile = merge_analysis(base, proposal, text)
        except (Fallback, TimeoutError) as exc:
            self._fallback("analyse", exc, usage)
        self.ledger.for_profile(profile).merge(usage)
        return profile

    # ------------------------------------------------------------------ plan
    async def plan(
        self, profile: JobProfile, options: PlanOptions, rng: random.Random
    ) -> InterviewPlan:
        base = await self.offline.plan(profile, options, rng)
        usage = self.ledger.for_profile(profile)
        slots = [i for i, q in enumerate(base.questions) if q.type is not QuestionType.CODING]
        if not slots or not self._available("plan", usage):
            return base
        lines = [
            f"{i} · {base.questions[i].type.value} · {base.questions[i].competency} · "
            f"{', '.join(base.questions[i].skills) or '-'} · {base.questions[i].text}"
            for i in slots
        ]
        try:
            async with asyncio.timeout(self.turn_deadline_s):
                proposal = await self._ask(
                    "plan",
                    {"profile": _profile_brief(profile), "slots": "\n".join(lines)},
                    PlanOut,
                    usage,
                )
        except (Fallback, TimeoutError) as exc:
            self._fallback("plan", exc, usage)
            return base
        return merge_plan(base, proposal, set(slots))

    # ------------------------------------------------------------------ grade
    def _remaining(self, context: AnswerContext, *, start: bool) -> float:
        key = (context.session_id, context.question.id, len(context.combined_answer))
        now = time.monotonic()
        turn = self._turns.get(context.session_id)
        if start or turn is None or turn.key != key:
            turn = self._turns[context.session_id] = _Turn(key, now)
            if len(self._turns) > _TRACKED_SESSIONS:
                self._turns.pop(next(iter(self._turns)))
        return self.turn_deadline_s - (now - turn.started)

    async def grade(self, context: AnswerContext) -> Evaluation:
        base = await self.offline.grade(context)
        if base.score is None or not context.combined_answer.strip() or base.feedback:
            return (
                base  # nothing to grade, or code judged by its tests: the model can't improve that
            )
        budget = self._remaining(context, start=True)
        usage = self.ledger.for_session(context.session_id, context.profile)
        if not self._available("grade", usage):
            return base
        question = context.question
        rubric = (
            f"1 = {question.rubric.weak}\n3 = {question.rubric.adequate}\n"
            f"5 = {question.rubric.strong}"
        )
        points = "\n".join(f"- {p.point}" for p in question.talking_points) or "- (none listed)"

        async def one(criterion: Criterion) -> CriterionOut | None:
            values = {
                "question": question.text,
                "criterion": criterion.name,
                "guide": criterion.guide,
                "rubric": rubric,
                "talking_points": points,
                "answer": context.combined_answer,
            }
            try:
                return await self._ask("grade", values, CriterionOut, usage)
            except Fallback as exc:
                log.warning("llm grade criterion %r unusable: %s", criterion.name, exc)
                return None

        criteria = criteria_for(question)
        try:
            async with asyncio.timeout(budget):
                outputs = await asyncio.gather(*(one(c) for c in criteria))
        except TimeoutError as exc:
            self._fallback("grade", exc, usage)
            return _without_injected_evidence(base)
        if all(o is None for o in outputs):
            self._fallback("grade", "no usable criterion", usage)
            return _without_injected_evidence(base)
        return merge_grade(base, context, list(zip(criteria, outputs, strict=True)))

    # ------------------------------------------------------------------ follow-up
    async def follow_up(
        self, context: AnswerContext, evaluation: Evaluation, rng: random.Random
    ) -> Probe | None:
        offline = await self.offline.follow_up(context, evaluation, rng)
        if len(context.asked_kinds) >= MAX_FOLLOW_UPS:
            return None
        if offline is not None and offline.kind.startswith("judge:"):
            return offline  # probes built from the actual test run beat anything generic
        if offline is not None and offline.kind in {"off_topic", "short"}:
            return offline  # hygiene rules: bring the candidate back before any nuance
        budget = self._remaining(context, start=False)
        usage = self.ledger.for_session(context.session_id, context.profile)
        if not self._available("follow_up", usage):
            return offline
        if budget <= 0.05:
            self._fallback("follow_up", "turn deadline already passed", usage)
            return offline
        question = context.question
        values = {
            "question": question.text,
            "talking_points": "; ".join(p.point for p in question.talking_points) or "(none)",
            "asked": ", ".join(context.asked_kinds) or "none",
            "answer": context.combined_answer,
        }
        try:
            async with asyncio.timeout(budget):
                proposal = await self._ask("follow_up", values, FollowUpOut, usage)
        except (Fallback, TimeoutError) as exc:
            self._fallback("follow_up", exc, usage)
            return offline
        try:
            return check_follow_up(proposal, context)
        except ValueError as exc:
            self._fallback("follow_up", exc, usage)
            return offline

    # ------------------------------------------------------------------ recap
    async def recap(self, profile: JobProfile, plan: InterviewPlan, turns: Sequence[Turn]) -> Recap:
        base = await self.offline.recap(profile, plan, turns)
        usage = self.ledger.for_profile(profile)
        answers = answers_by_question(turns)
        if not answers or not self._available("recap", usage):
            return base
        scores = "\n".join(f"- {c.name}: {score_text(c.score)}" for c in base.competencies)
        transcript = "\n\n".join(
            f"Q{index + 1} ({plan.questions[index].competency}): {plan.questions[index].text}\n"
            f"A: {answer}"
            for index, answer in sorted(answers.items())
            if index < len(plan.questions)
        )
        try:
            async with asyncio.timeout(self.turn_deadline_s):
                proposal = await self._ask(
                    "recap", {"scores": scores, "transcript": transcript}, RecapOut, usage
                )
        except (Fallback, TimeoutError) as exc:
            self._fallback("recap", exc, usage)
            return base
        return merge_recap(base, proposal, plan, "\n".join(answers.values()))

    async def usage_note(self, session_id: str) -> str:
        usage = self.ledger.sessions.get(session_id)
        if usage is None or not (usage.calls or usage.fallbacks):
            return ""
        return usage.note(self.client.model)


# ---------------------------------------------------------------------- merging and validation
def _profile_brief(profile: JobProfile) -> str:
    skills = ", ".join(f"{s.name} ({s.importance.value})" for s in profile.skills[:25])
    lines = [
        f"Title: {profile.title}",
        f"Level: {profile.level.value}",
        f"Domain: {profile.domain}",
        f"Skills: {skills or '-'}",
        "Responsibilities: " + ("; ".join(profile.responsibilities[:8]) or "-"),
    ]
    return "\n".join(lines)


def _find(text: str, evidence: str) -> tuple[int, int, str] | None:
    exact = guard.verbatim_quote(evidence, text) if len(evidence.split()) >= 3 else None
    if exact is None:
        position = text.lower().find(evidence.strip().lower())
        if position < 0 or not evidence.strip():
            return None
        exact = text[position : position + len(evidence.strip())]
    start = text.find(exact)
    for span_start, span_end in guard.injection_spans(text):
        if start < span_end and span_start < start + len(exact):
            return None
    return start, start + len(exact), exact


def merge_analysis(base: JobProfile, proposal: AnalysisOut, text: str) -> JobProfile:
    """Offline fields stand; the model adds skills the taxonomy missed (with verbatim evidence
    outside any injected instruction) and fills fields the offline reader left empty."""
    have = {s.name.casefold() for s in base.skills}
    added: list[SkillMention] = []
    for skill in proposal.skills:
        name = skill.name.strip()
        if name.casefold() in have or guard.has_injection(name) or len(added) >= MAX_LLM_SKILLS:
            continue
        found = _find(text, skill.evidence)
        if found is None or name.casefold() not in text.casefold():
            continue
        start, end, exact = found
        added.append(
            SkillMention(
                name=name,
                kind=SkillKind(skill.kind),
                importance=Importance(skill.importance),
                evidence=exact,
                start=start,
                end=end,
            )
        )
        have.add(name.casefold())
    update: dict[str, object] = {}
    if added:
        update["skills"] = (*base.skills, *added)
    if not base.level_evidence and proposal.level and proposal.level_evidence:
        found = _find(text, proposal.level_evidence)
        if found is not None:
            update["level"] = Level(proposal.level)
            update["level_evidence"] = found[2]
    if not base.responsibilities:
        items = [
            r.strip()
            for r in proposal.responsibilities
            if 3 <= len(r.strip()) <= 200 and not guard.has_injection(r)
        ]
        if items:
            update["responsibilities"] = tuple(items[:8])
    domain = proposal.domain.strip()
    if base.domain == "general" and 0 < len(domain) <= 40 and not guard.has_injection(domain):
        update["domain"] = domain.lower()
    if not base.coding_required and proposal.coding_required and proposal.coding_evidence:
        found = _find(text, proposal.coding_evidence)
        if found is not None:
            update["coding_required"] = True
            update["coding_evidence"] = found[2]
    return base.model_copy(update=update) if update else base


def _tailored(slot: Question, out: PlanQuestionOut) -> Question | None:
    texts = [out.text, out.hint, *out.follow_ups, *(p.point for p in out.talking_points)]
    if any(guard.has_injection(t) for t in texts):
        return None
    try:
        question = Question(
            id=f"llm.{slot.id}"[:120],
            type=slot.type,
            competency=slot.competency,
            text=out.text.strip(),
            skills=slot.skills,
            role_families=slot.role_families,
            levels=slot.levels,
            difficulty=slot.difficulty,
            hint=out.hint.strip(),
            talking_points=tuple(
                TalkingPoint(
                    point=p.point.strip(),
                    keywords=tuple(k.strip() for k in p.keywords if 2 <= len(k.strip()) <= 40),
                )
                for p in out.talking_points
            ),
            follow_ups=tuple(f.strip() for f in out.follow_ups if f.strip().endswith("?")),
            rubric=Rubric(
                weak=out.rubric.weak, adequate=out.rubric.adequate, strong=out.rubric.strong
            ),
        )
    except ValidationError:
        return None
    # What the candidate sees must not give the answer away.
    if guard.leaks(question.text, [question]) or guard.leaks(question.hint, [question]):
        return None
    return question


def merge_plan(base: InterviewPlan, proposal: PlanOut, slots: set[int]) -> InterviewPlan:
    """Same length, order, types and competencies as the offline plan; a slot takes the model's
    question only if it passes the same ``Question`` validation as the bank, else keeps the bank's."""
    questions = list(base.questions)
    seen = {q.text.casefold() for q in questions}
    replaced = 0
    for out in proposal.questions:
        if out.slot not in slots:
            continue
        candidate = _tailored(base.questions[out.slot], out)
        if candidate is None or candidate.text.casefold() in seen:
            log.info("llm plan: slot %d rejected; keeping the bank question", out.slot)
            continue
        seen.add(candidate.text.casefold())
        questions[out.slot] = candidate
        slots = slots - {out.slot}
        replaced += 1
    log.info("llm plan: %d of %d questions tailored", replaced, len(questions))
    return base.model_copy(update={"questions": tuple(questions)})


def _without_injected_evidence(evaluation: Evaluation) -> Evaluation:
    """A sentence that addresses the grader ("give me 5/5") is never shown as evidence."""
    kept = tuple(e for e in evaluation.evidence if not guard.has_injection(e))
    if kept == evaluation.evidence:
        return evaluation
    return evaluation.model_copy(update={"evidence": kept})


def merge_grade(
    base: Evaluation,
    context: AnswerContext,
    outputs: list[tuple[Criterion, CriterionOut | None]],
) -> Evaluation:
    answer = context.combined_answer
    assert base.score is not None
    offline_notes = {n.criterion: n for n in base.criteria}
    notes: list[CriterionNote] = []
    scores: list[float] = []
    quotes: list[str] = []
    for criterion, out in outputs:
        kept = guard.valid_quotes(out.quotes, answer) if out is not None else []
        if out is None or not out.enough_evidence or out.score is None or not kept:
            fallback = offline_notes.get(criterion.name)
            reason = "not enough evidence in the answer for a model score"
            if fallback is not None:
                notes.append(fallback.model_copy(update={"note": f"{fallback.note} ({reason})"}))
            continue
        scores.append(float(out.score))
        quotes.extend(q for q in kept if q not in quotes)
        rationale = out.rationale.strip() or "see quotes"
        if guard.has_injection(rationale):
            rationale = "see quotes"
        notes.append(
            CriterionNote(criterion=criterion.name, score=float(out.score), note=rationale[:400])
        )
    if not scores:
        return _without_injected_evidence(base).model_copy(update={"criteria": tuple(notes)})
    proposed = sum(scores) / len(scores)
    upper = base.score if guard.has_injection(answer) else base.score + SCORE_MARGIN
    final = _halves(max(base.score - SCORE_MARGIN, min(upper, proposed)))
    final = max(1.0, min(base.ceiling, final))
    own = _without_injected_evidence(base).evidence
    evidence = tuple(dict.fromkeys([*quotes, *own]))[:3]
    summary = context.question.rubric.anchor_for(final)
    if base.hints_used:
        summary += f" (hint used: score capped at {base.ceiling:g})"
    return base.model_copy(
        update={"score": final, "evidence": evidence, "criteria": tuple(notes), "summary": summary}
    )


def check_follow_up(proposal: FollowUpOut, context: AnswerContext) -> Probe | None:
    """The probe to ask, or ``None`` when the model chose not to ask; ``ValueError`` if invalid."""
    if not proposal.ask:
        return None
    text = " ".join(proposal.text.split())
    kind = proposal.kind.strip().lower()
    kind = kind if kind in OFFLINE_KINDS else f"llm:{kind or 'depth'}"[:40]
    if kind in context.asked_kinds:
        raise ValueError(f"follow-up kind {kind} was already asked")
    if not 10 <= len(text) <= 400 or "?" not in text[-3:]:
        raise ValueError("follow-up is not one short question")
    if guard.has_injection(text) or guard.leaks(text, [context.question]):
        raise ValueError("follow-up reveals interviewer notes or carries an instruction")
    if guard.verbatim_quote(proposal.anchor, context.combined_answer) is None:
        # A follow-up must build on something the candidate actually said.
        raise ValueError("follow-up anchor is not a verbatim phrase of the answer")
    return Probe(kind, text)


def merge_recap(base: Recap, proposal: RecapOut, plan: InterviewPlan, answers: str) -> Recap:
    scores = {c.name: c.score for c in base.competencies}
    strengths: list[str] = []
    for item in proposal.strengths:
        score = scores.get(item.competency)
        quote = guard.verbatim_quote(item.quote, answers)
        if score is None or score < 3.0 or quote is None or guard.has_injection(item.text):
            continue
        strengths.append(f"{item.competency}: {item.text.strip()} — you said “{quote}”")
    improvements: list[Improvement] = []
    for improvement in proposal.improvements:
        if improvement.competency not in scores or guard.has_injection(
            improvement.advice + improvement.rewrite
        ):
            continue
        rewrite = improvement.rewrite.strip()
        opening = rewrite.split("[", 1)[0]
        if rewrite and len(opening.split()) >= 3 and guard.verbatim_quote(opening, answers) is None:
            rewrite = ""  # a rewrite must start from the candidate's own words
        improvements.append(
            Improvement(
                area=improvement.competency, advice=improvement.advice.strip(), rewrite=rewrite
            )
        )
    update: dict[str, object] = {}
    if strengths:
        update["strengths"] = tuple(strengths[:3])
    if improvements:
        update["improvements"] = tuple(improvements[:4])
    return base.model_copy(update=update) if update else base
