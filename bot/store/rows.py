"""How a ``SessionRecord`` maps to a ``sessions`` row, shared by every SQL backend.

One mapping, so a new column is added in one place and the backends cannot drift apart; the
backends differ only in placeholders, transactions and migrations.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from bot.domain import InterviewPlan, JobProfile, Recap, Turn
from bot.ports import (
    Participant,
    PeerScore,
    QueueEntry,
    Reminder,
    SessionRecord,
    ShareLink,
    StoredAudio,
)

SESSION_COLUMNS = (
    "id",
    "user_key",
    "conversation_key",
    "state",
    "profile_json",
    "plan_json",
    "cursor",
    "follow_ups_asked",
    "pending_probe",
    "probe_kind",
    "hints_used",
    "paused_from",
    "recap_json",
    "created_at",
    "updated_at",
)
# What a turn can change. Profile and plan never change after creation (a briefing re-plan uses
# replace_plan), so they are not serialised or rewritten per turn.
MUTABLE_COLUMNS = (
    "state",
    "cursor",
    "follow_ups_asked",
    "pending_probe",
    "probe_kind",
    "hints_used",
    "paused_from",
    "recap_json",
    "updated_at",
)


class StoreError(RuntimeError):
    """The database cannot be used; the message names the database and what to do."""


def mutable_values(record: SessionRecord) -> dict[str, Any]:
    """The per-turn columns plus ``id``, keyed by column name."""
    return {
        "id": record.id,
        "state": record.state,
        "cursor": record.cursor,
        "follow_ups_asked": record.follow_ups_asked,
        "pending_probe": record.pending_probe,
        "probe_kind": record.probe_kind,
        "hints_used": record.hints_used,
        "paused_from": record.paused_from,
        "recap_json": record.recap.model_dump_json() if record.recap else None,
        "updated_at": record.updated_at,
    }


def session_values(record: SessionRecord) -> dict[str, Any]:
    """Every column of a new row, keyed by column name."""
    return {
        **mutable_values(record),
        "user_key": record.user_key,
        "conversation_key": record.conversation_key,
        "profile_json": record.profile.model_dump_json(),
        "plan_json": record.plan.model_dump_json(),
        "created_at": record.created_at,
    }


def record_from_row(row: Sequence[Any], turns: list[Turn], where: str) -> SessionRecord:
    """A row in ``SESSION_COLUMNS`` order back into a record; ``where`` names the database."""
    values = dict(zip(SESSION_COLUMNS, row, strict=True))
    try:
        return SessionRecord(
            id=values["id"],
            user_key=values["user_key"],
            conversation_key=values["conversation_key"],
            state=values["state"],
            profile=JobProfile.model_validate_json(values["profile_json"]),
            plan=InterviewPlan.model_validate_json(values["plan_json"]),
            cursor=values["cursor"],
            follow_ups_asked=values["follow_ups_asked"],
            pending_probe=values["pending_probe"],
            probe_kind=values["probe_kind"],
            hints_used=values["hints_used"],
            paused_from=values["paused_from"],
            recap=Recap.model_validate_json(values["recap_json"]) if values["recap_json"] else None,
            created_at=values["created_at"],
            updated_at=values["updated_at"],
            turns=turns,
        )
    except ValidationError as exc:
        raise StoreError(f"session {values['id']} in {where} cannot be read: {exc}") from exc


# --- Issue 11: sharing, group practice, scheduling, preferences, audio -----------------------
# Column names are the dataclass field names, so a row tuple in these orders maps back field by
# field; the ``*_from_row`` functions only coerce what a driver returns differently (SQLite gives
# 0/1 for booleans, PostgreSQL may give a memoryview for bytes).

SHARE_LINK_COLUMNS = ("id", "session_id", "user_key", "created_at", "expires_at", "revoked_at")
PARTICIPANT_COLUMNS = ("session_id", "user_key", "role", "added_at")
PEER_SCORE_COLUMNS = (
    "session_id",
    "question_index",
    "scorer_key",
    "role",
    "score",
    "note",
    "created_at",
)
QUEUE_COLUMNS = (
    "scope",
    "user_key",
    "role_type",
    "conversation_key",
    "enqueued_at",
    "expires_at",
    "voice",
)
REMINDER_COLUMNS = ("id", "user_key", "conversation_key", "due_at", "text", "created_at", "sent_at")
AUDIO_COLUMNS = ("session_id", "question_index", "format", "data", "created_at")

# Rows that belong to one session (deleted with it).
SessionChild = ShareLink | Participant | PeerScore | StoredAudio

# The engine's ``State.FINISHED``: the store must not import the engine, a test pins the value.
FINISHED_STATE = "finished"


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching ``prefix`` literally at the start (use with ``ESCAPE '\\'``)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def scope_prefix(prefix: str) -> str:
    """``prefix`` for a per-server purge, refused when empty: an empty prefix would match every
    server's sessions (and DMs), which is ``purge_before``'s job, never one server's setting."""
    if not prefix:
        raise ValueError("purge_scope_before needs a non-empty conversation prefix")
    return prefix


def scope_settings_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(scope, settings text) rows as dicts. A row that is not a JSON object is skipped with a log
    line (``load_scope_settings`` falls back to the defaults for it too): one bad row must not
    stop retention for every other server."""
    out: list[tuple[str, dict[str, Any]]] = []
    for scope, text in rows:
        try:
            values = json_object(text, f"settings of {scope}")
        except StoreError as exc:
            logging.getLogger(__name__).warning("%s; skipped", exc)
            continue
        out.append((str(scope), values or {}))
    return out


def values_in(item: object, columns: Sequence[str]) -> tuple[Any, ...]:
    """The item's fields in ``columns`` order, for an INSERT."""
    return tuple(getattr(item, c) for c in columns)


def share_link_from_row(row: Sequence[Any]) -> ShareLink:
    v = dict(zip(SHARE_LINK_COLUMNS, row, strict=True))
    return ShareLink(
        id=v["id"],
        session_id=v["session_id"],
        user_key=v["user_key"],
        created_at=float(v["created_at"]),
        expires_at=float(v["expires_at"]),
        revoked_at=None if v["revoked_at"] is None else float(v["revoked_at"]),
    )


def participant_from_row(row: Sequence[Any]) -> Participant:
    v = dict(zip(PARTICIPANT_COLUMNS, row, strict=True))
    return Participant(
        session_id=v["session_id"],
        user_key=v["user_key"],
        role=v["role"],
        added_at=float(v["added_at"]),
    )


def peer_score_from_row(row: Sequence[Any]) -> PeerScore:
    v = dict(zip(PEER_SCORE_COLUMNS, row, strict=True))
    return PeerScore(
        session_id=v["session_id"],
        question_index=int(v["question_index"]),
        scorer_key=v["scorer_key"],
        role=v["role"],
        score=float(v["score"]),
        note=v["note"],
        created_at=float(v["created_at"]),
    )


def queue_entry_from_row(row: Sequence[Any]) -> QueueEntry:
    v = dict(zip(QUEUE_COLUMNS, row, strict=True))
    return QueueEntry(
        scope=v["scope"],
        user_key=v["user_key"],
        role_type=v["role_type"],
        conversation_key=v["conversation_key"],
        enqueued_at=float(v["enqueued_at"]),
        expires_at=float(v["expires_at"]),
        voice=bool(v["voice"]),
    )


def reminder_from_row(row: Sequence[Any]) -> Reminder:
    v = dict(zip(REMINDER_COLUMNS, row, strict=True))
    return Reminder(
        id=v["id"],
        user_key=v["user_key"],
        conversation_key=v["conversation_key"],
        due_at=float(v["due_at"]),
        text=v["text"],
        created_at=float(v["created_at"]),
        sent_at=None if v["sent_at"] is None else float(v["sent_at"]),
    )


def audio_from_row(row: Sequence[Any]) -> StoredAudio:
    v = dict(zip(AUDIO_COLUMNS, row, strict=True))
    return StoredAudio(
        session_id=v["session_id"],
        question_index=int(v["question_index"]),
        format=v["format"],
        data=bytes(v["data"]),
        created_at=float(v["created_at"]),
    )


def json_object(text: str | None, what: str) -> dict[str, Any] | None:
    """A stored JSON object back into a dict; ``what`` names it when the text is not one."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreError(f"{what} is not a JSON object")
    return value


def json_text(values: dict[str, Any]) -> str:
    """Settings and preferences as JSON text; a value JSON cannot hold is the caller's bug."""
    try:
        return json.dumps(values, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot store these values as JSON: {exc}") from exc
