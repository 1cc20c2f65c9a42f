"""SQLite store (aiosqlite, WAL) with versioned migrations.

Every state change and its turn are written in one transaction before the engine returns replies, so
a process killed at any point resumes at the exact question it was on. A file that is not a valid
database is reported by name and never recreated: silently starting over would lose the user's history.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain import Turn
from bot.ports import ACTIVE_STATES, ForgetReport, SessionRecord
from bot.store import InProcessClaims
from bot.store.rows import (
    SESSION_COLUMNS,
    StoreError,
    mutable_values,
    record_from_row,
    session_values,
)

log = logging.getLogger(__name__)


# Append-only: each entry moves the schema from version N to N+1. Never edit a released entry.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_key TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        state TEXT NOT NULL,
        profile_json TEXT NOT NULL,
        plan_json TEXT NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0,
        follow_ups_asked INTEGER NOT NULL DEFAULT 0,
        pending_probe TEXT NOT NULL DEFAULT '',
        probe_kind TEXT NOT NULL DEFAULT '',
        hints_used INTEGER NOT NULL DEFAULT 0,
        paused_from TEXT NOT NULL DEFAULT '',
        recap_json TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_key, updated_at);
    CREATE INDEX sessions_by_conversation ON sessions (user_key, conversation_key, state);
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        question_index INTEGER NOT NULL,
        turn_json TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _like_prefix(platform: str) -> str:
    escaped = platform.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}:%"


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = asyncio.Lock()
        self._db: aiosqlite.Connection | None = None
        self._claims = InProcessClaims()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("store is not open")
        return self._db

    async def open(self) -> None:
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"database path {self.path} is a directory, not a file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = await aiosqlite.connect(self.path)
            await self._db.execute("PRAGMA foreign_keys = ON")
            await self._check_integrity()
            await self._db.execute("PRAGMA journal_mode = WAL")
            await self._db.execute("PRAGMA synchronous = NORMAL")
            await self._db.execute("PRAGMA busy_timeout = 5000")
            await self._migrate()
        except sqlite3.DatabaseError as exc:
            await self.close()
            raise StoreError(
                f"the database file {self.path} is corrupted or not an interview-bot database "
                f"({exc}). It was left untouched: move it aside to start fresh, or restore a backup."
            ) from exc
        except BaseException:
            await self.close()
            raise

    async def _check_integrity(self) -> None:
        async with self.db.execute("PRAGMA quick_check") as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {row[0] if row else 'no result'}")

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the database {self.path} has schema version {version}, newer than this "
                f"interview-bot understands ({SCHEMA_VERSION}); upgrade interview-bot."
            )
        for number in range(version, SCHEMA_VERSION):
            log.info("applying store migration %d -> %d", number, number + 1)
            await self.db.executescript(
                "BEGIN;\n" + MIGRATIONS[number] + f"\nPRAGMA user_version = {number + 1};\nCOMMIT;"
            )

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One writer at a time on the shared connection, committed or rolled back whole.

        Without the lock, sessions handled concurrently would interleave statements inside
        sqlite3's implicit transaction: one session's commit could carry half of another's write.
        """
        async with self._write_lock:
            try:
                yield self.db
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise

    async def create_session(self, record: SessionRecord) -> None:
        values = session_values(record)
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        async with self._transaction() as db:
            await db.execute(f"INSERT INTO sessions ({columns}) VALUES ({marks})", values)

    async def save_progress(self, record: SessionRecord, new_turn: Turn | None = None) -> None:
        values = mutable_values(record)
        assignments = ", ".join(f"{k} = :{k}" for k in values if k != "id")
        async with self._transaction() as db:
            await db.execute(f"UPDATE sessions SET {assignments} WHERE id = :id", values)
            if new_turn is not None:
                await db.execute(
                    "INSERT OR REPLACE INTO turns (session_id, seq, question_index, turn_json,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        record.id,
                        new_turn.seq,
                        new_turn.question_index,
                        new_turn.model_dump_json(),
                        new_turn.created_at,
                    ),
                )

    async def replace_plan(self, record: SessionRecord) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE sessions SET plan_json = ?, updated_at = ? WHERE id = ?",
                (record.plan.model_dump_json(), record.updated_at, record.id),
            )

    def _record_from_row(self, row: Sequence[Any], turns: list[Turn]) -> SessionRecord:
        return record_from_row(row, turns, str(self.path))

    _SELECT = f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions"

    async def _turns(self, session_id: str) -> list[Turn]:
        async with self.db.execute(
            "SELECT turn_json FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [Turn.model_validate(json.loads(r[0])) for r in rows]

    async def load_session(self, session_id: str) -> SessionRecord | None:
        async with self.db.execute(f"{self._SELECT} WHERE id = ?", (session_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return self._record_from_row(tuple(row), await self._turns(session_id))

    async def active_session(self, user_key: str, conversation_key: str) -> SessionRecord | None:
        marks = ", ".join("?" for _ in ACTIVE_STATES)
        async with self.db.execute(
            f"{self._SELECT} WHERE user_key = ? AND conversation_key = ? AND state IN ({marks})"
            " ORDER BY updated_at DESC LIMIT 1",
            (user_key, conversation_key, *ACTIVE_STATES),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return self._record_from_row(tuple(row), await self._turns(str(row[0])))

    async def sessions_for_user(self, user_key: str, limit: int = 20) -> list[SessionRecord]:
        async with self.db.execute(
            f"{self._SELECT} WHERE user_key = ? ORDER BY updated_at DESC LIMIT ?",
            (user_key, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [self._record_from_row(tuple(r), await self._turns(str(r[0]))) for r in rows]

    async def open_sessions(self, platform: str, limit: int = 500) -> list[SessionRecord]:
        marks = ", ".join("?" for _ in ACTIVE_STATES)
        async with self.db.execute(
            f"{self._SELECT} WHERE state IN ({marks}) AND user_key LIKE ? ESCAPE '\\'"
            " ORDER BY updated_at DESC LIMIT ?",
            (*ACTIVE_STATES, _like_prefix(platform), limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [self._record_from_row(tuple(r), await self._turns(str(r[0]))) for r in rows]

    async def count_open_sessions(self) -> dict[str, int]:
        """Open sessions per platform (the ``user_key`` prefix) in one query, for ``/metrics``."""
        marks = ", ".join("?" for _ in ACTIVE_STATES)
        async with self.db.execute(
            "SELECT substr(user_key, 1, instr(user_key, ':') - 1), count(*) FROM sessions"
            f" WHERE state IN ({marks}) GROUP BY 1",
            ACTIVE_STATES,
        ) as cursor:
            rows = await cursor.fetchall()
        return {str(platform or "unknown"): int(count) for platform, count in rows}

    async def forget_user(self, user_key: str) -> ForgetReport:
        owned = "SELECT id FROM sessions WHERE user_key = ?"
        async with self._write_lock:
            try:
                turns = await self.db.execute(
                    f"DELETE FROM turns WHERE session_id IN ({owned})", (user_key,)
                )
                sessions = await self.db.execute(
                    "DELETE FROM sessions WHERE user_key = ?", (user_key,)
                )
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise
            report = ForgetReport(sessions=sessions.rowcount, turns=turns.rowcount)
            if report.sessions or report.turns:
                await self._scrub()
        return report

    async def purge_before(self, timestamp: float) -> int:
        expired = "SELECT id FROM sessions WHERE updated_at < ?"
        async with self._write_lock:
            try:
                await self.db.execute(
                    f"DELETE FROM turns WHERE session_id IN ({expired})", (timestamp,)
                )
                sessions = await self.db.execute(
                    "DELETE FROM sessions WHERE updated_at < ?", (timestamp,)
                )
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise
            if sessions.rowcount:
                await self._scrub()
        return sessions.rowcount

    async def _scrub(self) -> None:
        """Rewrite the file without the deleted rows' pages (VACUUM), then fold the WAL back in
        and truncate it: a deleted answer must not stay readable in free pages or in the WAL.

        Called under the write lock after a commit. A failure is logged, not raised: the rows are
        already deleted and the next forget or purge vacuums again.
        """
        try:
            await self.db.execute("VACUUM")
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as exc:
            log.warning("could not vacuum %s after deleting rows: %s", self.path, exc)

    async def claim(self, session_id: str, owner: str) -> bool:
        """Session ownership (see ``bot.store``): a SQLite file serves one process, so only a
        different owner inside this process can hold the session already."""
        held = self._claims.holder(session_id)
        if held is not None:
            return held == owner
        self._claims.take(session_id, owner)
        return True

    async def release(self, session_id: str, owner: str) -> None:
        self._claims.drop(session_id, owner)


__all__ = ["SCHEMA_VERSION", "SQLiteStore", "StoreError"]
