"""Progress (issue 11): mastery series, focus:weakest, the Markdown export, the trend chart, and
history/show from the command line with cross-user access attempts refused without a hint."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.domain import (
    Evaluation,
    InterviewPlan,
    JobProfile,
    SkillKind,
    SkillMention,
    Turn,
)
from bot.evaluation.trend import trend_chart
from bot.planning.bank import QuestionBank
from bot.ports import SessionRecord
from bot.progress import mastery, resolve_focus, session_markdown, weakest_focus
from bot.store.sqlite import SQLiteStore
from tests.conftest import ROOT, cli

DAY = 86_400.0
NOW = 1_800_000_000.0
PNG = b"\x89PNG\r\n\x1a\n"


def question(bank: QuestionBank, qid: str) -> int:
    return [q.id for q in bank.questions].index(qid)


def session(
    bank: QuestionBank,
    sid: str,
    scores: dict[str, float],
    *,
    at: float,
    skills: tuple[str, ...] = (),
    user: str = "t:u",
) -> SessionRecord:
    """A finished session whose questions (bank ids) got these scores."""
    questions = tuple(bank.questions[question(bank, qid)] for qid in scores)
    turns = [
        Turn(
            seq=i,
            question_index=i,
            question_id=q.id,
            question_type=q.type,
            question_text=q.text,
            answer=f"answer {i} to {q.id}",
            evaluation=Evaluation(score=score, feedback=f"feedback {i}"),
            created_at=at + i,
        )
        for i, (q, score) in enumerate(zip(questions, scores.values(), strict=True))
    ]
    mentions = tuple(
        SkillMention(name=s, kind=SkillKind.TOOL, evidence=s, start=i, end=i + 1)
        for i, s in enumerate(skills)
    )
    return SessionRecord(
        id=sid,
        user_key=user,
        conversation_key="t:c:",
        state="finished",
        profile=JobProfile(title="Backend Engineer", skills=mentions),
        plan=InterviewPlan(questions=questions),
        created_at=at,
        updated_at=at,
        turns=turns,
    )


BEH = "beh.collaboration.cross_team_delivery"  # competency Collaboration
PG = "tech.postgresql.index-types"  # skill PostgreSQL
MYSQL = "tech.mysql.innodb-primary-keys"  # skill MySQL


def test_mastery_gives_one_point_per_session_per_area(bank: QuestionBank) -> None:
    records = [
        session(bank, "b", {BEH: 3.0, PG: 4.0}, at=NOW),
        session(bank, "a", {BEH: 2.0, PG: 2.0}, at=NOW - DAY),
    ]
    series = {(s.kind, s.name): s.points for s in mastery(records)}
    assert series[("competency", "Collaboration")] == ((NOW - DAY, 2.0), (NOW, 3.0))
    assert series[("skill", "PostgreSQL")] == ((NOW - DAY, 2.0), (NOW, 4.0))


def test_weakest_focus_puts_low_scores_then_untried_job_skills_first(bank: QuestionBank) -> None:
    records = [session(bank, "a", {BEH: 4.5, PG: 1.5}, at=NOW - DAY, skills=("MySQL",))]
    assert weakest_focus(records, bank, now=NOW) == ("PostgreSQL", "MySQL", "Collaboration")
    assert weakest_focus(records, bank, now=NOW, limit=1) == ("PostgreSQL",)
    assert weakest_focus([], bank, now=NOW) == ()


def test_weakest_focus_brings_back_areas_not_practised_recently(bank: QuestionBank) -> None:
    """PostgreSQL scored better than MySQL, but two months ago: it is due first."""
    records = [
        session(bank, "old", {PG: 4.0}, at=NOW - 60 * DAY),
        session(bank, "new", {MYSQL: 3.5}, at=NOW - DAY),
    ]
    assert weakest_focus(records, bank, now=NOW) == ("PostgreSQL", "MySQL")


async def test_resolve_focus_replaces_weakest_for_that_user_only(
    tmp_path: Path, bank: QuestionBank
) -> None:
    store = SQLiteStore(tmp_path / "bot.sqlite3")
    await store.open()
    try:
        mine = session(bank, "mine", {PG: 1.0}, at=NOW)
        theirs = session(bank, "theirs", {MYSQL: 1.0}, at=NOW, user="t:other")
        for record in (mine, theirs):
            await store.create_session(record)
            for turn in record.turns:
                await store.save_progress(record, turn)
        assert await resolve_focus(store, "t:u", "weakest", bank) == "PostgreSQL"
        assert await resolve_focus(store, "t:u", "Weakest, SQL", bank) == "PostgreSQL,SQL"
        assert await resolve_focus(store, "t:other", "weakest", bank) == "MySQL"
        assert await resolve_focus(store, "t:nobody", "weakest", bank) == ""
        assert await resolve_focus(store, "t:u", "Python", bank) == "Python"
    finally:
        await store.close()


def test_session_markdown_has_questions_answers_scores(bank: QuestionBank) -> None:
    record = session(bank, "s1", {BEH: 2.0, PG: 4.0}, at=NOW)
    text = session_markdown(record)
    assert text.startswith("# Mock interview: Backend Engineer")
    assert bank.questions[question(bank, PG)].text in text
    assert "> answer 1 to " + PG in text
    assert "**Score:** 4.0/5" in text and "feedback 0" in text


def test_trend_chart_is_a_deterministic_png(bank: QuestionBank) -> None:
    records = [
        session(bank, "a", {BEH: 2.0, PG: 2.5}, at=NOW - 3 * DAY),
        session(bank, "b", {BEH: 3.0, PG: 4.0}, at=NOW),
    ]
    png = trend_chart(mastery(records))
    assert png is not None and png.startswith(PNG)
    assert trend_chart(mastery(records)) == png
    assert trend_chart([]) is None


# ------------------------------------------------------------------------ command line
ANSWERS = (
    "At my last company our reports were late every month. I owned the fix, so I rebuilt the "
    "pipeline in Python and SQL and added checks. As a result reporting took two hours instead "
    "of two days.\n---\n/end\n"
)


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args),
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """One finished interview by "ann" in a fresh data dir: (environment, session id)."""
    data = tmp_path_factory.mktemp("data")
    env = {"INTERVIEW_BOT_DATA_DIR": str(data)}
    answers = data / "answers.txt"
    answers.write_text(ANSWERS, encoding="utf-8")
    sample = ROOT / "data" / "samples" / "data-analyst.md"
    done = run_cli(
        env, "console", "--jd", str(sample), "--answers", str(answers), "--user", "ann",
        "--length", "short",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = run_cli(env, "history", "--user", "ann")
    assert listed.returncode == 0, listed.stderr
    return env, listed.stdout.split()[0]


def test_history_lists_own_sessions_and_writes_a_chart(
    finished: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, sid = finished
    chart = tmp_path / "trend.png"
    listed = run_cli(env, "history", "--user", "ann", "--chart", str(chart))
    assert listed.returncode == 0
    assert sid in listed.stdout and "Data Analyst" in listed.stdout and "finished" in listed.stdout
    assert chart.read_bytes().startswith(PNG)
    other = run_cli(env, "history", "--user", "bob")
    assert other.returncode == 0 and sid not in other.stdout and "No interviews yet" in other.stdout


def test_show_prints_the_transcript_and_exports_markdown(
    finished: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, sid = finished
    shown = run_cli(env, "show", sid, "--user", "ann")
    assert shown.returncode == 0, shown.stderr
    assert "rebuilt the pipeline in Python and SQL" in shown.stdout
    assert "## Recap" in shown.stdout and "**Score:**" in shown.stdout
    out = tmp_path / "session.md"
    assert run_cli(env, "show", sid, "--user", "ann", "--markdown", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8").rstrip() == shown.stdout.rstrip()


def test_show_refuses_another_users_session_exactly_like_a_missing_one(
    finished: tuple[dict[str, str], str],
) -> None:
    env, sid = finished
    stolen = run_cli(env, "show", sid, "--user", "mallory")
    missing = run_cli(env, "show", "000000000000", "--user", "mallory")
    assert stolen.returncode == missing.returncode == 1
    assert stolen.stdout == missing.stdout == ""
    assert stolen.stderr.replace(sid, "ID") == missing.stderr.replace("000000000000", "ID")
    assert "rebuilt the pipeline" not in stolen.stderr and "Data Analyst" not in stolen.stderr


def test_console_accepts_focus_weakest(finished: tuple[dict[str, str], str]) -> None:
    env, _ = finished
    answers = Path(env["INTERVIEW_BOT_DATA_DIR"]) / "answers.txt"
    sample = ROOT / "data" / "samples" / "data-analyst.md"
    done = run_cli(
        env, "console", "--jd", str(sample), "--answers", str(answers), "--user", "ann",
        "--length", "short", "--focus", "weakest",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "weakest" not in done.stdout.lower()  # resolved to names, never sent as a focus


# ------------------------------------------------------------------------ Discord
async def test_discord_history_lists_only_the_callers_sessions_and_privacy_answers(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    pytest.importorskip("discord")
    import json

    from tests.fake_discord import CANDIDATE_ID, STRANGER_ID, FakeDiscord, Harness, slash

    fake = FakeDiscord()
    await fake.start()
    harness = Harness(fake, tmp_path / "bot.sqlite3", backend_profile, bank)
    await harness.start()
    try:
        assert harness.store is not None
        for sid, user, title in (
            ("mine", CANDIDATE_ID, "Candidate Role"),
            ("theirs", STRANGER_ID, "Stranger Secret Role"),
        ):
            record = session(bank, sid, {PG: 3.0}, at=NOW, user=f"discord:{user}")
            record.profile = record.profile.model_copy(update={"title": title})
            await harness.store.create_session(record)
        harness.interact(slash("history"))
        calls = await fake.wait_for(
            lambda: [
                c for c in fake.find("POST", r"/callback$") if "Candidate Role" in str(c.json)
            ],
            what="history",
        )
        assert "Stranger Secret Role" not in json.dumps(calls[0].json)
        harness.interact(slash("privacy", user_id=STRANGER_ID, name="Stranger"))
        shown = await fake.wait_for(
            lambda: [
                c for c in fake.find("POST", r"/callback$") if "/interview forget" in c.content
            ],
            what="privacy",
        )
        assert "day(s)" in shown[0].content and shown[0].json["data"]["flags"] == 64
    finally:
        await harness.stop()
        await fake.stop()
