"""Privacy (issue 11): forget deletes and scrubs the SQLite file, retention purges, the privacy
statement says what the settings in force say. Store-contract cases for both backends live in
``tests/test_store_backends.py``."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from bot.domain import JobProfile
from bot.planning.bank import QuestionBank
from bot.privacy import privacy_statement
from bot.retention import DAY_S, cutoff, purge_expired, retention_task
from bot.settings import load_settings
from bot.store.sqlite import SQLiteStore
from tests.conftest import ROOT, cli
from tests.test_store_backends import record, turn

SECRET = "Zanzibar-quokka-7731 was the codename of my migration"


def file_bytes(path: Path) -> bytes:
    """The database and anything SQLite keeps beside it (WAL, shared memory, journal)."""
    return b"".join(
        p.read_bytes()
        for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")))
        if p.exists()
    )


async def test_forget_deletes_rows_reports_counts_and_vacuums(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    try:
        mine = record(bank, backend_profile, "s1")
        await store.create_session(mine)
        for seq in range(3):
            await store.save_progress(mine, turn(seq, answer=f"{SECRET} #{seq} " + "x" * 2000))
        await store.create_session(record(bank, backend_profile, "s2", conv="t:d:"))
        await store.create_session(record(bank, backend_profile, "kept", user="t:other"))
        await store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert SECRET.encode() in file_bytes(path)

        report = await store.forget_user("t:u")

        assert (report.sessions, report.turns) == (2, 3)
        assert await store.sessions_for_user("t:u") == []
        assert [r.id for r in await store.sessions_for_user("t:other")] == ["kept"]
        async with store.db.execute("SELECT COUNT(*) FROM turns") as cursor:
            assert await cursor.fetchone() == (0,)
        assert SECRET.encode() not in file_bytes(path)
    finally:
        await store.close()
    assert SECRET.encode() not in file_bytes(path)


async def test_purge_expired_deletes_only_sessions_idle_past_retention(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    store = SQLiteStore(tmp_path / "bot.sqlite3")
    await store.open()
    now = 1_800_000_000.0
    try:
        old = record(bank, backend_profile, "old", at=now - 91 * DAY_S)
        await store.create_session(old)
        await store.save_progress(old, turn(0, answer=SECRET))
        await store.create_session(record(bank, backend_profile, "recent", at=now - 89 * DAY_S))
        assert await purge_expired(store, 0, clock=lambda: now) == 0  # 0 = keep forever
        assert await purge_expired(store, 90, clock=lambda: now) == 1
        assert await store.load_session("old") is None
        assert await store.load_session("recent") is not None
        assert SECRET.encode() not in file_bytes(store.path)
    finally:
        await store.close()


async def test_retention_task_purges_at_start_and_is_cancelled_on_exit(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    store = SQLiteStore(tmp_path / "bot.sqlite3")
    await store.open()
    try:
        await store.create_session(record(bank, backend_profile, "old", at=1.0))
        async with retention_task(store, 30, interval_s=0.01) as task:
            assert task is not None
            for _ in range(200):
                if await store.load_session("old") is None:
                    break
                await asyncio.sleep(0.01)
            assert await store.load_session("old") is None
            assert not task.done()  # it keeps running: purge again each interval
        assert task.cancelled()
        # Host retention off (0) still runs: servers' own periods and dead share links expire.
        async with retention_task(store, 0, interval_s=0.01) as still:
            assert not still.done()
        assert still.cancelled()
    finally:
        await store.close()


def test_cutoff() -> None:
    assert cutoff(0, 1000.0) is None
    assert cutoff(2, 10 * DAY_S) == 8 * DAY_S


def test_retention_setting_from_the_environment() -> None:
    assert load_settings(environ={}).retention_days == 90
    assert load_settings(environ={"INTERVIEW_BOT_RETENTION_DAYS": "30"}).retention_days == 30
    with pytest.raises(ValueError, match="retention_days"):
        load_settings(environ={"INTERVIEW_BOT_RETENTION_DAYS": "-1"})


def test_privacy_statement_states_retention_storage_and_deletion(tmp_path: Path) -> None:
    text = privacy_statement(load_settings(environ={"INTERVIEW_BOT_RETENTION_DAYS": "30"}))
    assert "30 day(s)" in text
    assert "/interview forget" in text
    assert "Audio is not stored by default" in text and "opt in" in text
    for kind in ("observers", "share links", "reminders", "practice queue", "preferences"):
        assert kind in text, kind
    assert "Server admins get no access to your transcripts" in text
    # Honest about what the platform shows: the live thread is visible where it happens.
    assert "moderators (Manage Threads)" in text and "channel's members" in text
    assert "Your opt-in is **on**" in privacy_statement(
        load_settings(environ={}), audio_opt_in=True
    )
    assert "7 day(s)" in privacy_statement(load_settings(environ={}), scope_retention_days=7)
    assert "offline" in text
    assert len(text) < 2000  # one Discord message
    longest = privacy_statement(
        load_settings(
            environ={
                "LLM_API_KEY": "sk-test",
                "DATABASE_URL": "postgresql://u:p@" + "h" * 200 + ".example:5432/db",
            }
        ),
        audio_opt_in=True,
        scope_retention_days=30,
    )
    assert len(longest) < 2000 and "example:5432/db" in longest
    forever = privacy_statement(load_settings(environ={"INTERVIEW_BOT_RETENTION_DAYS": "0"}))
    assert "until you delete them" in forever
    llm = privacy_statement(load_settings(environ={"LLM_API_KEY": "sk-test"}))
    assert "language model" in llm and "sk-test" not in llm


def test_privacy_command_and_cli_forget(tmp_path: Path) -> None:
    env = {"INTERVIEW_BOT_DATA_DIR": str(tmp_path), "INTERVIEW_BOT_RETENTION_DAYS": "45"}
    shown = run_cli(env, "privacy")
    assert shown.returncode == 0
    assert "45 day(s)" in shown.stdout and "interview-bot forget" in shown.stdout
    sample = ROOT / "data" / "samples" / "data-analyst.md"
    answers = tmp_path / "answers.txt"
    answers.write_text(SECRET + "\n---\n/end\n", encoding="utf-8")
    out = tmp_path / "s.json"
    started = run_cli(
        env, "console", "--jd", str(sample), "--answers", str(answers), "--user", "ann",
        "--json", str(out), "--length", "short",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert json.loads(out.read_text())["turns"]
    gone = run_cli(env, "forget", "--user", "ann", "--yes")
    assert gone.returncode == 0
    assert "Deleted 1 interview(s)" in gone.stdout
    assert SECRET.encode() not in file_bytes(tmp_path / "interview-bot.sqlite3")


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        cli(*args),
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
