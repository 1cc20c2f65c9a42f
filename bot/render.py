"""Plain-text renderings of profiles, questions and recaps.

Every ``Reply`` carries a text fallback built here, so an adapter that cannot render embeds or Block
Kit still shows something complete; richer adapters render from the structured fields instead.
"""

from __future__ import annotations

from bot.domain import Importance, JobProfile, Question, QuestionType, Recap

TYPE_LABELS = {
    QuestionType.BEHAVIOURAL: "Behavioural",
    QuestionType.TECHNICAL: "Technical",
    QuestionType.SCENARIO: "Scenario",
    QuestionType.SYSTEM_DESIGN: "System design",
    QuestionType.CODING: "Coding walkthrough",
    QuestionType.ROLE: "Role-specific",
}


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}/5"


def profile_summary(profile: JobProfile, question_total: int) -> str:
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
    lines.append("Coding: " + ("yes" if profile.coding_required else "no"))
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
    if recap.next_focus:
        lines.append("")
        lines.append("Next focus: " + ", ".join(recap.next_focus))
    return "\n".join(lines)
