"""Per-server retention (issue 11): the retention task applies a server's shorter period to that
server's sessions only, never a longer one than the host's, and drops long-dead share links. Run
on both store backends through the real ``purge_expired``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.community import scope
from bot.community.errors import CommunityError
from bot.domain import JobProfile
from bot.planning.bank import QuestionBank
from bot.ports import ShareLink, Store
from bot.retention import DAY_S, SHARE_LINK_GRACE_DAYS, purge_expired
from bot.settings import Settings
from tests.pg_cluster import Backend
from tests.test_store_backends import record

NOW = 1_800_000_000.0


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.new_store()
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def sessions_aged(
    store: Store, bank: QuestionBank, profile: JobProfile, days: float, *convs: str
) -> None:
    for conv in convs:
        await store.create_session(record(bank, profile, conv, conv=conv, at=NOW - days * DAY_S))


async def ids(store: Store) -> set[str]:
    return {r.id for r in await store.sessions_for_user("t:u", limit=100)}


async def test_a_server_with_7_days_loses_its_8_day_old_session_only(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await sessions_aged(
        store,
        bank,
        backend_profile,
        8,
        "discord:111:1",  # the strict server
        "discord:1111:1",  # another server whose id starts the same
        "discord:222:1",  # a server with no setting
        "discord:dm:1",  # a DM belongs to no server
    )
    await sessions_aged(store, bank, backend_profile, 6, "discord:111:2")  # young enough
    await store.put_scope_settings("discord:111", {"retention_days": 7}, at=NOW)

    assert await purge_expired(store, 90, clock=lambda: NOW) == 1
    assert await ids(store) == {"discord:1111:1", "discord:222:1", "discord:dm:1", "discord:111:2"}


async def test_a_server_period_applies_when_the_host_keeps_forever(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await sessions_aged(store, bank, backend_profile, 400, "slack:C1:1.0", "discord:9:1")
    await store.put_scope_settings("slack:T1", {"retention_days": 30}, at=NOW)

    assert await purge_expired(store, 0, clock=lambda: NOW) == 1
    assert await ids(store) == {"discord:9:1"}, "Slack's scope covers every slack: session"


async def test_a_stored_period_longer_than_the_hosts_is_clamped_to_the_hosts(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """Saved as 60 when the host kept 90, then the host lowered its period to 30: the host's
    promise holds for that server too, and the host-wide purge is what deletes."""
    await sessions_aged(store, bank, backend_profile, 45, "discord:5:1")
    await store.put_scope_settings("discord:5", {"retention_days": 60}, at=NOW)
    assert await scope.retention_overrides(store, 30) == []
    assert await purge_expired(store, 30, clock=lambda: NOW) == 1
    assert await ids(store) == set()


async def test_invalid_and_unscoped_rows_get_the_host_retention(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await sessions_aged(store, bank, backend_profile, 10, "discord:5:1", "discord:dm:1")
    await store.put_scope_settings("discord:5", {"retention_days": "soon"}, at=NOW)
    await store.put_scope_settings("discord:dm", {"retention_days": 1}, at=NOW)
    await store.put_scope_settings("teams:x", {"retention_days": 1}, at=NOW)
    assert await scope.retention_overrides(store, 90) == []
    assert await purge_expired(store, 90, clock=lambda: NOW) == 0
    assert await ids(store) == {"discord:5:1", "discord:dm:1"}


async def test_share_links_dead_for_a_month_are_deleted_with_the_session_kept(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await sessions_aged(store, bank, backend_profile, 1, "discord:5:1")
    grace = SHARE_LINK_GRACE_DAYS * DAY_S
    for lid, expires in (("long-dead", NOW - grace - DAY_S), ("just-expired", NOW - DAY_S)):
        await store.create_share_link(
            ShareLink(lid, "discord:5:1", "t:u", created_at=expires - DAY_S, expires_at=expires)
        )
    await purge_expired(store, 0, clock=lambda: NOW)
    assert [link.id for link in await store.share_links_for_user("t:u")] == ["just-expired"]
    assert await ids(store) == {"discord:5:1"}


def test_conversation_prefix_of_each_scope() -> None:
    assert scope.conversation_prefix("discord:123") == "discord:123:"
    assert scope.conversation_prefix("discord:dm") is None
    assert scope.conversation_prefix("slack:T0123") == "slack:"
    assert scope.conversation_prefix("slack:workspace") == "slack:"
    assert scope.conversation_prefix("discord") is None
    assert scope.conversation_prefix("teams:x") is None


def test_stricter_retention() -> None:
    assert scope.stricter_retention(None, 90) == 90
    assert scope.stricter_retention(7, 90) == 7
    assert scope.stricter_retention(120, 90) == 90
    assert scope.stricter_retention(7, 0) == 7
    assert scope.stricter_retention(None, 0) == 0


def test_a_longer_period_than_the_hosts_is_refused_with_the_range() -> None:
    host = Settings(retention_days=90)
    with pytest.raises(CommunityError, match="1–90, not 120") as refused:
        scope.apply_changes(
            scope.ScopeSettings(), {"retention": "120"}, host, retention_supported=True
        )
    assert "Nothing was changed" in str(refused.value)
    shorter = scope.apply_changes(
        scope.ScopeSettings(), {"retention": "7"}, host, retention_supported=True
    )
    assert shorter.effective_retention_days(host) == 7
