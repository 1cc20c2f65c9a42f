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
from bot.ports import (
    ACTIVE_STATES,
    QueueEntry,
    SessionRecord,
)
from bot.store import InProcessClaims
from bot.store.common import SQLStore, Statement
from bot.store.rows import (
    QUEUE_COLUMNS,
    SESSION_COLUMNS,
    SessionChild,
    StoreError,
    like_prefix,
    mutable_values,
    queue_entry_from_row,
    record_from_row,
    session_values,
    values_in,
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
    # 2: sharing, observers and peer scores, settings and preferences, the practice queue,
    # reminders and opt-in audio (issue 11). Rows that belong to a session cascade with it.
    """
    CREATE TABLE share_links (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        revoked_at REAL
    );
    CREATE INDEX share_links_by_user ON share_links (user_key, created_at);
    CREATE INDEX share_links_by_session ON share_links (session_id);
    CREATE TABLE participants (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('observer', 'interviewer')),
        added_at REAL NOT NULL,
        PRIMARY KEY (session_id, user_key)
    );
    CREATE INDEX participants_by_user ON participants (user_key, added_at);
    CREATE TABLE peer_scores (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        question_index INTEGER NOT NULL,
        scorer_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('observer', 'interviewer', 'candidate')),
        score REAL NOT NULL CHECK (score >= 1.0 AND score <= 5.0),
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        PRIMARY KEY (session_id, question_index, scorer_key)
    );
    CREATE INDEX peer_scores_by_scorer ON peer_scores (scorer_key);
    CREATE TABLE scope_settings (
        scope TEXT PRIMARY KEY,
        settings_json TEXT NOT NULL CHECK (json_valid(settings_json)),
        updated_at REAL NOT NULL
    );
    CREATE TABLE user_prefs (
        user_key TEXT PRIMARY KEY,
        prefs_json TEXT NOT NULL CHECK (json_valid(prefs_json)),
        updated_at REAL NOT NULL
    );
    CREATE TABLE queue_entries (
        scope TEXT NOT NULL,
        user_key TEXT NOT NULL,
        role_type TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        enqueued_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        voice INTEGER NOT NULL DEFAULT 0 CHECK (voice IN (0, 1)),
        PRIMARY KEY (scope, user_key)
    );
    CREATE INDEX queue_by_role ON queue_entries (scope, role_type, enqueued_at);
    CREATE INDEX queue_by_expiry ON queue_entries (expires_at);
    CREATE INDEX queue_by_user ON queue_entries (user_key);
    CREATE TABLE reminders (
        id TEXT PRIMARY KEY,
        user_key TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        due_at REAL NOT NULL,
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        sent_at REAL
    );
    CREATE INDEX reminders_unsent ON reminders (due_at) WHERE sent_at IS NULL;
    CREATE INDEX reminders_by_user ON reminders (user_key, due_at);
    CREATE TABLE audio (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        question_index INTEGER NOT NULL,
        format TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (session_id, question_index)
    );
    CREATE INDEX sessions_finished ON sessions (state, updated_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _qmark(sql: str) -> str:
    """Shared SQL (``bot.store.common``) is written with psycopg's ``%s``; sqlite3 wants ``?``."""
    return sql.replace("%s", "?")


class SQLiteStore(SQLStore):
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
            except sqlite3.IntegrityError as exc:
                await self.db.rollback()
                raise StoreError(f"{self.path} refused the write: {exc}") from exc
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
            updated = await db.execute(f"UPDATE sessions SET {assignments} WHERE id = :id", values)
            if updated.rowcount == 0:
                log.info("session %s is gone (forgotten or purged): progress not saved", record.id)
                return
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
            (*ACTIVE_STATES, like_prefix(f"{platform}:"), limit),
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

    # Primitives of the shared methods (bot.store.common) ----------------------------------------
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self.db.execute(_qmark(sql), params) as cursor:
            return [tuple(r) for r in await cursor.fetchall()]

    async def _write_one(self, sql: str, params: Sequence[Any]) -> int:
        async with self._transaction() as db:
            cursor = await db.execute(_qmark(sql), params)
        return cursor.rowcount

    async def _delete_together(
        self, statements: Sequence[Statement], *, lock: Statement | None = None
    ) -> list[int]:
        """Under the writer lock, which already keeps every other write out (so ``lock`` is not
        run), then scrubbed, still under it, when anything was deleted."""
        async with self._write_lock:
            counts: list[int] = []
            try:
                for sql, params in statements:
                    cursor = await self.db.execute(_qmark(sql), params)
                    counts.append(cursor.rowcount)
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise
            if any(counts):
                await self._scrub()
        return counts

    async def _insert_for_session(
        self, table: str, columns: Sequence[str], key: Sequence[str], item: SessionChild
    ) -> None:
        """``INSERT OR REPLACE`` replaces on the primary key, which is ``key``; the ``EXISTS``
        makes a row for a session that is gone a no-op instead of a foreign-key error."""
        marks = ", ".join("?" for _ in columns)
        async with self._transaction() as db:
            await db.execute(
                f"INSERT OR REPLACE INTO {table} ({', '.join(columns)})"
                f" SELECT {marks} WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?)",
                (*values_in(item, columns), item.session_id),
            )

    def _upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """``INSERT OR REPLACE``: ``key`` is the table's primary key, its only unique index."""
        marks = ", ".join("?" for _ in columns)
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def _prefix_match(self, column: str, prefix: str) -> tuple[str, str]:
        return f"{column} LIKE ? ESCAPE '\\'", like_prefix(prefix)

    # Practice queue -------------------------------------------------------------------------
    async def join_queue(self, entry: QueueEntry, now: float) -> QueueEntry | None:
        """One transaction under the writer lock. ``BEGIN IMMEDIATE`` takes the file's write lock
        before the search, so even a second process on the same file (not a supported setup, but
        cheap to make safe) cannot match the same entry."""
        async with self._transaction() as db:
            await db.execute("BEGIN IMMEDIATE")
            async with db.execute(
                f"SELECT {', '.join(QUEUE_COLUMNS)} FROM queue_entries"
                " WHERE scope = ? AND role_type = ? AND user_key <> ? AND expires_at > ?"
                " ORDER BY enqueued_at, user_key LIMIT 1",
                (entry.scope, entry.role_type, entry.user_key, now),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                match = queue_entry_from_row(tuple(row))
                # The partner leaves the queue, and so does the joiner's own older entry (for
                # another role type): both are now matched.
                await db.execute(
                    "DELETE FROM queue_entries WHERE scope = ? AND user_key IN (?, ?)",
                    (entry.scope, match.user_key, entry.user_key),
                )
                return match
            await db.execute(
                self._upsert_sql("queue_entries", QUEUE_COLUMNS, ("scope", "user_key")),
                values_in(entry, QUEUE_COLUMNS),
            )
            return None

    async def expire_queue(self, now: float) -> list[QueueEntry]:
        async with self._transaction() as db:
            await db.execute("BEGIN IMMEDIATE")  # what is returned is exactly what is deleted
            async with db.execute(
                f"SELECT {', '.join(QUEUE_COLUMNS)} FROM queue_entries WHERE expires_at <= ?"
                " ORDER BY enqueued_at, scope, user_key",
                (now,),
            ) as cursor:
                rows = [tuple(r) for r in await cursor.fetchall()]
            await db.execute("DELETE FROM queue_entries WHERE expires_at <= ?", (now,))
        return [queue_entry_from_row(r) for r in rows]

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
