"""Plain-text renderings of profiles, questions and recaps.

Every ``Reply`` carries a text fallback built here, so an adapter that cannot render embeds or Block
Kit still shows something complete; richer adapters render from the structured fields instead.
"""

from __future__ import annotations

from collections import Counter

from bot.domain import (
    DeliverySummary,
    Importance,
    InterviewPlan,
    JobProfile,
    Question,
    QuestionType,
    Recap,
)

TYPE_LABELS = {
    QuestionType.BEHAVIOURAL: "Behavioural",
    QuestionType.TECHNICAL: "Technical",
    QuestionType.SCENARIO: "Scenario",
    QuestionType.SYSTEM_DESIGN: "System design",
    QuestionType.CODING: "Coding",
    QuestionType.ROLE: "Role-specific",
}


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}/5"


def plan_mix(plan: InterviewPlan) -> str:
    """ "2 behavioural, 4 technical, 1 system design, …" in plan order."""
    counts = Counter(q.type for q in plan.questions)
    return ", ".join(
        f"{n} {TYPE_LABELS[kind].lower()}"
        for kind, n in sorted(
            counts.items(), key=lambda kv: [q.type for q in plan.questions].index(kv[0])
        )
    )


def coding_line(profile: JobProfile, plan: InterviewPlan | None) -> str:
    """The coding state, and the opt-in offer when the job codes but the plan has no coding."""
    has_coding = plan is not None and any(q.type is QuestionType.CODING for q in plan.questions)
    if has_coding:
        return "Coding: a coding question is included."
    if not profile.coding_required:
        return "Coding: no"
    if plan is not None and plan.options.coding == "no":
        return "Coding: this job codes; you chose no coding round."
    evidence = f" (“{profile.coding_evidence}”)" if profile.coding_evidence else ""
    if plan is None:
        # Without the plan we cannot tell whether the candidate opted in: state the rule only.
        return (
            f"Coding: this job involves coding{evidence}. A coding question is included only "
            "when you opt in (coding=yes; console: --coding yes)."
        )
    return (
        f"Coding: this job involves coding{evidence}. A coding question is added only if you "
        "opt in: start again with coding=yes (console: --coding yes)."
    )


def profile_summary(
    profile: JobProfile, question_total: int, plan: InterviewPlan | None = None
) -> str:
    """The briefing; with ``plan`` it also shows the question mix and any focus."""
    required = [s.name for s in profile.technical_skills if s.importance is Importance.REQUIRED]
    others = [s.name for s in profile.technical_skills if s.importance is not Importance.REQUIRED]
    soft = [s.name for s in profile.soft_skills]
    lines = [
        f"Role: {profile.title}",
        f"Level: {profile.level.value}"
        + (f" (from “{profile.level_evidence}”)" if profile.level_evidence else ""),
        f"Domain: {profile.domain}",
    ]
    if required:
        lines.append("Required skills: " + ", ".join(dict.fromkeys(required)))
    if others:
        lines.append("Also mentioned: " + ", ".join(list(dict.fromkeys(others))[:10]))
    if soft:
        lines.append("Soft skills: " + ", ".join(list(dict.fromkeys(soft))[:8]))
    lines.append(coding_line(profile, plan))
    if plan is not None and plan.questions:
        lines.append(f"Planned questions: {question_total} ({plan_mix(plan)})")
        if plan.options.focus:
            lines.append("Focus: " + ", ".join(plan.options.focus))
    else:
        lines.append(f"Planned questions: {question_total}")
    return "\n".join(lines)


def question_header(question: Question, number: int, total: int) -> str:
    label = TYPE_LABELS[question.type]
    topic = f" · {question.competency}" if question.competency else ""
    return f"Question {number} of {total} — {label}{topic}"


def recap_text(recap: Recap) -> str:
    lines = [
        f"Overall: {score_text(recap.overall)}  "
        f"({recap.questions_answered} of {recap.questions_total} questions answered"
        + (f", {recap.hints_used} hint(s) used" if recap.hints_used else "")
        + ")",
        "",
        "Competencies:",
    ]
    for item in recap.competencies:
        lines.append(f"  • {item.name}: {score_text(item.score)} — {item.anchor}")
        for quote in item.evidence[:2]:
            lines.append(f"      “{quote}”")
    lines.append("")
    lines.append("Strengths:")
    lines.extend(f"  + {s}" for s in recap.strengths) if recap.strengths else lines.append(
        "  (none clear yet: the answers were too brief to show one)"
    )
    lines.append("")
    lines.append("To improve:")
    for improvement in recap.improvements:
        lines.append(f"  - {improvement.area}: {improvement.advice}")
        if improvement.rewrite:
            lines.append(f"      Try: {improvement.rewrite}")
    if recap.skills_covered or recap.skills_not_covered:
        lines.append("")
        if recap.skills_covered:
            lines.append("Job skills you drew on: " + ", ".join(recap.skills_covered))
        if recap.skills_not_covered:
            lines.append(
                "Required skills you never mentioned: " + ", ".join(recap.skills_not_covered)
            )
    if recap.delivery is not None:
        lines.append("")
        lines.extend(delivery_lines(recap.delivery))
    if recap.hints_used:
        lines.append("")
        lines.append(
            f"Hints: {recap.hints_used} used. Each hint lowered that question's ceiling by one "
            "point, so those scores are capped (see the competencies above)."
        )
    if recap.next_focus:
        lines.append("")
        lines.append("Next focus: " + ", ".join(recap.next_focus))
    lines.append("")
    lines.append("What next:")
    lines.append("  ↻ retake — the same job with fresh questions")
    if recap.next_focus:
        lines.append(
            "  ◎ focus — re-plan on "
            + ", ".join(recap.next_focus)
            + f" (focus={focus_option(recap)})"
        )
    return "\n".join(lines)


def delivery_lines(delivery: DeliverySummary) -> list[str]:
    """How the spoken answers sounded: one line of numbers, then the advice (if any)."""
    answers = "1 spoken answer" if delivery.answers == 1 else f"{delivery.answers} spoken answers"
    fillers = f"{delivery.fillers_per_minute:.1f} filler words/min"
    if delivery.top_fillers:
        fillers += f" ({', '.join(delivery.top_fillers)})"
    pauses = "1 long pause" if delivery.long_pauses == 1 else f"{delivery.long_pauses} long pauses"
    lines = [
        f"Delivery ({answers}): {delivery.words_per_minute:.0f} words/min · {fillers} · {pauses}"
    ]
    lines.extend(f"  - {advice}" for advice in delivery.advice)
    if not delivery.advice:
        lines.append("  Pace and fillers were in a comfortable range.")
    return lines


def focus_option(recap: Recap) -> str:
    """The ``focus`` option value that re-plans toward the recap's next focus."""
    return ",".join(recap.next_focus)
