"""The stable JSON contracts: ``analyze --json`` (a JobProfile) and ``console --json`` (a session).

Other tools and our own end-to-end checks read these, so fields are only ever added, never renamed.
The shape is documented in docs/JSON.md.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Delivery, JobProfile
from bot.ports import SessionRecord

REPORT_VERSION = 1


def profile_json(profile: JobProfile) -> dict[str, Any]:
    return profile.model_dump(mode="json")


def session_json(record: SessionRecord) -> dict[str, Any]:
    """A finished (or in-progress) session as the documented ``console --json`` object."""
    turns = []
    for turn in record.turns:
        evaluation = turn.evaluation
        evidence = [q for q in (evaluation.evidence if evaluation else ()) if q in turn.answer]
        turns.append(
            {
                "question": turn.question_text,
                "question_id": turn.question_id,
                "type": turn.question_type.value,
                "follow_up": turn.follow_up,
                "probe": turn.probe,
                "answer": turn.answer,
                "skipped": bool(evaluation and evaluation.skipped),
                "score": evaluation.score if evaluation else None,
                "evidence": evidence,
                "criteria": [c.model_dump(mode="json") for c in evaluation.criteria]
                if evaluation
                else [],
                # Added in issue 10 (optional): how a spoken answer sounded; null when typed.
                "delivery": delivery_json(turn.delivery),
            }
        )
    recap = record.recap
    return {
        "version": REPORT_VERSION,
        "session_id": record.id,
        "state": record.state,
        "profile": profile_json(record.profile),
        "plan": [
            {
                "id": q.id,
                "type": q.type.value,
                "competency": q.competency,
                "text": q.text,
                "skills": list(q.skills),
            }
            for q in record.plan.questions
        ],
        "turns": turns,
        "competencies": [
            {
                "name": c.name,
                "score": c.score,
                # The contract: evidence is always the candidate's own words.
                "evidence": [q for q in c.evidence if any(q in t.answer for t in record.turns)],
                "anchor": c.anchor,
            }
            for c in (recap.competencies if recap else ())
        ],
        "overall": recap.overall if recap else None,
        "strengths": list(recap.strengths) if recap else [],
        "improvements": [i.model_dump(mode="json") for i in (recap.improvements if recap else ())],
        "skills_covered": list(recap.skills_covered) if recap else [],
        "skills_not_covered": list(recap.skills_not_covered) if recap else [],
        "next_focus": list(recap.next_focus) if recap else [],
        "delivery": recap.delivery.model_dump(mode="json") if recap and recap.delivery else None,
    }


def delivery_json(delivery: Delivery | None) -> dict[str, Any] | None:
    if delivery is None:
        return None
    data = delivery.model_dump(mode="json")
    # Pairs read better as an object in JSON: {"um": 3, "like": 1}.
    data["filler_counts"] = dict(delivery.filler_counts)
    return data
