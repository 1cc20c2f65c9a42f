"""The issue 11 part of the store contract (share links, participants, peer scores, settings and
preferences, the practice queue, reminders, opt-in audio, the leaderboard, and forgetting all of
it), run against both backends. The cross-process guarantees (a waiting entry matched once, a
reminder delivered once) are exercised with two stores opened separately on one database.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain import JobProfile
from bot.engine import State
from bot.planning.bank import QuestionBank
from bot.ports import (
    ForgetReport,
    Participant,
    PeerScore,
    QueueEntry,
    Reminder,
    ShareLink,
    Store,
    StoredAudio,
)
from bot.store import postgres as pg_backend
from bot.store import rows
from bot.store import sqlite as sqlite_backend
from bot.store.rows import StoreError
from tests.pg_cluster import Backend
from tests.test_store_backends import record, turn

CHILD_TABLES = ("turns", "share_links", "participants", "peer_scores", "audio")


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.new_store()
    await s.open()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def mark(backend: Backend) -> Iterator[str]:
    """The backend's placeholder, for raw checks with ``backend.query``."""
    yield "?" if backend.name == "sqlite" else "%s"


def link(lid: str, sid: str, user: str = "t:u", at: float = 1.0) -> ShareLink:
    return ShareLink(id=lid, session_id=sid, user_key=user, created_at=at, expires_at=at + 100)


def entry(
    user: str,
    *,
    scope: str = "discord:g1",
    role: str = "backend",
    at: float = 1.0,
    expires: float = 1_000.0,
    voice: bool = False,
) -> QueueEntry:
    return QueueEntry(
        scope=scope,
        user_key=user,
        role_type=role,
        conversation_key=f"{user}:dm",
        enqueued_at=at,
        expires_at=expires,
        voice=voice,
    )


def reminder(rid: str, due: float, user: str = "t:u", text: str = "practice") -> Reminder:
    return Reminder(
        id=rid, user_key=user, conversation_key=f"{user}:dm", due_at=due, text=text, created_at=0.5
    )


def count(backend: Backend, table: str) -> int:
    return int(backend.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def files_holding(marker: str, database: Path) -> list[str]:
    """Names of the database's files (main, WAL, shared memory, journal) containing ``marker``."""
    files = [
        database,
        *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal")),
    ]
    assert database.exists()
    return [p.name for p in files if p.exists() and marker.encode() in p.read_bytes()]


# --- share links ------------------------------------------------------------------------------


async def test_share_links_round_trip_list_and_revoke_only_the_owners(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    for sid, user in (("s1", "t:u"), ("s2", "t:u"), ("o1", "t:other")):
        await store.create_session(record(bank, backend_profile, sid, user))
    await store.create_share_link(link("l1", "s1", at=1.0))
    await store.create_share_link(link("l2", "s1", at=2.0))
    await store.create_share_link(link("l3", "s2", at=3.0))
    await store.create_share_link(link("lo", "o1", "t:other", at=4.0))

    assert await store.get_share_link("l1") == link("l1", "s1", at=1.0)
    assert await store.get_share_link("missing") is None
    assert [x.id for x in await store.share_links_for_user("t:u")] == ["l3", "l2", "l1"]

    assert await store.revoke_share_links("t:other", link_id="l1", at=9.0) == 0, "not the owner"
    assert await store.revoke_share_links("t:u", link_id="lo", at=9.0) == 0, "not the owner"
    assert await store.revoke_share_links("t:u", link_id="l1", at=9.0) == 1
    assert await store.revoke_share_links("t:u", link_id="l1", at=10.0) == 0, "already revoked"
    revoked = await store.get_share_link("l1")
    assert revoked is not None and revoked.revoked_at == 9.0, "the first revocation time stays"
    assert await store.revoke_share_links("t:u", session_id="s1", at=11.0) == 1  # l2
    assert await store.revoke_share_links("t:u", at=12.0) == 1  # l3
    assert {x.id: x.revoked_at for x in await store.share_links_for_user("t:u")} == {
        "l1": 9.0,
        "l2": 11.0,
        "l3": 12.0,
    }
    other = await store.get_share_link("lo")
    assert other is not None and other.revoked_at is None


# --- participants and peer scores -------------------------------------------------------------


async def test_participants_one_row_per_user_role_updates_and_removal(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    for n, sid in enumerate(("s1", "s2", "s3")):
        await store.create_session(record(bank, backend_profile, sid, at=float(n)))
    await store.add_participant(Participant("s1", "t:obs", "observer", 1.0))
    await store.add_participant(Participant("s1", "t:peer", "observer", 2.0))
    await store.add_participant(Participant("s1", "t:peer", "interviewer", 3.0))
    await store.add_participant(Participant("s2", "t:obs", "observer", 5.0))
    await store.add_participant(Participant("s3", "t:obs", "interviewer", 4.0))

    assert await store.participants("s1") == [
        Participant("s1", "t:obs", "observer", 1.0),
        Participant("s1", "t:peer", "interviewer", 3.0),
    ]
    assert await store.sessions_participating("t:obs") == ["s2", "s3", "s1"]
    assert await store.sessions_participating("t:obs", limit=2) == ["s2", "s3"]
    assert await store.sessions_participating("t:nobody") == []
    assert await store.remove_participant("s1", "t:peer")
    assert not await store.remove_participant("s1", "t:peer")
    assert [p.user_key for p in await store.participants("s1")] == ["t:obs"]
    with pytest.raises(StoreError):
        await store.add_participant(Participant("s1", "t:x", "owner", 1.0))


async def test_peer_scores_replace_per_scorer_and_question_and_refuse_out_of_range(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await store.create_session(record(bank, backend_profile, "s1"))
    await store.save_peer_score(PeerScore("s1", 1, "t:obs", "observer", 2.0, "vague", 5.0))
    await store.save_peer_score(PeerScore("s1", 0, "t:u", "candidate", 3.0, "", 6.0))
    await store.save_peer_score(PeerScore("s1", 1, "t:obs", "observer", 4.5, "better", 7.0))
    await store.save_peer_score(PeerScore("s1", 1, "t:peer", "interviewer", 1.0, "", 8.0))
    assert await store.peer_scores("s1") == [
        PeerScore("s1", 0, "t:u", "candidate", 3.0, "", 6.0),
        PeerScore("s1", 1, "t:obs", "observer", 4.5, "better", 7.0),
        PeerScore("s1", 1, "t:peer", "interviewer", 1.0, "", 8.0),
    ]
    for bad in (0.99, 5.01, float("nan")):
        with pytest.raises(StoreError):
            await store.save_peer_score(PeerScore("s1", 2, "t:obs", "observer", bad))
    with pytest.raises(StoreError):
        await store.save_peer_score(PeerScore("s1", 2, "t:obs", "boss", 3.0))
    assert count(backend, "peer_scores") == 3
    assert await store.peer_scores("missing") == []


# --- writes racing forget/retention -----------------------------------------------------------


async def test_writes_for_a_session_that_is_gone_are_no_ops(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """``forget`` (or retention) can delete a session while its owner's turn is being handled:
    the late write must neither crash on the foreign key nor bring the session back."""
    rec = record(bank, backend_profile, "s1")
    await store.create_session(rec)
    await store.save_progress(rec, turn(0))
    assert (await store.forget_user("t:u")).sessions == 1

    rec.cursor = 1
    await store.save_progress(rec, turn(1, "late answer"))
    await store.save_progress(rec)
    await store.replace_plan(rec)
    await store.create_share_link(link("l1", "s1"))
    await store.add_participant(Participant("s1", "t:obs", "observer", 1.0))
    await store.save_peer_score(PeerScore("s1", 0, "t:obs", "observer", 3.0))
    await store.save_audio(StoredAudio("s1", 0, "ogg", b"late", 1.0))

    assert await store.load_session("s1") is None
    for table in ("sessions", *CHILD_TABLES):
        assert count(backend, table) == 0, table


async def test_forget_racing_concurrent_saves_neither_crashes_nor_leaves_rows(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile, "s1")
    await store.create_session(rec)

    async def answer(seq: int) -> None:
        await store.save_progress(rec, turn(seq, f"answer {seq}"))
        await store.save_peer_score(PeerScore("s1", seq, "t:obs", "observer", 3.0))

    results = await asyncio.wait_for(
        asyncio.gather(
            *(answer(n) for n in range(5)),
            store.forget_user("t:u"),
            *(answer(n) for n in range(5, 10)),
            return_exceptions=True,
        ),
        timeout=60,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await store.load_session("s1") is None
    for table in ("sessions", *CHILD_TABLES):
        assert count(backend, table) == 0, table


# --- settings and preferences -----------------------------------------------------------------


async def test_scope_settings_and_user_prefs_are_json_objects(store: Store) -> None:
    assert await store.get_scope_settings("discord:g1") is None
    assert await store.get_user_prefs("t:u") == {}
    settings = {"channel": "123", "roles": ["backend", "data"], "leaderboard": True, "n": 1.5}
    await store.put_scope_settings("discord:g1", settings, at=1.0)
    await store.put_scope_settings("discord:g2", {"channel": None}, at=1.0)
    assert await store.get_scope_settings("discord:g1") == settings
    await store.put_scope_settings("discord:g1", {"leaderboard": False}, at=2.0)
    assert await store.get_scope_settings("discord:g1") == {"leaderboard": False}, "replaced"
    assert await store.get_scope_settings("discord:g2") == {"channel": None}

    prefs = {"audio_opt_in": True, "timezone": "Europe/Zürich", "nested": {"a": [1, "ü"]}}
    await store.put_user_prefs("t:u", prefs, at=1.0)
    assert await store.get_user_prefs("t:u") == prefs
    assert await store.get_user_prefs("t:other") == {}
    with pytest.raises(StoreError):
        await store.put_user_prefs("t:u", {"when": object()}, at=2.0)
    with pytest.raises(StoreError):
        await store.put_user_prefs("t:u", {"x": float("inf")}, at=2.0)
    assert await store.get_user_prefs("t:u") == prefs, "a refused write loses nothing"


# --- the practice queue -----------------------------------------------------------------------


async def test_queue_matches_same_scope_and_role_oldest_first(store: Store) -> None:
    assert await store.join_queue(entry("t:a", at=1.0, voice=True), now=1.0) is None
    assert await store.join_queue(entry("t:b", at=2.0), now=2.0) == entry("t:a", at=1.0, voice=True)
    assert await store.queue_entries("discord:g1") == [], "matched: neither waits"

    assert await store.join_queue(entry("t:a", at=3.0), now=3.0) is None
    assert await store.join_queue(entry("t:c", at=4.0), now=4.0) is not None  # takes a
    assert await store.join_queue(entry("t:b", at=5.0), now=5.0) is None
    assert await store.join_queue(entry("t:c", at=6.0), now=6.0) == entry("t:b", at=5.0)

    # Different role type, different scope: no match.
    assert await store.join_queue(entry("t:d", role="data", at=7.0), now=7.0) is None
    assert await store.join_queue(entry("t:e", scope="discord:g2", at=8.0), now=8.0) is None
    assert await store.join_queue(entry("t:f", at=9.0), now=9.0) is None
    assert [e.user_key for e in await store.queue_entries("discord:g1")] == ["t:d", "t:f"]
    assert [e.user_key for e in await store.queue_entries("discord:g2")] == ["t:e"]
    # FIFO among several waiting for the same role.
    await store.join_queue(entry("t:g", at=10.0), now=10.0)  # matches f
    await store.join_queue(entry("t:h", role="data", at=11.0), now=11.0)  # matches d
    assert await store.queue_entries("discord:g1") == []


async def test_queue_never_matches_self_replaces_own_entry_and_ignores_expired(
    store: Store,
) -> None:
    assert await store.join_queue(entry("t:a", at=1.0, expires=50.0), now=1.0) is None
    assert await store.join_queue(entry("t:a", at=2.0, expires=60.0), now=2.0) is None, "self"
    assert await store.queue_entries("discord:g1") == [entry("t:a", at=2.0, expires=60.0)]
    # Joining for another role replaces the user's entry in that scope (one entry per scope).
    assert await store.join_queue(entry("t:a", role="data", at=3.0, expires=60.0), now=3.0) is None
    assert await store.queue_entries("discord:g1") == [
        entry("t:a", role="data", at=3.0, expires=60.0)
    ]
    # An expired entry is never matched.
    assert await store.join_queue(entry("t:b", role="data", at=70.0, expires=200.0), now=70.0) is (
        None
    )
    assert [e.user_key for e in await store.queue_entries("discord:g1")] == ["t:a", "t:b"]
    # A match also removes the joiner's own older entry for another role in that scope.
    assert await store.join_queue(entry("t:c", role="data", at=80.0), now=80.0) == entry(
        "t:b", role="data", at=70.0, expires=200.0
    )
    await store.join_queue(entry("t:d", at=81.0), now=81.0)
    assert await store.join_queue(entry("t:d", role="data", at=82.0), now=82.0) is None
    assert await store.join_queue(entry("t:e", role="data", at=83.0), now=83.0) is not None
    assert "t:d" not in {e.user_key for e in await store.queue_entries("discord:g1")}


async def test_leave_and_expire_queue(store: Store) -> None:
    await store.join_queue(entry("t:a", expires=10.0), now=1.0)
    await store.join_queue(entry("t:b", role="data", expires=20.0), now=1.0)
    await store.join_queue(entry("t:c", scope="slack:T1", expires=30.0), now=1.0)
    assert await store.leave_queue("discord:g1", "t:b")
    assert not await store.leave_queue("discord:g1", "t:b")
    assert not await store.leave_queue("discord:g2", "t:a"), "only that scope"
    assert await store.expire_queue(5.0) == []
    assert await store.expire_queue(10.0) == [entry("t:a", expires=10.0)]
    assert await store.queue_entries("discord:g1") == []
    assert await store.expire_queue(100.0) == [entry("t:c", scope="slack:T1", expires=30.0)]
    assert await store.expire_queue(100.0) == []


# --- reminders --------------------------------------------------------------------------------


async def test_reminders_due_claimed_once_listed_and_cancelled(store: Store) -> None:
    await store.add_reminder(reminder("r2", 20.0))
    await store.add_reminder(reminder("r1", 10.0))
    await store.add_reminder(reminder("r3", 30.0))
    await store.add_reminder(reminder("ro", 15.0, user="t:other"))
    with pytest.raises(StoreError):
        await store.add_reminder(reminder("r1", 99.0))
    assert [r.id for r in await store.due_reminders(20.0)] == ["r1", "ro", "r2"]
    assert [r.id for r in await store.due_reminders(20.0, limit=1)] == ["r1"]
    assert await store.due_reminders(5.0) == []

    assert await store.mark_reminder_sent("r1", 21.0)
    assert not await store.mark_reminder_sent("r1", 22.0), "claimed once"
    assert not await store.mark_reminder_sent("missing", 22.0)
    assert [r.id for r in await store.due_reminders(20.0)] == ["ro", "r2"]
    assert [r.id for r in await store.reminders_for_user("t:u")] == ["r2", "r3"]

    assert not await store.cancel_reminder("r2", "t:other"), "only the owner cancels"
    assert not await store.cancel_reminder("r1", "t:u"), "already sent"
    assert await store.cancel_reminder("r2", "t:u")
    assert [r.id for r in await store.reminders_for_user("t:u")] == ["r3"]
    assert await store.reminders_for_user("t:other") == [reminder("ro", 15.0, user="t:other")]


# --- audio ------------------------------------------------------------------------------------


async def test_audio_round_trips_bytes_and_replaces_per_question(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await store.create_session(record(bank, backend_profile, "s1"))
    blob = bytes(range(256)) * 64  # every byte value, NULs included
    await store.save_audio(StoredAudio("s1", 1, "ogg", b"first", 1.0))
    await store.save_audio(StoredAudio("s1", 0, "s16le", blob, 2.0))
    await store.save_audio(StoredAudio("s1", 1, "wav", b"again", 3.0))
    assert await store.audio_for_session("s1") == [
        StoredAudio("s1", 0, "s16le", blob, 2.0),
        StoredAudio("s1", 1, "wav", b"again", 3.0),
    ]
    assert await store.audio_for_session("missing") == []


# --- leaderboard ------------------------------------------------------------------------------


async def test_completed_counts_by_prefix_since_most_first(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    assert rows.FINISHED_STATE == State.FINISHED
    done = State.FINISHED.value
    sessions = [
        ("a1", "t:a", "discord:g1:c1", done, 10.0),
        ("a2", "t:a", "discord:g1:c2", done, 11.0),
        ("a3", "t:a", "discord:g1:c3", "asking", 12.0),  # not finished
        ("b1", "t:b", "discord:g1:c1", done, 10.0),
        ("b2", "t:b", "discord:g1:c1", done, 5.0),  # before since
        ("c1", "t:c", "discord:g1:c9", done, 20.0),
        ("d1", "t:d", "discord:g10:c1", done, 20.0),  # another guild
        ("e1", "t:e", "discord:gX:c1", done, 20.0),  # "_" must not be a wildcard
        ("f1", "t:f", "slack:g1:c1", done, 20.0),
    ]
    for sid, user, conv, state, at in sessions:
        await store.create_session(
            record(bank, backend_profile, sid, user, conv=conv, state=state, at=at)
        )
    assert await store.completed_counts("discord:g1:", since=10.0) == [
        ("t:a", 2),
        ("t:b", 1),
        ("t:c", 1),
    ]
    assert await store.completed_counts("discord:g1:", since=10.0, limit=1) == [("t:a", 2)]
    assert await store.completed_counts("discord:g1:", since=0.0) == [
        ("t:a", 2),
        ("t:b", 2),
        ("t:c", 1),
    ]
    assert await store.completed_counts("discord:g_:", since=0.0) == []
    assert await store.completed_counts("discord:g%", since=0.0) == []
    assert await store.completed_counts("", since=15.0) == [
        ("t:c", 1),
        ("t:d", 1),
        ("t:e", 1),
        ("t:f", 1),
    ]


# --- forget and retention ---------------------------------------------------------------------

MARKER = "zq7MARKERxv9"  # appears only in what belongs to the forgotten user


async def _populate(store: Store, bank: QuestionBank, profile: JobProfile) -> str:
    """The forgotten user's data of every kind, next to another user's that must survive."""
    me, other = f"t:{MARKER}", "t:other"
    s1 = record(bank, profile, "s1", me)
    await store.create_session(s1)
    await store.save_progress(s1, turn(0, f"{MARKER} answer " + "x" * 3000))
    await store.save_progress(s1, turn(1, f"{MARKER} second"))
    await store.create_session(record(bank, profile, "s2", me, conv="t:d:"))
    await store.create_share_link(link(f"{MARKER}-l1", "s1", me))
    await store.create_share_link(link(f"{MARKER}-l2", "s2", me))
    await store.add_participant(Participant("s1", other, "observer", 1.0))
    await store.add_participant(Participant("s1", "t:third", "interviewer", 1.0))
    await store.save_peer_score(PeerScore("s1", 0, other, "observer", 2.0, "received"))
    await store.save_peer_score(PeerScore("s1", 0, "t:third", "interviewer", 3.0))
    await store.save_peer_score(PeerScore("s1", 0, me, "candidate", 4.0, MARKER))
    await store.save_audio(StoredAudio("s1", 0, "ogg", MARKER.encode() * 50, 1.0))
    await store.save_audio(StoredAudio("s1", 1, "ogg", MARKER.encode() * 50, 1.0))
    # What the user left on someone else's session, and elsewhere.
    o1 = record(bank, profile, "o1", other)
    await store.create_session(o1)
    await store.save_progress(o1, turn(0, "other's answer"))
    await store.create_share_link(link("lo", "o1", other))
    await store.add_participant(Participant("o1", me, "interviewer", 1.0))
    await store.add_participant(Participant("o1", "t:third", "observer", 1.0))
    await store.save_peer_score(PeerScore("o1", 0, me, "interviewer", 3.0, f"{MARKER} note"))
    await store.save_peer_score(PeerScore("o1", 1, me, "interviewer", 5.0))
    await store.save_peer_score(PeerScore("o1", 0, "t:third", "observer", 3.0))
    await store.save_audio(StoredAudio("o1", 0, "ogg", b"other audio", 1.0))
    await store.add_reminder(reminder(f"{MARKER}-r1", 10.0, me, f"{MARKER} practice"))
    await store.add_reminder(reminder(f"{MARKER}-r2", 20.0, me))
    await store.mark_reminder_sent(f"{MARKER}-r2", 21.0)
    await store.add_reminder(reminder("ro", 10.0, other))
    await store.join_queue(entry(me), now=1.0)
    await store.join_queue(entry(me, scope="slack:T1"), now=1.0)
    await store.join_queue(entry(other, role="data"), now=1.0)
    await store.put_user_prefs(me, {"audio_opt_in": True, "note": MARKER}, at=1.0)
    await store.put_user_prefs(other, {"audio_opt_in": False}, at=1.0)
    await store.put_scope_settings("discord:g1", {"channel": "1"}, at=1.0)
    return me


async def test_forget_user_deletes_every_kind_and_reports_exact_counts(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile, mark: str
) -> None:
    me = await _populate(store, bank, backend_profile)
    report = await store.forget_user(me)
    assert report == ForgetReport(
        sessions=2,
        turns=2,
        share_links=2,
        participations=3,  # two people in my session, me in another's
        peer_scores=5,  # three on my session (mine included), two I gave elsewhere
        reminders=2,
        queue_entries=2,
        audio_clips=2,
        preferences=1,
    )
    # Proof from the tables themselves, not through the port.
    assert backend.query("SELECT id FROM sessions") == [("o1",)]
    for table in CHILD_TABLES:
        assert backend.query(f"SELECT DISTINCT session_id FROM {table}") == [("o1",)], table
    assert count(backend, "participants") == 1 and count(backend, "peer_scores") == 1
    assert backend.query(f"SELECT COUNT(*) FROM peer_scores WHERE scorer_key = {mark}", (me,)) == [
        (0,)
    ]
    assert backend.query("SELECT id FROM reminders") == [("ro",)]
    assert backend.query("SELECT user_key FROM queue_entries") == [("t:other",)]
    assert backend.query("SELECT user_key FROM user_prefs") == [("t:other",)]
    assert count(backend, "scope_settings") == 1, "server settings are not the user's"
    assert await store.get_user_prefs("t:other") == {"audio_opt_in": False}

    assert await store.forget_user(me) == ForgetReport()
    if backend.name == "sqlite":
        assert files_holding(MARKER, Path(backend.url.removeprefix("sqlite:///"))) == []


async def test_forget_vacuums_the_marker_out_of_the_sqlite_file(
    tmp_path: Path, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """The marker is in the file before forget (so the check after it can fail)."""
    backend = Backend("sqlite", f"sqlite:///{tmp_path / 'v.sqlite3'}")
    store = backend.new_store()
    await store.open()
    try:
        me = await _populate(store, bank, backend_profile)
        backend.query("PRAGMA wal_checkpoint(TRUNCATE)")
        assert files_holding(MARKER, tmp_path / "v.sqlite3") == ["v.sqlite3"]
        await store.forget_user(me)
    finally:
        await store.close()
    assert files_holding(MARKER, tmp_path / "v.sqlite3") == []


async def test_purge_before_cascades_to_everything_hanging_off_a_session(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    for sid, at in (("old", 10.0), ("new", 200.0)):
        rec = record(bank, backend_profile, sid, at=at)
        await store.create_session(rec)
        await store.save_progress(rec, turn(0))
        await store.create_share_link(link(f"l-{sid}", sid))
        await store.add_participant(Participant(sid, "t:obs", "observer", at))
        await store.save_peer_score(PeerScore(sid, 0, "t:obs", "observer", 3.0))
        await store.save_audio(StoredAudio(sid, 0, "ogg", b"audio", at))
    await store.add_reminder(reminder("sent-old", 5.0))
    await store.mark_reminder_sent("sent-old", 50.0)
    await store.add_reminder(reminder("sent-new", 5.0))
    await store.mark_reminder_sent("sent-new", 150.0)
    await store.add_reminder(reminder("unsent", 5.0))

    assert await store.purge_before(100.0) == 1
    for table in CHILD_TABLES:
        assert backend.query(f"SELECT DISTINCT session_id FROM {table}") == [("new",)], table
    assert sorted(r[0] for r in backend.query("SELECT id FROM reminders")) == [
        "sent-new",
        "unsent",
    ]
    assert await store.sessions_participating("t:obs") == ["new"]


async def test_purge_scope_before_deletes_only_that_servers_old_sessions(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    sessions = [
        ("g1-old", "discord:g1:c1", 10.0),
        ("g1-new", "discord:g1:c2", 200.0),
        ("g10-old", "discord:g10:c1", 10.0),  # another guild whose id starts with g1
        ("gX-old", "discord:gX:c1", 10.0),  # "_" must not be a wildcard
        ("dm-old", "discord:dm:c1", 10.0),
        ("slack-old", "slack:C1:1.2", 10.0),
    ]
    for sid, conv, at in sessions:
        rec = record(bank, backend_profile, sid, conv=conv, at=at)
        await store.create_session(rec)
        await store.save_progress(rec, turn(0))
        await store.create_share_link(link(f"l-{sid}", sid))
        await store.add_participant(Participant(sid, "t:obs", "observer", at))
        await store.save_peer_score(PeerScore(sid, 0, "t:obs", "observer", 3.0))
        await store.save_audio(StoredAudio(sid, 0, "ogg", b"audio", at))
    for rid, conv, sent in (("r-g1", "discord:g1:c1", 50.0), ("r-g10", "discord:g10:c1", 50.0)):
        await store.add_reminder(
            Reminder(rid, "t:u", conv, due_at=5.0, text="practice", created_at=1.0)
        )
        await store.mark_reminder_sent(rid, sent)

    assert await store.purge_scope_before("discord:g_:", 100.0) == 0
    assert await store.purge_scope_before("discord:g1:", 100.0) == 1
    assert await store.purge_scope_before("discord:g1:", 100.0) == 0
    kept = sorted(sid for sid, _, _ in sessions if sid != "g1-old")
    assert sorted(r[0] for r in backend.query("SELECT id FROM sessions")) == kept
    for table in CHILD_TABLES:
        assert sorted(r[0] for r in backend.query(f"SELECT session_id FROM {table}")) == kept, table
    assert [r[0] for r in backend.query("SELECT id FROM reminders")] == ["r-g10"]
    with pytest.raises(ValueError):
        await store.purge_scope_before("", 1e12)
    assert count(backend, "sessions") == len(kept)
    assert await store.purge_scope_before("slack:", 100.0) == 1
    assert await store.load_session("slack-old") is None


async def test_purge_share_links_before_drops_long_dead_links_only(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await store.create_session(record(bank, backend_profile, "s1"))
    await store.create_share_link(link("expired-long-ago", "s1", at=1.0))  # expires at 101
    await store.create_share_link(link("expired-recently", "s1", at=150.0))  # expires at 250
    await store.create_share_link(link("live", "s1", at=400.0))
    await store.create_share_link(link("revoked-long-ago", "s1", at=190.0))
    await store.create_share_link(link("revoked-recently", "s1", at=190.0))
    await store.revoke_share_links("t:u", link_id="revoked-long-ago", at=195.0)
    await store.revoke_share_links("t:u", link_id="revoked-recently", at=205.0)

    assert await store.purge_share_links_before(200.0) == 2
    assert await store.purge_share_links_before(200.0) == 0
    assert sorted(r[0] for r in backend.query("SELECT id FROM share_links")) == [
        "expired-recently",
        "live",
        "revoked-recently",
    ]
    assert await store.load_session("s1") is not None, "the session stays"


async def test_scope_settings_all_lists_every_saved_scope(
    backend: Backend, store: Store, mark: str
) -> None:
    assert await store.scope_settings_all() == []
    await store.put_scope_settings("slack:T1", {"retention_days": 7}, at=1.0)
    await store.put_scope_settings("discord:g1", {"leaderboard": True}, at=1.0)
    await store.put_scope_settings("discord:g1", {"retention_days": 30}, at=2.0)
    if backend.name == "sqlite":  # PostgreSQL's CHECK refuses a non-object outright
        # A row that is JSON but not an object (edited by hand) is skipped, not fatal.
        await store.put_scope_settings("discord:bad", {}, at=1.0)
        backend.query(
            f"UPDATE scope_settings SET settings_json = {mark} WHERE scope = {mark}",
            ("[1, 2]", "discord:bad"),
        )
    assert await store.scope_settings_all() == [
        ("discord:g1", {"retention_days": 30}),
        ("slack:T1", {"retention_days": 7}),
    ]


# --- several processes on one database --------------------------------------------------------


async def test_two_stores_never_match_one_entry_twice_nor_lose_anyone(backend: Backend) -> None:
    """Many members join at once through two separately opened stores (two processes' worth):
    every member ends up either matched exactly once or still waiting, and no waiting entry is
    handed to two joiners. Within one scope and role at most one member is left waiting."""
    stores = [backend.new_store(), backend.new_store()]
    for s in stores:
        await s.open()
    try:
        rng = random.Random(11)
        groups = [("discord:g1", "backend"), ("discord:g1", "data"), ("slack:T1", "backend")]
        joins = [(f"t:u{n}", groups[n % len(groups)]) for n in range(60)]
        rng.shuffle(joins)

        async def join(n: int, user: str, scope: str, role: str) -> tuple[str, QueueEntry | None]:
            joined = entry(user, scope=scope, role=role, at=float(n))
            return user, await stores[n % 2].join_queue(joined, now=float(n))

        results = await asyncio.wait_for(
            asyncio.gather(*(join(n, u, *g) for n, (u, g) in enumerate(joins))), timeout=120
        )
        partners = [match.user_key for _user, match in results if match is not None]
        joiners = [user for user, match in results if match is not None]
        waiting = [
            e.user_key
            for scope in ("discord:g1", "slack:T1")
            for e in await stores[0].queue_entries(scope)
        ]
        assert len(partners) == len(set(partners)), "a waiting entry was matched twice"
        everyone = partners + joiners + waiting
        assert sorted(everyone) == sorted(u for u, _g in joins), "someone lost or counted twice"
        group_of = dict(joins)
        for user, match in results:
            if match is not None:
                assert match.user_key != user and group_of[match.user_key] == group_of[user]
        for group in groups:
            assert sum(group_of[u] == group for u in waiting) <= 1, group
    finally:
        for s in stores:
            await s.close()


async def test_two_stores_deliver_each_reminder_once(backend: Backend) -> None:
    stores = [backend.new_store(), backend.new_store()]
    for s in stores:
        await s.open()
    try:
        for n in range(30):
            await stores[0].add_reminder(reminder(f"r{n:02d}", float(n)))

        async def deliver(s: Store) -> list[str]:
            claimed = []
            for due in await s.due_reminders(100.0, limit=100):
                if await s.mark_reminder_sent(due.id, 101.0):
                    claimed.append(due.id)
            return claimed

        first, second = await asyncio.wait_for(
            asyncio.gather(deliver(stores[0]), deliver(stores[1])), timeout=60
        )
        assert sorted(first + second) == [f"r{n:02d}" for n in range(30)]
        assert not set(first) & set(second)
        assert await stores[1].due_reminders(100.0) == []
    finally:
        for s in stores:
            await s.close()


async def test_a_version_1_database_is_upgraded_in_place_keeping_its_sessions(
    backend: Backend,
    bank: QuestionBank,
    backend_profile: JobProfile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database written before issue 11 (schema 1) gains the new tables on open; nothing in it
    is lost and the new methods work on its old sessions."""
    module = sqlite_backend if backend.name == "sqlite" else pg_backend
    with monkeypatch.context() as patch:
        patch.setattr(module, "MIGRATIONS", module.MIGRATIONS[:1])
        patch.setattr(module, "SCHEMA_VERSION", 1)
        old = backend.new_store()
        await old.open()
        rec = record(bank, backend_profile, "s1")
        await old.create_session(rec)
        await old.save_progress(rec, turn(0, "kept"))
        await old.close()
    assert "share_links" not in backend.tables()

    store = backend.new_store()
    await store.open()
    try:
        assert isinstance(store, sqlite_backend.SQLiteStore | pg_backend.PostgresStore)
        assert await store.schema_version() == len(module.MIGRATIONS) == 2
        loaded = await store.load_session("s1")
        assert loaded is not None and [t.answer for t in loaded.turns] == ["kept"]
        await store.save_audio(StoredAudio("s1", 0, "ogg", b"new", 1.0))
        assert len(await store.audio_for_session("s1")) == 1
    finally:
        await store.close()


async def test_a_duplicate_session_id_is_a_store_error_on_both_backends(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await store.create_session(record(bank, backend_profile, "s1"))
    with pytest.raises(StoreError, match="refused"):
        await store.create_session(record(bank, backend_profile, "s1", "t:other"))
    loaded = await store.load_session("s1")
    assert loaded is not None and loaded.user_key == "t:u"
