"""Offline grading, follow-up rules and the recap: honest, explainable, ordered by quality."""

from __future__ import annotations

import pytest

from bot.domain import InterviewPlan, JobProfile, Question, QuestionType, Turn
from bot.evaluation.followup import decide_follow_up
from bot.evaluation.recap import build_recap
from bot.evaluation.scoring import evaluate, extract_features
from bot.planning.bank import QuestionBank

STRONG_STAR = (
    "Last year at my previous company our checkout service failed every Friday evening. "
    "I was responsible for the on-call rotation, so my goal was to stop the outages before the "
    "holiday season. I analysed the logs, found a connection-pool leak, and I wrote a fix with a "
    "regression test. I also set up an alert on pool saturation. As a result we went from four "
    "incidents a month to zero, and checkout errors fell by 35%."
)
MEDIUM_STAR = (
    "In my last job we had a release that broke the login page. I looked into it and found the "
    "problem in the config, then I fixed it and we deployed again."
)
WEAK = "I usually just work hard and get things done, basically."


def behavioural(bank: QuestionBank) -> Question:
    """A problem-solving STAR question: the sample answers are on topic for it."""
    question = bank.get("beh.problem_solving.root_cause_not_patch")
    assert question is not None
    return question


def test_strong_beats_medium_beats_weak(bank: QuestionBank) -> None:
    question = behavioural(bank)
    scores = [evaluate(question, text).score for text in (STRONG_STAR, MEDIUM_STAR, WEAK)]
    assert all(s is not None for s in scores)
    assert scores[0] > scores[1] > scores[2], scores  # type: ignore[operator]
    assert scores[2] <= 2.0


def test_evidence_is_always_a_verbatim_quote(bank: QuestionBank) -> None:
    for question in bank.questions[:40]:
        for text in (STRONG_STAR, MEDIUM_STAR, WEAK):
            for quote in evaluate(question, text).evidence:
                assert quote in text


def test_star_parts_are_detected_and_missing_ones_named(bank: QuestionBank) -> None:
    question = behavioural(bank)
    full = evaluate(question, STRONG_STAR)
    assert full.star is not None and full.star.missing == []
    partial = evaluate(question, MEDIUM_STAR)
    assert partial.star is not None and "result" in partial.star.missing
    structure = next(c for c in partial.criteria if c.criterion.startswith("Structure"))
    assert "result" in structure.note


def test_hint_caps_the_score(bank: QuestionBank) -> None:
    question = behavioural(bank)
    assert (evaluate(question, STRONG_STAR, hints_used=1).score or 0) <= 4.0
    assert (evaluate(question, STRONG_STAR, hints_used=2).score or 0) <= 3.0


def test_off_topic_answer_scores_one(bank: QuestionBank) -> None:
    question = behavioural(bank)
    text = "Bananas are yellow and monkeys enjoy climbing tropical trees near rivers every day."
    assert evaluate(question, text).score == 1.0


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("I fixed it.", "short"),
        (
            "When our release broke last spring, the team looked at the logs and we rolled back and "
            "then we wrote a postmortem together and we shipped a fix the next morning.",
            "ownership",
        ),
        (
            "There was an outage on the payments platform during a launch in my last job and "
            "my task was to coordinate the response across three teams that night.",
            "action",
        ),
        (
            "At my last job the database was slow. I was asked to fix it. I analysed the queries and "
            "I added indexes to the tables that were slow.",
            "result",
        ),
    ],
)
def test_follow_up_probes_the_right_gap(bank: QuestionBank, answer: str, kind: str) -> None:
    question = behavioural(bank)
    evaluation = evaluate(question, answer)
    probe = decide_follow_up(
        question,
        extract_features(question, answer),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=evaluation.score,
    )
    assert probe is not None and probe.kind == kind, probe


def test_follow_up_names_a_job_skill_from_the_answer(bank: QuestionBank) -> None:
    question = behavioural(bank)
    answer = (
        "At my last job our reports were slow. My task was to speed them up before the "
        "board meeting. I moved the aggregation into Kafka streams and I rewrote the "
        "queries. As a result reports went from 40 minutes to 3."
    )
    evaluation = evaluate(question, answer, known_skills=["Kafka"])
    probe = decide_follow_up(
        question,
        extract_features(question, answer, ["Kafka"]),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=min(evaluation.score or 0, 4.0),
        job_skills=["Kafka"],
    )
    assert probe is not None and probe.kind == "skill:Kafka" and "Kafka" in probe.text


def test_no_follow_up_after_two_or_for_the_same_gap(bank: QuestionBank) -> None:
    question = behavioural(bank)
    features = extract_features(question, "I fixed it.")
    assert (
        decide_follow_up(
            question, features, latest_answer_words=3, asked_kinds=["short", "specific"], score=1.0
        )
        is None
    )
    probe = decide_follow_up(
        question, features, latest_answer_words=3, asked_kinds=["short"], score=1.0
    )
    assert probe is not None and probe.kind != "short"


def test_recap_is_honest(bank: QuestionBank, backend_profile: JobProfile) -> None:
    questions = tuple(bank.of_type(QuestionType.BEHAVIOURAL)[:3])
    plan = InterviewPlan(questions=questions)
    answers = [STRONG_STAR, MEDIUM_STAR, WEAK]
    turns = [
        Turn(
            seq=i,
            question_index=i,
            question_id=q.id,
            question_type=q.type,
            question_text=q.text,
            answer=a,
            evaluation=evaluate(q, a),
        )
        for i, (q, a) in enumerate(zip(questions, answers, strict=True))
    ]
    recap = build_recap(backend_profile, plan, turns)
    transcript = "\n".join(answers)
    assert recap.overall is not None and 1 <= recap.overall <= 5
    for competency in recap.competencies:
        for quote in competency.evidence:
            assert quote in transcript
    for strength in recap.strengths:
        if "“" in strength:
            assert strength.split("“", 1)[1].rstrip("”") in transcript
    assert recap.improvements, "weak answers must produce improvements"
    assert len(recap.improvements) <= 3
    assert "PostgreSQL" in recap.skills_not_covered
    assert recap.questions_answered == 3
