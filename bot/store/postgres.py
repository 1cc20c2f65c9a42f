"""PostgreSQL store (psycopg 3 async with a connection pool) behind the same ``Store`` port.

Why PostgreSQL: several bot processes (Discord shards, a Slack worker) share one database, and a
session must be handled by exactly one of them at a time; SQLite serves one process well and no more.

Why an append-only list of SQL migrations per backend rather than Alembic: there are two backends
and a two-table schema with no ORM. Alembic needs SQLAlchemy (an engine, a ``MetaData`` model and an
``env.py``) only to emit a handful of ``CREATE``/``ALTER`` statements we can read and review as SQL,
and its autogenerate compares ORM models we do not have. Each backend keeps a tuple whose entry N
moves the schema from version N to N+1 (SQLite records the version in ``PRAGMA user_version``,
PostgreSQL in ``interview_bot_schema``); the tuples have the same length and the same tables, which
``tests/test_store_backends.py`` checks. Released entries are never edited. If the schema grows past
a few tables or needs data migrations across backends, Alembic with SQLAlchemy Core is the step up.

Migrations run in one transaction under a transaction-level advisory lock, so processes starting
together do not race; PostgreSQL's DDL is transactional, so a failed migration leaves nothing half
applied. The session's JSON columns stay ``TEXT`` as in SQLite: the store never queries inside
them, and the text round-trips byte for byte. Scope settings and user preferences (migration 2) are
``jsonb``, so the server itself refuses anything but a JSON object.

Several processes share the practice queue and the reminders, so their claims are single
statements or advisory-locked transactions (see ``join_queue`` and ``mark_reminder_sent``).

Every state change and its turn are written in one transaction, as in SQLite. psycopg is imported
only when this store is opened, so installs that never use PostgreSQL need not have it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.domain import Turn
from bot.ports import (
    ACTIVE_STATES,
    QueueEntry,
    SessionRecord,
)
from bot.store import InProcessClaims, describe_url
from bot.store.common import SQLStore, Statement
from bot.store.rows import (
    MUTABLE_COLUMNS,
    QUEUE_COLUMNS,
    SESSION_COLUMNS,
    SessionChild,
    StoreError,
    mutable_values,
    queue_entry_from_row,
    record_from_row,
    session_values,
    values_in,
)

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    Connection = AsyncConnection[tuple[Any, ...]]
    Pool = AsyncConnectionPool[Connection]

log = logging.getLogger(__name__)

# Append-only, one entry per schema version, mirroring ``bot.store.sqlite.MIGRATIONS``.
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
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_key, updated_at);
    CREATE INDEX sessions_by_conversation ON sessions (user_key, conversation_key, state);
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        question_index INTEGER NOT NULL,
        turn_json TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    """,
    # 2: sharing, observers and peer scores, settings and preferences, the practice queue,
    # reminders and opt-in audio (issue 11). Rows that belong to a session cascade with it.
    # Settings and preferences are jsonb (the server checks they are JSON); audio is bytea.
    """
    CREATE TABLE share_links (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        revoked_at DOUBLE PRECISION
    );
    CREATE INDEX share_links_by_user ON share_links (user_key, created_at);
    CREATE INDEX share_links_by_session ON share_links (session_id);
    CREATE TABLE participants (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        user_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('observer', 'interviewer')),
        added_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (session_id, user_key)
    );
    CREATE INDEX participants_by_user ON participants (user_key, added_at);
    CREATE TABLE peer_scores (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        question_index INTEGER NOT NULL,
        scorer_key TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('observer', 'interviewer', 'candidate')),
        score DOUBLE PRECISION NOT NULL CHECK (score >= 1.0 AND score <= 5.0),
        note TEXT NOT NULL DEFAULT '',
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (session_id, question_index, scorer_key)
    );
    CREATE INDEX peer_scores_by_scorer ON peer_scores (scorer_key);
    CREATE TABLE scope_settings (
        scope TEXT PRIMARY KEY,
        settings_json JSONB NOT NULL CHECK (jsonb_typeof(settings_json) = 'object'),
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE user_prefs (
        user_key TEXT PRIMARY KEY,
        prefs_json JSONB NOT NULL CHECK (jsonb_typeof(prefs_json) = 'object'),
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE queue_entries (
        scope TEXT NOT NULL,
        user_key TEXT NOT NULL,
        role_type TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        enqueued_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        voice BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (scope, user_key)
    );
    CREATE INDEX queue_by_role ON queue_entries (scope, role_type, enqueued_at);
    CREATE INDEX queue_by_expiry ON queue_entries (expires_at);
    CREATE INDEX queue_by_user ON queue_entries (user_key);
    CREATE TABLE reminders (
        id TEXT PRIMARY KEY,
        user_key TEXT NOT NULL,
        conversation_key TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        text TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        sent_at DOUBLE PRECISION
    );
    CREATE INDEX reminders_unsent ON reminders (due_at) WHERE sent_at IS NULL;
    CREATE INDEX reminders_by_user ON reminders (user_key, due_at);
    CREATE TABLE audio (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        question_index INTEGER NOT NULL,
        format TEXT NOT NULL,
        data BYTEA NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (session_id, question_index)
    );
    CREATE INDEX sessions_finished ON sessions (state, updated_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# The jsonb columns of migration 2: their JSON text parameter is cast on the way in.
JSONB_COLUMNS = frozenset({"settings_json", "prefs_json"})
VERSION_TABLE = "interview_bot_schema"
# application_name on our connections, so pg_stat_activity shows which ones hold session claims.
APPLICATION = "interview-bot"
CLAIMS_APPLICATION = "interview-bot claims"

# Advisory-lock keys are one 64-bit space per database; derive ours from a namespaced hash so they
# do not collide with another application's locks (or our migration lock).
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"interview-bot:migrations", digest_size=8).digest(), "big", signed=True
)

_SELECT = f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions"


def queue_lock_key(scope: str, role_type: str) -> int:
    """The advisory-lock key serialising joiners of one scope's queue for one role type."""
    digest = hashlib.blake2b(
        b"interview-bot:queue:" + scope.encode() + b"\0" + role_type.encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def session_lock_key(session_id: str) -> int:
    """The advisory-lock key of a session: the same in every process and server version."""
    digest = hashlib.blake2b(
        b"interview-bot:session:" + session_id.encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def _import_driver() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:
        raise StoreError(
            f"DATABASE_URL points at PostgreSQL but psycopg is not installed ({exc}); "
            "install it with: pip install 'interview-bot[postgres]'"
        ) from exc
    return psycopg, psycopg_pool


class PostgresStore(SQLStore):
    """``Store`` over PostgreSQL; plus ``claim``/``release`` for session ownership across processes.

    ``pool_size`` bounds the connections this process opens (one more is held for claims);
    ``timeout`` bounds connecting and waiting for a free pooled connection, so a down server is an
    error within seconds rather than a hang.
    """

    _JSON_AS_TEXT = "::text"
    # Ties ordered bytewise, as SQLite does, whatever the database's locale.
    _BYTEWISE = ' COLLATE "C"'

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 10.0) -> None:
        self.url = url
        self.name = describe_url(url)
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: Pool | None = None
        self._claims_conn: Connection | None = None
        self._claims = InProcessClaims()
        self._claims_lock = asyncio.Lock()

    @property
    def pool(self) -> Pool:
        if self._pool is None:
            raise StoreError("store is not open")
        return self._pool

    async def _connect(self, application_name: str = APPLICATION) -> Connection:
        psycopg, _ = _import_driver()
        try:
            conn: Connection = await psycopg.AsyncConnection.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, round(self.timeout)),
                application_name=application_name,
            )
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the database {self.name}: {exc}") from exc
        return conn

    async def open(self) -> None:
        psycopg, psycopg_pool = _import_driver()
        # Migrate on one direct connection first: its errors (bad password, unknown database) are
        # clearer than a pool's "couldn't get a connection" time-out.
        conn = await self._connect()
        try:
            await self._migrate(conn)
        except psycopg.Error as exc:
            raise StoreError(f"cannot prepare the database {self.name}: {exc}") from exc
        finally:
            await conn.close()
        pool = psycopg_pool.AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=self.pool_size,
            open=False,
            timeout=self.timeout,
            # A connection broken by a server restart is replaced instead of failing a turn.
            check=psycopg_pool.AsyncConnectionPool.check_connection,
            kwargs={
                "connect_timeout": max(1, round(self.timeout)),
                "application_name": APPLICATION,
            },
        )
        try:
            await pool.open(wait=True, timeout=self.timeout)
        except psycopg_pool.PoolTimeout as exc:
            await pool.close()
            raise StoreError(f"cannot open connections to the database {self.name}") from exc
        self._pool = pool

    async def _migrate(self, conn: Connection) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            cur = await conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL, to_regclass('sessions') IS NOT NULL",
                (VERSION_TABLE,),
            )
            row = await cur.fetchone()
            has_version, has_sessions = (bool(row[0]), bool(row[1])) if row else (False, False)
            if not has_version:
                if has_sessions:
                    raise StoreError(
                        f"the database {self.name} has a sessions table but no {VERSION_TABLE}: "
                        "it is not an interview-bot database. It was left untouched; point "
                        "DATABASE_URL at an empty database."
                    )
                await conn.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)")
                await conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (0)")
            cur = await conn.execute(f"SELECT version FROM {VERSION_TABLE}")
            row = await cur.fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.name} has schema version {version}, newer than this "
                    f"interview-bot understands ({SCHEMA_VERSION}); upgrade interview-bot."
                )
            for number in range(version, SCHEMA_VERSION):
                log.info("applying store migration %d -> %d", number, number + 1)
                await conn.execute(MIGRATIONS[number])
            if version < SCHEMA_VERSION:
                await conn.execute(f"UPDATE {VERSION_TABLE} SET version = %s", (SCHEMA_VERSION,))

    async def close(self) -> None:
        # Closing the claims connection releases every advisory lock this process holds.
        if self._claims_conn is not None:
            await self._claims_conn.close()
            self._claims_conn = None
        self._claims.clear()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def schema_version(self) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT version FROM {VERSION_TABLE}")
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def create_session(self, record: SessionRecord) -> None:
        values = session_values(record)
        marks = ", ".join(f"%({k})s" for k in SESSION_COLUMNS)
        async with self._write() as conn:
            await conn.execute(
                f"INSERT INTO sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({marks})", values
            )

    async def save_progress(self, record: SessionRecord, new_turn: Turn | None = None) -> None:
        values = mutable_values(record)
        assignments = ", ".join(f"{k} = %({k})s" for k in MUTABLE_COLUMNS)
        async with self.pool.connection() as conn, conn.transaction():
            updated = await conn.execute(
                f"UPDATE sessions SET {assignments} WHERE id = %(id)s", values
            )
            if updated.rowcount == 0:
                log.info("session %s is gone (forgotten or purged): progress not saved", record.id)
                return
            if new_turn is not None:
                await conn.execute(
                    "INSERT INTO turns (session_id, seq, question_index, turn_json, created_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (session_id, seq) DO UPDATE SET"
                    " question_index = EXCLUDED.question_index,"
                    " turn_json = EXCLUDED.turn_json, created_at = EXCLUDED.created_at",
                    (
                        record.id,
                        new_turn.seq,
                        new_turn.question_index,
                        new_turn.model_dump_json(),
                        new_turn.created_at,
                    ),
                )

    def _record_from_row(self, row: Sequence[Any], turns: list[Turn]) -> SessionRecord:
        return record_from_row(row, turns, self.name)

    async def _records(self, sql: str, params: Sequence[Any]) -> list[SessionRecord]:
        """Sessions and all their turns in two queries (not one query per session)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            rows = await cur.fetchall()
            if not rows:
                return []
            ids = [str(r[0]) for r in rows]
            cur = await conn.execute(
                "SELECT session_id, turn_json FROM turns WHERE session_id = ANY(%s)"
                " ORDER BY session_id, seq",
                (ids,),
            )
            turn_rows = await cur.fetchall()
        turns: dict[str, list[Turn]] = {sid: [] for sid in ids}
        for sid, turn_json in turn_rows:
            turns[sid].append(Turn.model_validate_json(turn_json))
        return [self._record_from_row(r, turns[str(r[0])]) for r in rows]

    async def load_session(self, session_id: str) -> SessionRecord | None:
        found = await self._records(f"{_SELECT} WHERE id = %s", (session_id,))
        return found[0] if found else None

    async def active_session(self, user_key: str, conversation_key: str) -> SessionRecord | None:
        found = await self._records(
            f"{_SELECT} WHERE user_key = %s AND conversation_key = %s AND state = ANY(%s)"
            " ORDER BY updated_at DESC LIMIT 1",
            (user_key, conversation_key, list(ACTIVE_STATES)),
        )
        return found[0] if found else None

    async def sessions_for_user(self, user_key: str, limit: int = 20) -> list[SessionRecord]:
        return await self._records(
            f"{_SELECT} WHERE user_key = %s ORDER BY updated_at DESC LIMIT %s", (user_key, limit)
        )

    async def open_sessions(self, platform: str, limit: int = 500) -> list[SessionRecord]:
        return await self._records(
            f"{_SELECT} WHERE state = ANY(%s) AND starts_with(user_key, %s)"
            " ORDER BY updated_at DESC LIMIT %s",
            (list(ACTIVE_STATES), f"{platform}:", limit),
        )

    async def count_open_sessions(self) -> dict[str, int]:
        """Open sessions per platform (the ``user_key`` prefix) in one query, for ``/metrics``."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT split_part(user_key, ':', 1), count(*) FROM sessions"
                " WHERE state = ANY(%s) GROUP BY 1",
                (list(ACTIVE_STATES),),
            )
            rows = await cur.fetchall()
        return {str(platform or "unknown"): int(count) for platform, count in rows}

    # Primitives of the shared methods (bot.store.common) ----------------------------------------
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Connection]:
        """One transaction; a row a constraint refuses (a score out of range, a duplicate id)
        is a ``StoreError`` naming the database, as in SQLite."""
        psycopg, _ = _import_driver()
        try:
            async with self.pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.IntegrityError as exc:
            raise StoreError(f"{self.name} refused the write: {exc}") from exc

    async def _write_one(self, sql: str, params: Sequence[Any]) -> int:
        async with self._write() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def _delete_together(
        self, statements: Sequence[Statement], *, lock: Statement | None = None
    ) -> list[int]:
        async with self.pool.connection() as conn, conn.transaction():
            if lock is not None:
                await conn.execute(*lock)
            counts: list[int] = []
            for sql, params in statements:
                cursor = await conn.execute(sql, params)
                counts.append(cursor.rowcount)
            return counts

    async def _insert_for_session(
        self, table: str, columns: Sequence[str], key: Sequence[str], item: SessionChild
    ) -> None:
        """A no-op when the session is gone: the foreign key refuses the row, and that refusal
        is expected, not an error."""
        psycopg, _ = _import_driver()
        try:
            await self._write_one(self._upsert_sql(table, columns, key), values_in(item, columns))
        except StoreError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.ForeignKeyViolation):
                raise
            log.info("session %s is gone: %s row not saved", item.session_id, table)

    def _upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """``ON CONFLICT … DO UPDATE``; a jsonb column's text parameter is cast to jsonb."""
        marks = ", ".join("%s::jsonb" if c in JSONB_COLUMNS else "%s" for c in columns)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )

    def _prefix_match(self, column: str, prefix: str) -> tuple[str, str]:
        return f"starts_with({column}, %s)", prefix

    # Practice queue -------------------------------------------------------------------------
    async def join_queue(self, entry: QueueEntry, now: float) -> QueueEntry | None:
        """Joiners for one scope and role type are serialised by a transaction-level advisory
        lock, so two members joining at once match each other instead of both waiting; the
        partner is taken with ``FOR UPDATE SKIP LOCKED`` and deleted in the same statement, so no
        two transactions can ever both remove (and be handed) the same waiting entry."""
        columns = ", ".join(QUEUE_COLUMNS)
        async with self._write() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(%s)", (queue_lock_key(entry.scope, entry.role_type),)
            )
            cursor = await conn.execute(
                "DELETE FROM queue_entries WHERE (scope, user_key) = ("
                " SELECT scope, user_key FROM queue_entries"
                " WHERE scope = %s AND role_type = %s AND user_key <> %s AND expires_at > %s"
                " ORDER BY enqueued_at, user_key LIMIT 1 FOR UPDATE SKIP LOCKED"
                f") RETURNING {columns}",
                (entry.scope, entry.role_type, entry.user_key, now),
            )
            row = await cursor.fetchone()
            if row is not None:
                # The joiner's own older entry (another role type) goes too: they are matched.
                await conn.execute(
                    "DELETE FROM queue_entries WHERE scope = %s AND user_key = %s",
                    (entry.scope, entry.user_key),
                )
                return queue_entry_from_row(row)
            await conn.execute(
                self._upsert_sql("queue_entries", QUEUE_COLUMNS, ("scope", "user_key")),
                values_in(entry, QUEUE_COLUMNS),
            )
            return None

    async def expire_queue(self, now: float) -> list[QueueEntry]:
        """``DELETE … RETURNING``: what one process returns (and tells) no other process gets."""
        async with self._write() as conn:
            cursor = await conn.execute(
                f"DELETE FROM queue_entries WHERE expires_at <= %s RETURNING"
                f" {', '.join(QUEUE_COLUMNS)}",
                (now,),
            )
            rows = await cursor.fetchall()
        expired = [queue_entry_from_row(r) for r in rows]
        return sorted(expired, key=lambda e: (e.enqueued_at, e.scope, e.user_key))

    async def claim(self, session_id: str, owner: str) -> bool:
        """True when ``owner`` now handles the session: no other process or owner holds it.

        The lock is a session-level ``pg_try_advisory_lock`` on a dedicated autocommit connection
        (pooled connections are shared, so a lock taken on one would leak to whoever borrows it
        next). It never waits: a busy session answers false at once. The server drops the lock
        when this process closes the store or dies.

        Claiming again as the holder is idempotent and costs one round trip that proves the
        claims connection (and so the lock) is still alive: call it before handling each event.
        If that connection was lost, every claim went with it; the claim is then retried once on
        a new connection, so true still means "held now", never "held once".
        """
        psycopg, _ = _import_driver()
        async with self._claims_lock:
            try:
                return await self._claim_once(session_id, owner)
            except psycopg.OperationalError as exc:
                await self._lose_claims(str(exc).strip())
            try:
                return await self._claim_once(session_id, owner)
            except psycopg.OperationalError as exc:
                await self._lose_claims(str(exc).strip())
                raise StoreError(
                    f"cannot claim session {session_id} on {self.name}: {exc}"
                ) from exc

    async def _claim_once(self, session_id: str, owner: str) -> bool:
        conn = await self._claims_connection()
        held = self._claims.holder(session_id)
        if held is not None:
            if held != owner:
                return False
            await conn.execute("SELECT 1")  # alive connection = our lock is still held
            return True
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (session_lock_key(session_id),))
        row = await cur.fetchone()
        if row is None or not row[0]:
            return False
        self._claims.take(session_id, owner)
        return True

    async def release(self, session_id: str, owner: str) -> None:
        """Let another process claim the session; a no-op unless ``owner`` holds it."""
        psycopg, _ = _import_driver()
        async with self._claims_lock:
            if not self._claims.drop(session_id, owner) or self._claims_conn is None:
                return
            try:
                await self._claims_conn.execute(
                    "SELECT pg_advisory_unlock(%s)", (session_lock_key(session_id),)
                )
            except psycopg.OperationalError as exc:
                await self._lose_claims(str(exc).strip())  # the lock went with the connection

    async def _lose_claims(self, reason: str) -> None:
        if self._claims_conn is not None:
            log.warning(
                "claims connection to %s was lost (%s); this process's session claims are gone",
                self.name,
                reason,
            )
            await self._claims_conn.close()
            self._claims_conn = None
        self._claims.clear()

    async def _claims_connection(self) -> Connection:
        if self._pool is None:
            raise StoreError("store is not open")
        conn = self._claims_conn
        if conn is not None and (conn.closed or conn.broken):
            await self._lose_claims("closed")
            conn = None
        if conn is None:
            conn = self._claims_conn = await self._connect(application_name=CLAIMS_APPLICATION)
        return conn
