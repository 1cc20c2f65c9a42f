"""Offline grading, follow-up rules and the recap: honest, explainable, ordered by quality."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.domain import InterviewPlan, JobProfile, PlanOptions, Question, QuestionType, Turn
from bot.evaluation.followup import decide_follow_up
from bot.evaluation.recap import build_recap
from bot.evaluation.scoring import evaluate, extract_features
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.render import focus_option, recap_text

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


def _turns(questions: Sequence[Question], answers: Sequence[str], hints: int = 0) -> list[Turn]:
    return [
        Turn(
            seq=i,
            question_index=i,
            question_id=q.id,
            question_type=q.type,
            question_text=q.text,
            answer=a,
            evaluation=evaluate(q, a, hints_used=hints if i == 0 else 0),
        )
        for i, (q, a) in enumerate(zip(questions, answers, strict=True))
    ]


def test_criteria_cover_structure_ownership_specificity_and_relevance(bank: QuestionBank) -> None:
    question = behavioural(bank)
    evaluation = evaluate(question, STRONG_STAR, known_skills=["Kafka"])
    names = [c.criterion for c in evaluation.criteria]
    assert names == ["Content", "Structure (STAR)", "Ownership", "Specificity", "Relevance"]
    structure = evaluation.criteria[1]
    assert "result: “" in structure.note, "the STAR note quotes the sentence that showed each part"
    assert "no job skills named" in evaluation.criteria[-1].note


def test_hypothetical_questions_are_not_graded_on_a_past_story(bank: QuestionBank) -> None:
    question = bank.get("scn.incident.production_outage")
    assert question is not None
    answer = (
        "First I acknowledge the page and check the dashboards to confirm the impact. Then I roll "
        "back the latest deploy because mitigation comes before diagnosis, and I post an update in "
        "the incident channel. Finally I investigate the logs and write a blameless post-mortem."
    )
    evaluation = evaluate(question, answer)
    assert evaluation.star is None
    assert "Approach" in [c.criterion for c in evaluation.criteria]
    assert (evaluation.score or 0) >= 3.5
    probe = decide_follow_up(
        question,
        extract_features(question, answer),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=3.0,
    )
    assert probe is None or probe.kind not in {"result", "action", "ownership", "context"}


def test_vague_claim_is_quoted_back(bank: QuestionBank) -> None:
    question = behavioural(bank)
    answer = (
        "At my last job our deploys kept failing and people restarted them by hand. I was asked "
        "to fix it. I rewrote the deploy script and I added a health check. After that, deploys "
        "were much faster and failures went down a lot."
    )
    probe = decide_follow_up(
        question,
        extract_features(question, answer),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=3.0,
    )
    assert probe is not None and probe.kind == "vague"
    assert "much faster" in probe.text and "How much" in probe.text


def test_action_probe_says_what_it_probes(bank: QuestionBank) -> None:
    question = behavioural(bank)
    answer = (
        "There was an outage on the payments platform during a launch in my last job and "
        "my task was to coordinate the response across three teams that night."
    )
    probe = decide_follow_up(
        question,
        extract_features(question, answer),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=2.0,
    )
    assert probe is not None
    assert probe.text.startswith("You described the situation well — what did *you* do?")


def test_technical_answer_without_reasons_gets_a_why_probe(bank: QuestionBank) -> None:
    question = bank.get("tech.python.gil-concurrency")
    assert question is not None
    answer = (
        "Python has the GIL so only one thread runs bytecode at a time. For CPU work I would use "
        "multiprocessing with a process pool, and threads or asyncio for I/O-bound work."
    )
    probe = decide_follow_up(
        question,
        extract_features(question, answer),
        latest_answer_words=len(answer.split()),
        asked_kinds=[],
        score=3.0,
    )
    assert probe is not None and probe.kind == "reasoning" and "trade-off" in probe.text


def test_hint_cap_is_explained(bank: QuestionBank, backend_profile: JobProfile) -> None:
    question = behavioural(bank)
    evaluation = evaluate(question, STRONG_STAR, hints_used=1)
    assert "hint used: score capped at 4" in evaluation.summary
    plan = InterviewPlan(questions=(question,))
    recap = build_recap(backend_profile, plan, _turns([question], [STRONG_STAR], hints=1))
    assert "hint(s) used: scored out of 4" in recap.competencies[0].anchor
    assert "lowered that question's ceiling" in recap_text(recap)


def test_recap_has_three_improvements_with_rewrites_from_the_answer(
    bank: QuestionBank, backend_profile: JobProfile
) -> None:
    by_competency = {q.competency: q for q in bank.of_type(QuestionType.BEHAVIOURAL)}
    questions = tuple(list(by_competency.values())[:4])
    answers = [
        STRONG_STAR,
        "When our release broke last spring, the team looked at the logs and we rolled back and "
        "then we wrote a postmortem together and we shipped a fix the next morning.",
        "I think I basically just fixed the bug, probably, and things got a lot better.",
        MEDIUM_STAR,
    ]
    recap = build_recap(
        backend_profile, InterviewPlan(questions=questions), _turns(questions, answers)
    )
    transcript = "\n".join(answers)
    assert len(recap.improvements) == 3
    assert len({i.area for i in recap.improvements}) == 3
    for improvement in recap.improvements:
        assert improvement.rewrite, improvement
        # The rewrite starts from the candidate's own words; anything new is a [slot].
        if improvement.advice.startswith("Answer the question"):
            assert improvement.rewrite.startswith("[Open with"), "off-topic: no polish of it"
            continue
        own = improvement.rewrite.split("[", 1)[0].strip()
        assert own, improvement
        if "“I”" not in improvement.advice and "hedging" not in improvement.advice:
            assert own.split(" As a result")[0].split(" I personally")[0] in transcript
    ownership = [i for i in recap.improvements if "“I”" in i.advice]
    assert ownership and "I rolled back" in ownership[0].rewrite
    assert len(recap.strengths) >= 1
    for strength in recap.strengths:
        assert strength.split("“", 1)[1].rsplit("”", 1)[0] in transcript
    for competency in recap.competencies:
        assert competency.score is None or 1 <= competency.score <= 5
        for quote in competency.evidence:
            assert quote in transcript


def test_recap_next_focus_replans(bank: QuestionBank, backend_profile: JobProfile) -> None:
    by_competency = {q.competency: q for q in bank.of_type(QuestionType.BEHAVIOURAL)}
    questions = tuple(list(by_competency.values())[:2])
    recap = build_recap(
        backend_profile, InterviewPlan(questions=questions), _turns(questions, [STRONG_STAR, WEAK])
    )
    assert recap.next_focus
    text = recap_text(recap)
    assert "retake" in text and f"focus={focus_option(recap)}" in text
    planner = Planner(bank)
    assert not planner.unknown_focus(recap.next_focus)
    plan = planner.plan(backend_profile, PlanOptions(focus=recap.next_focus))
    assert plan.questions[0].competency == questions[1].competency
