"""SQLite store: round-trips, migrations, and refusing to touch a corrupted file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain import Evaluation, InterviewPlan, JobProfile, QuestionType, Turn
from bot.planning.bank import QuestionBank
from bot.ports import SessionRecord
from bot.store.sqlite import SCHEMA_VERSION, SQLiteStore, StoreError


def record(
    bank: QuestionBank, profile: JobProfile, sid: str = "abc", user: str = "t:u"
) -> SessionRecord:
    return SessionRecord(
        id=sid,
        user_key=user,
        conversation_key="t:c:",
        state="asking",
        profile=profile,
        plan=InterviewPlan(questions=bank.questions[:3]),
        created_at=1.0,
        updated_at=1.0,
    )


async def test_round_trip_keeps_every_field(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    path = tmp_path / "db.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    rec = record(bank, backend_profile)
    await store.create_session(rec)
    turn = Turn(
        seq=0,
        question_index=0,
        question_id=rec.plan.questions[0].id,
        question_type=QuestionType.BEHAVIOURAL,
        question_text="Q?",
        answer="An answer.",
        evaluation=Evaluation(score=3.5, evidence=("An answer.",)),
        created_at=2.0,
    )
    rec.turns.append(turn)
    rec.state, rec.pending_probe, rec.probe_kind, rec.follow_ups_asked = (
        "follow_up",
        "What did you do?",
        "action",
        1,
    )
    await store.save_progress(rec, turn)
    await store.close()

    reopened = SQLiteStore(path)
    await reopened.open()
    loaded = await reopened.load_session("abc")
    assert loaded is not None
    assert loaded.profile == backend_profile
    assert loaded.plan == rec.plan
    assert loaded.turns == [turn]
    assert (loaded.state, loaded.pending_probe, loaded.probe_kind, loaded.follow_ups_asked) == (
        "follow_up",
        "What did you do?",
        "action",
        1,
    )
    assert (await reopened.active_session("t:u", "t:c:")) is not None
    assert await reopened.schema_version() == SCHEMA_VERSION
    await reopened.close()


async def test_wal_mode_and_migrations_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    for _ in range(2):
        store = SQLiteStore(path)
        await store.open()
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_corrupted_file_is_reported_by_name_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    store = SQLiteStore(path)
    with pytest.raises(StoreError) as info:
        await store.open()
    assert str(path) in str(info.value)
    assert "corrupted" in str(info.value)
    assert path.read_bytes() == garbage


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="newer"):
        await SQLiteStore(path).open()


async def test_forget_user_deletes_sessions_and_turns(
    store: SQLiteStore, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile, "s1")
    await store.create_session(rec)
    turn = Turn(
        seq=0,
        question_index=0,
        question_id="x",
        question_type=QuestionType.TECHNICAL,
        question_text="Q?",
        answer="A",
        created_at=1.0,
    )
    await store.save_progress(rec, turn)
    await store.create_session(record(bank, backend_profile, "s2", user="t:other"))
    assert await store.forget_user("t:u") == 1
    assert await store.load_session("s1") is None
    assert await store.load_session("s2") is not None
    async with store.db.execute("SELECT COUNT(*) FROM turns WHERE session_id = 's1'") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 0


async def test_failed_write_is_rolled_back(
    store: SQLiteStore, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile)
    await store.create_session(rec)
    rec.cursor = 2
    bad_turn = Turn(
        seq=0,
        question_index=0,
        question_id="x",
        question_type=QuestionType.TECHNICAL,
        question_text="Q?",
        answer="A",
        created_at=1.0,
    )
    await store.db.execute("DROP TABLE turns")
    with pytest.raises(sqlite3.OperationalError):
        await store.save_progress(rec, bad_turn)
    async with store.db.execute("SELECT cursor FROM sessions WHERE id = 'abc'") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 0
