"""How a ``SessionRecord`` maps to a ``sessions`` row, shared by every SQL backend.

One mapping, so a new column is added in one place and the backends cannot drift apart; the
backends differ only in placeholders, transactions and migrations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from bot.domain import InterviewPlan, JobProfile, Recap, Turn
from bot.ports import SessionRecord

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
