"""SQLite-only store behaviour: WAL, refusing to touch a corrupted file, concurrent writers on one
connection. The store contract itself (round trips, migrations, rollback, forgetting a user) runs
against every backend in ``tests/test_store_backends.py``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain import InterviewPlan, JobProfile, QuestionType, Turn
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


async def test_concurrent_sessions_commit_whole_turns(
    store: SQLiteStore, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """Writes from many sessions at once never share a transaction or lose a turn."""
    import asyncio

    records = [record(bank, backend_profile, f"s{n}", user=f"t:u{n}") for n in range(6)]
    for rec in records:
        await store.create_session(rec)

    async def answer(rec: SessionRecord, seq: int) -> None:
        rec.cursor = seq
        turn = Turn(
            seq=seq,
            question_index=seq,
            question_id="x",
            question_type=QuestionType.TECHNICAL,
            question_text="Q?",
            answer=f"{rec.id}-{seq}",
            created_at=float(seq),
        )
        await store.save_progress(rec, turn)

    for seq in range(5):
        await asyncio.gather(*(answer(rec, seq) for rec in records))
    for rec in records:
        loaded = await store.load_session(rec.id)
        assert loaded is not None and loaded.cursor == 4
        assert [t.answer for t in loaded.turns] == [f"{rec.id}-{n}" for n in range(5)]
