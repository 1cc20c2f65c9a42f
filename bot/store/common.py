"""The store methods whose SQL is the same on SQLite and PostgreSQL, written once.

Both backends implement the same ``Store`` port over the same tables; most methods differ only in
the placeholder style and in how a write is wrapped in a transaction. Writing that SQL once keeps a
fix or a new column from reaching one backend and not the other. What really differs stays in each
backend: migrations, writing and loading sessions, the queue match, the vacuum after SQLite's
deletes and session claims.

Shared SQL is written with ``%s`` placeholders (psycopg's style, so the PostgreSQL hot path runs it
as written); the SQLite backend turns them into ``?`` before executing. Literal ``%`` never appears
in shared SQL: prefixes and patterns are always parameters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from bot.ports import (
    ForgetReport,
    Participant,
    PeerScore,
    QueueEntry,
    Reminder,
    SessionRecord,
    ShareLink,
    StoredAudio,
)
from bot.store.rows import (
    AUDIO_COLUMNS,
    FINISHED_STATE,
    PARTICIPANT_COLUMNS,
    PEER_SCORE_COLUMNS,
    QUEUE_COLUMNS,
    REMINDER_COLUMNS,
    SHARE_LINK_COLUMNS,
    SessionChild,
    audio_from_row,
    json_object,
    json_text,
    participant_from_row,
    peer_score_from_row,
    queue_entry_from_row,
    reminder_from_row,
    scope_prefix,
    scope_settings_rows,
    share_link_from_row,
    values_in,
)

# One statement and its parameters, for ``_delete_together``.
Statement = tuple[str, Sequence[Any]]

_OWNED = "SELECT id FROM sessions WHERE user_key = %s"
# What ``forget_user`` deletes, in order, each under the ``ForgetReport`` field that counts it.
# Children are deleted explicitly (not left to the cascade) so each kind is counted.
FORGET_STEPS = (
    ("share_links", f"DELETE FROM share_links WHERE user_key = %s OR session_id IN ({_OWNED})"),
    ("participations", f"DELETE FROM participants WHERE user_key = %s OR session_id IN ({_OWNED})"),
    ("peer_scores", f"DELETE FROM peer_scores WHERE scorer_key = %s OR session_id IN ({_OWNED})"),
    ("audio_clips", f"DELETE FROM audio WHERE session_id IN ({_OWNED})"),
    ("turns", f"DELETE FROM turns WHERE session_id IN ({_OWNED})"),
    ("sessions", "DELETE FROM sessions WHERE user_key = %s"),
    ("reminders", "DELETE FROM reminders WHERE user_key = %s"),
    ("queue_entries", "DELETE FROM queue_entries WHERE user_key = %s"),
    ("preferences", "DELETE FROM user_prefs WHERE user_key = %s"),
)


def _select(columns: Sequence[str], table: str) -> str:
    return f"SELECT {', '.join(columns)} FROM {table}"


class SQLStore(ABC):
    """The shared half of a SQL ``Store``; a backend supplies the primitives below.

    Every write goes through ``_write_one``, ``_delete_together`` or ``_insert_for_session``, so
    each backend keeps its own transaction discipline (SQLite's single writer lock, PostgreSQL's
    pooled transactions) for the shared methods too.
    """

    # Appended to a JSON column in a SELECT so the driver returns text (PostgreSQL's jsonb).
    _JSON_AS_TEXT: ClassVar[str] = ""
    # Appended to a text ORDER BY key so ties order bytewise, as SQLite always does.
    _BYTEWISE: ClassVar[str] = ""

    # Primitives ------------------------------------------------------------------------------
    @abstractmethod
    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read and return every row."""

    @abstractmethod
    async def _write_one(self, sql: str, params: Sequence[Any]) -> int:
        """Run one write in its own write transaction; the number of rows it touched."""

    @abstractmethod
    async def _delete_together(
        self, statements: Sequence[Statement], *, lock: Statement | None = None
    ) -> list[int]:
        """Run deletes in one write transaction (all or none); each one's row count.

        ``lock`` (a ``SELECT … FOR UPDATE``) runs first where other writers can interleave;
        a backend whose writes are already serialised skips it."""

    @abstractmethod
    async def _insert_for_session(
        self, table: str, columns: Sequence[str], key: Sequence[str], item: SessionChild
    ) -> None:
        """Insert, or replace the row with the same ``key``, of a row that hangs off a session;
        a no-op when the session is gone (forgotten or purged while the caller was busy)."""

    @abstractmethod
    def _upsert_sql(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """INSERT of ``columns`` that replaces the row with the same ``key``."""

    @abstractmethod
    def _prefix_match(self, column: str, prefix: str) -> tuple[str, str]:
        """A condition (one placeholder) true when ``column`` starts with ``prefix`` literally,
        and the parameter to bind to it."""

    # Sessions ----------------------------------------------------------------------------------
    async def replace_plan(self, record: SessionRecord) -> None:
        await self._write_one(
            "UPDATE sessions SET plan_json = %s, updated_at = %s WHERE id = %s",
            (record.plan.model_dump_json(), record.updated_at, record.id),
        )

    async def forget_user(self, user_key: str) -> ForgetReport:
        """The user's sessions are locked first: a concurrent write hanging off one of them (a
        turn, a peer score) waits, then finds the session gone and becomes a no-op, so nothing
        is added between counting and deleting."""
        counts = await self._delete_together(
            [(sql, (user_key,) * sql.count("%s")) for _, sql in FORGET_STEPS],
            lock=(f"{_OWNED} ORDER BY id FOR UPDATE", (user_key,)),
        )
        return ForgetReport(**dict(zip((kind for kind, _ in FORGET_STEPS), counts, strict=True)))

    async def purge_before(self, timestamp: float) -> int:
        return await self._purge_sessions("", (), timestamp)

    async def purge_scope_before(self, conversation_prefix: str, timestamp: float) -> int:
        scoped, prefix = self._prefix_match("conversation_key", scope_prefix(conversation_prefix))
        return await self._purge_sessions(f"{scoped} AND ", (prefix,), timestamp)

    async def _purge_sessions(self, scoped: str, params: Sequence[Any], timestamp: float) -> int:
        """Sessions last touched before ``timestamp``, their turns and reminders sent before it,
        where ``scoped`` (empty, or a condition ending in ``AND``) holds; the sessions' count.
        Share links, participants, peer scores and audio go with the cascade."""
        both = (*params, timestamp)
        counts = await self._delete_together(
            (
                (
                    "DELETE FROM turns WHERE session_id IN"
                    f" (SELECT id FROM sessions WHERE {scoped}updated_at < %s)",
                    both,
                ),
                (f"DELETE FROM sessions WHERE {scoped}updated_at < %s", both),
                (
                    f"DELETE FROM reminders WHERE {scoped}sent_at IS NOT NULL AND sent_at < %s",
                    both,
                ),
            )
        )
        return counts[1]

    async def purge_share_links_before(self, timestamp: float) -> int:
        return await self._write_one(
            "DELETE FROM share_links WHERE expires_at < %s OR revoked_at < %s",
            (timestamp, timestamp),
        )

    # Share links -------------------------------------------------------------------------------
    async def create_share_link(self, link: ShareLink) -> None:
        await self._insert_for_session("share_links", SHARE_LINK_COLUMNS, ("id",), link)

    async def get_share_link(self, link_id: str) -> ShareLink | None:
        rows = await self._fetchall(
            f"{_select(SHARE_LINK_COLUMNS, 'share_links')} WHERE id = %s", (link_id,)
        )
        return share_link_from_row(rows[0]) if rows else None

    async def revoke_share_links(
        self, user_key: str, *, session_id: str | None = None, link_id: str | None = None, at: float
    ) -> int:
        sql = "UPDATE share_links SET revoked_at = %s WHERE user_key = %s AND revoked_at IS NULL"
        params: list[Any] = [at, user_key]
        if session_id is not None:
            sql += " AND session_id = %s"
            params.append(session_id)
        if link_id is not None:
            sql += " AND id = %s"
            params.append(link_id)
        return await self._write_one(sql, params)

    async def share_links_for_user(self, user_key: str) -> list[ShareLink]:
        rows = await self._fetchall(
            f"{_select(SHARE_LINK_COLUMNS, 'share_links')} WHERE user_key = %s"
            " ORDER BY created_at DESC, id",
            (user_key,),
        )
        return [share_link_from_row(r) for r in rows]

    # Participants and peer scores -------------------------------------------------------------
    async def add_participant(self, participant: Participant) -> None:
        await self._insert_for_session(
            "participants", PARTICIPANT_COLUMNS, ("session_id", "user_key"), participant
        )

    async def remove_participant(self, session_id: str, user_key: str) -> bool:
        removed = await self._write_one(
            "DELETE FROM participants WHERE session_id = %s AND user_key = %s",
            (session_id, user_key),
        )
        return removed > 0

    async def participants(self, session_id: str) -> list[Participant]:
        rows = await self._fetchall(
            f"{_select(PARTICIPANT_COLUMNS, 'participants')} WHERE session_id = %s"
            " ORDER BY added_at, user_key",
            (session_id,),
        )
        return [participant_from_row(r) for r in rows]

    async def sessions_participating(self, user_key: str, limit: int = 20) -> list[str]:
        rows = await self._fetchall(
            "SELECT session_id FROM participants WHERE user_key = %s"
            " ORDER BY added_at DESC, session_id LIMIT %s",
            (user_key, limit),
        )
        return [str(r[0]) for r in rows]

    async def save_peer_score(self, score: PeerScore) -> None:
        await self._insert_for_session(
            "peer_scores",
            PEER_SCORE_COLUMNS,
            ("session_id", "question_index", "scorer_key"),
            score,
        )

    async def peer_scores(self, session_id: str) -> list[PeerScore]:
        rows = await self._fetchall(
            f"{_select(PEER_SCORE_COLUMNS, 'peer_scores')} WHERE session_id = %s"
            " ORDER BY question_index, created_at, scorer_key",
            (session_id,),
        )
        return [peer_score_from_row(r) for r in rows]

    # Settings and preferences ----------------------------------------------------------------
    async def get_scope_settings(self, scope: str) -> dict[str, Any] | None:
        rows = await self._fetchall(
            f"SELECT settings_json{self._JSON_AS_TEXT} FROM scope_settings WHERE scope = %s",
            (scope,),
        )
        return json_object(rows[0][0], f"settings of {scope}") if rows else None

    async def scope_settings_all(self) -> list[tuple[str, dict[str, Any]]]:
        return scope_settings_rows(
            await self._fetchall(
                f"SELECT scope, settings_json{self._JSON_AS_TEXT} FROM scope_settings"
                " ORDER BY scope"
            )
        )

    async def put_scope_settings(self, scope: str, values: dict[str, Any], at: float) -> None:
        await self._write_one(
            self._upsert_sql(
                "scope_settings", ("scope", "settings_json", "updated_at"), ("scope",)
            ),
            (scope, json_text(values), at),
        )

    async def get_user_prefs(self, user_key: str) -> dict[str, Any]:
        rows = await self._fetchall(
            f"SELECT prefs_json{self._JSON_AS_TEXT} FROM user_prefs WHERE user_key = %s",
            (user_key,),
        )
        found = json_object(rows[0][0], f"preferences of {user_key}") if rows else None
        return found or {}

    async def put_user_prefs(self, user_key: str, values: dict[str, Any], at: float) -> None:
        await self._write_one(
            self._upsert_sql("user_prefs", ("user_key", "prefs_json", "updated_at"), ("user_key",)),
            (user_key, json_text(values), at),
        )

    # Practice queue (matching and expiry are dialect-specific) ---------------------------------
    async def leave_queue(self, scope: str, user_key: str) -> bool:
        removed = await self._write_one(
            "DELETE FROM queue_entries WHERE scope = %s AND user_key = %s", (scope, user_key)
        )
        return removed > 0

    async def queue_entries(self, scope: str) -> list[QueueEntry]:
        rows = await self._fetchall(
            f"{_select(QUEUE_COLUMNS, 'queue_entries')} WHERE scope = %s"
            " ORDER BY enqueued_at, user_key",
            (scope,),
        )
        return [queue_entry_from_row(r) for r in rows]

    # Reminders ---------------------------------------------------------------------------------
    async def add_reminder(self, reminder: Reminder) -> None:
        await self._write_one(
            f"INSERT INTO reminders ({', '.join(REMINDER_COLUMNS)})"
            f" VALUES ({', '.join('%s' for _ in REMINDER_COLUMNS)})",
            values_in(reminder, REMINDER_COLUMNS),
        )

    async def due_reminders(self, now: float, limit: int = 50) -> list[Reminder]:
        rows = await self._fetchall(
            f"{_select(REMINDER_COLUMNS, 'reminders')}"
            " WHERE sent_at IS NULL AND due_at <= %s ORDER BY due_at, id LIMIT %s",
            (now, limit),
        )
        return [reminder_from_row(r) for r in rows]

    async def mark_reminder_sent(self, reminder_id: str, at: float) -> bool:
        """True for exactly one claimant: the single UPDATE re-checks ``sent_at IS NULL`` under
        the write lock (SQLite) or the row lock (PostgreSQL), so a second claimant misses."""
        marked = await self._write_one(
            "UPDATE reminders SET sent_at = %s WHERE id = %s AND sent_at IS NULL",
            (at, reminder_id),
        )
        return marked == 1

    async def reminders_for_user(self, user_key: str) -> list[Reminder]:
        rows = await self._fetchall(
            f"{_select(REMINDER_COLUMNS, 'reminders')}"
            " WHERE user_key = %s AND sent_at IS NULL ORDER BY due_at, id",
            (user_key,),
        )
        return [reminder_from_row(r) for r in rows]

    async def cancel_reminder(self, reminder_id: str, user_key: str) -> bool:
        removed = await self._write_one(
            "DELETE FROM reminders WHERE id = %s AND user_key = %s AND sent_at IS NULL",
            (reminder_id, user_key),
        )
        return removed > 0

    # Opt-in audio ----------------------------------------------------------------------------
    async def save_audio(self, audio: StoredAudio) -> None:
        await self._insert_for_session(
            "audio", AUDIO_COLUMNS, ("session_id", "question_index"), audio
        )

    async def audio_for_session(self, session_id: str) -> list[StoredAudio]:
        rows = await self._fetchall(
            f"{_select(AUDIO_COLUMNS, 'audio')} WHERE session_id = %s ORDER BY question_index",
            (session_id,),
        )
        return [audio_from_row(r) for r in rows]

    # Leaderboard -------------------------------------------------------------------------------
    async def completed_counts(
        self, conversation_prefix: str, since: float, limit: int = 10
    ) -> list[tuple[str, int]]:
        scoped, prefix = self._prefix_match("conversation_key", conversation_prefix)
        rows = await self._fetchall(
            "SELECT user_key, COUNT(*) AS n FROM sessions"
            f" WHERE state = %s AND {scoped} AND updated_at >= %s"
            f" GROUP BY user_key ORDER BY n DESC, user_key{self._BYTEWISE} LIMIT %s",
            (FINISHED_STATE, prefix, since, limit),
        )
        return [(str(user), int(n)) for user, n in rows]
