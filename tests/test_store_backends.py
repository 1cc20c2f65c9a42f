"""The store contract, run against every backend: SQLite (a temp file) and PostgreSQL (a throwaway
cluster, ``tests/pg_cluster.py``). SQLite-only behaviour (WAL, a corrupted file) stays in
``tests/test_store.py``.

PostgreSQL cases skip with the reason when no server can be started here; set
``INTERVIEW_BOT_REQUIRE_POSTGRES=1`` to make that a failure instead (CI, once the server is always
installed).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.brain import OfflineBrain
from bot.domain import Evaluation, InterviewPlan, JobProfile, QuestionType, Recap, Turn
from bot.engine import InterviewEngine
from bot.events import Command, IncomingEvent
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.ports import ForgetReport, SessionRecord, Store
from bot.settings import load_settings
from bot.store import (
    SessionClaims,
    claim_session,
    open_store,
    rows,
    store_for_url,
    url_for_settings,
)
from bot.store import postgres as pg_backend
from bot.store import sqlite as sqlite_backend
from bot.store.rows import SESSION_COLUMNS, StoreError
from tests.conftest import CONV, ROOT, USER, FixedClock, start_event
from tests.pg_cluster import Backend, Cluster, cluster_or_skip


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.new_store()
    await s.open()
    try:
        yield s
    finally:
        await s.close()


def record(
    bank: QuestionBank,
    profile: JobProfile,
    sid: str = "abc",
    user: str = "t:u",
    *,
    conv: str = "t:c:",
    state: str = "asking",
    at: float = 1.0,
) -> SessionRecord:
    return SessionRecord(
        id=sid,
        user_key=user,
        conversation_key=conv,
        state=state,
        profile=profile,
        plan=InterviewPlan(questions=bank.questions[:3]),
        created_at=at,
        updated_at=at,
    )


def turn(seq: int = 0, answer: str = "A", **extra: Any) -> Turn:
    return Turn(
        seq=seq,
        question_index=seq,
        question_id=f"q{seq}",
        question_type=QuestionType.TECHNICAL,
        question_text="Q?",
        answer=answer,
        created_at=1.0 + seq,
        **extra,
    )


async def test_round_trip_keeps_every_field(
    backend: Backend, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    store = backend.new_store()
    await store.open()
    rec = record(bank, backend_profile)
    await store.create_session(rec)
    first = Turn(
        seq=0,
        question_index=0,
        question_id=rec.plan.questions[0].id,
        question_type=QuestionType.BEHAVIOURAL,
        question_text="Q? ünïcode ✓ 'quotes' \\ back",
        answer="An answer.\nWith a second line; DROP TABLE turns; --",
        evaluation=Evaluation(score=3.5, evidence=("An answer.",)),
        created_at=2.000000001,
    )
    rec.turns.append(first)
    rec.state, rec.pending_probe, rec.probe_kind, rec.follow_ups_asked = (
        "follow_up",
        "What did you do?",
        "action",
        1,
    )
    rec.hints_used, rec.paused_from, rec.updated_at = 2, "asking", 1_700_000_000.123456
    await store.save_progress(rec, first)
    await store.close()

    reopened = backend.new_store()
    await reopened.open()
    try:
        loaded = await reopened.load_session("abc")
        assert loaded is not None
        assert loaded.profile == backend_profile
        assert loaded.plan == rec.plan
        assert loaded.turns == [first]
        assert loaded == rec
        assert (await reopened.active_session("t:u", "t:c:")) == rec
        assert await reopened.load_session("missing") is None
    finally:
        await reopened.close()


async def test_recap_and_replaced_turn_round_trip(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile)
    await store.create_session(rec)
    await store.save_progress(rec, turn(0, "first try"))
    rec.turns = [turn(0, "rewritten")]
    rec.state, rec.recap = (
        "done",
        Recap(
            overall=3.5,
            competencies=(),
            strengths=("clear",),
            improvements=(),
            questions_answered=1,
        ),
    )
    await store.save_progress(rec, rec.turns[0])
    loaded = await store.load_session(rec.id)
    assert loaded is not None
    assert [t.answer for t in loaded.turns] == ["rewritten"], "same seq replaces, never duplicates"
    assert loaded.recap == rec.recap
    assert await store.active_session("t:u", "t:c:") is None, "done is not active"


async def test_replace_plan_keeps_turns_and_state(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile, state="briefing")
    await store.create_session(rec)
    rec.plan = InterviewPlan(questions=bank.questions[3:8])
    rec.updated_at = 5.0
    await store.replace_plan(rec)
    loaded = await store.load_session(rec.id)
    assert loaded is not None
    assert loaded.plan == rec.plan and loaded.updated_at == 5.0 and loaded.state == "briefing"


async def test_listing_order_limits_and_platform_prefix(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """Most recent first; ``open_sessions`` matches the platform literally (``_`` and ``%`` too)."""
    for n, (sid, user, state) in enumerate(
        [
            ("a", "discord:1", "asking"),
            ("b", "discord:1", "done"),
            ("c", "discord:2", "paused"),
            ("d", "slack:1", "asking"),
            ("e", "discordx:1", "asking"),
            ("f", "dis_ord:1", "asking"),
            ("g", "dis%:1", "briefing"),
        ]
    ):
        await store.create_session(record(bank, backend_profile, sid, user, state=state, at=n))
    assert [r.id for r in await store.sessions_for_user("discord:1")] == ["b", "a"]
    assert [r.id for r in await store.sessions_for_user("discord:1", limit=1)] == ["b"]
    assert [r.id for r in await store.open_sessions("discord")] == ["c", "a"]
    assert [r.id for r in await store.open_sessions("discord", limit=1)] == ["c"]
    assert [r.id for r in await store.open_sessions("dis_ord")] == ["f"]
    assert [r.id for r in await store.open_sessions("dis%")] == ["g"]
    assert await store.open_sessions("telegram") == []


async def test_active_session_is_the_latest_open_one_in_that_conversation(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    await store.create_session(record(bank, backend_profile, "old", at=1.0))
    await store.create_session(record(bank, backend_profile, "new", state="paused", at=2.0))
    await store.create_session(record(bank, backend_profile, "done", state="done", at=3.0))
    await store.create_session(record(bank, backend_profile, "elsewhere", conv="t:other:", at=4.0))
    active = await store.active_session("t:u", "t:c:")
    assert active is not None and active.id == "new"


async def test_forget_user_deletes_sessions_and_turns(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    rec = record(bank, backend_profile, "s1")
    await store.create_session(rec)
    await store.save_progress(rec, turn(0))
    await store.create_session(record(bank, backend_profile, "s2", user="t:other"))
    await store.save_progress(rec, turn(1))
    assert await store.forget_user("t:u") == ForgetReport(sessions=1, turns=2)
    assert await store.forget_user("t:nobody") == ForgetReport(sessions=0, turns=0)
    assert await store.load_session("s1") is None
    assert await store.load_session("s2") is not None
    assert backend.query("SELECT COUNT(*) FROM turns WHERE session_id = 's1'") == [(0,)]


async def test_purge_before_deletes_sessions_idle_since_before_the_cutoff(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """Retention: ``updated_at`` decides, so an old interview resumed recently is kept."""
    old = record(bank, backend_profile, "old", at=10.0)
    await store.create_session(old)
    await store.save_progress(old, turn(0))
    revived = record(bank, backend_profile, "revived", at=10.0)
    await store.create_session(revived)
    revived.updated_at = 500.0
    await store.save_progress(revived, turn(0))
    await store.create_session(record(bank, backend_profile, "new", user="t:other", at=200.0))
    assert await store.purge_before(100.0) == 1
    assert await store.purge_before(100.0) == 0
    assert await store.load_session("old") is None
    assert {r.id for r in await store.sessions_for_user("t:u")} == {"revived"}
    assert await store.load_session("new") is not None
    assert backend.query("SELECT COUNT(*) FROM turns WHERE session_id = 'old'") == [(0,)]


async def test_failed_write_is_rolled_back(
    backend: Backend, store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """State and turn go in one transaction: when the turn cannot be written, neither is."""
    rec = record(bank, backend_profile)
    await store.create_session(rec)
    backend.query("DROP TABLE turns")
    rec.cursor = 2
    with pytest.raises(Exception, match="turns"):
        await store.save_progress(rec, turn(0))
    assert backend.query("SELECT cursor FROM sessions WHERE id = 'abc'") == [(0,)]


async def test_migrations_applied_once_and_newer_schema_refused(backend: Backend) -> None:
    for _ in range(2):
        store = backend.new_store()
        await store.open()
        assert isinstance(store, sqlite_backend.SQLiteStore | pg_backend.PostgresStore)
        assert await store.schema_version() == len(pg_backend.MIGRATIONS)
        await store.close()
    backend.set_schema_version(99)
    with pytest.raises(StoreError, match="newer") as info:
        await backend.new_store().open()
    assert backend.display in str(info.value)


async def test_both_backends_have_the_same_schema(backend: Backend, store: Store) -> None:
    """Migrations are per backend (see ``bot.store.postgres``); their result must not drift."""
    assert len(pg_backend.MIGRATIONS) == len(sqlite_backend.MIGRATIONS)
    expected = {
        "sessions": list(SESSION_COLUMNS),
        "turns": ["session_id", "seq", "question_index", "turn_json", "created_at"],
        "share_links": list(rows.SHARE_LINK_COLUMNS),
        "participants": list(rows.PARTICIPANT_COLUMNS),
        "peer_scores": list(rows.PEER_SCORE_COLUMNS),
        "scope_settings": ["scope", "settings_json", "updated_at"],
        "user_prefs": ["user_key", "prefs_json", "updated_at"],
        "queue_entries": list(rows.QUEUE_COLUMNS),
        "reminders": list(rows.REMINDER_COLUMNS),
        "audio": list(rows.AUDIO_COLUMNS),
    }
    assert backend.tables() == expected


async def test_concurrent_turns_are_neither_lost_nor_duplicated(
    store: Store, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    sessions = [record(bank, backend_profile, f"s{n}", f"t:u{n}") for n in range(20)]
    for rec in sessions:
        await store.create_session(rec)

    async def answer_all(rec: SessionRecord) -> None:
        for seq in range(5):
            rec.cursor = seq + 1
            await store.save_progress(rec, turn(seq, f"{rec.id}-{seq}"))

    await asyncio.wait_for(asyncio.gather(*(answer_all(r) for r in sessions)), timeout=60)
    for rec in sessions:
        loaded = await store.load_session(rec.id)
        assert loaded is not None and loaded.cursor == 5
        assert [t.answer for t in loaded.turns] == [f"{rec.id}-{seq}" for seq in range(5)]


async def test_claims_admit_one_owner_at_a_time(store: Store) -> None:
    assert isinstance(store, SessionClaims)
    assert await store.claim("s1", "proc-a")
    assert await store.claim("s1", "proc-a"), "claiming again as the holder is a no-op"
    assert not await store.claim("s1", "proc-b")
    assert await store.claim("s2", "proc-b"), "claims are per session"
    await store.release("s1", "proc-b")  # not the holder: nothing happens
    assert not await store.claim("s1", "proc-b")
    await store.release("s1", "proc-a")
    assert await claim_session(store, "s1", "proc-b")


async def test_a_lost_claims_connection_never_leaves_a_stale_claim(
    pg_cluster: Cluster | str,
) -> None:
    """If the server drops the connection holding our advisory locks, the next ``claim`` must
    not answer from memory: it reclaims on a new connection, or answers false if another
    process took the session meanwhile."""
    with cluster_or_skip(pg_cluster).database() as url:
        backend = Backend("postgres", url)
        a, b = pg_backend.PostgresStore(url), pg_backend.PostgresStore(url)
        await a.open()
        await b.open()
        try:
            assert await a.claim("s1", "proc-a") and await a.claim("s2", "proc-a")
            assert not await b.claim("s1", "proc-b")
            killed = backend.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE application_name = '{pg_backend.CLAIMS_APPLICATION}'"
                " AND datname = current_database()"
            )
            assert killed == [(True,), (True,)], "both stores' claims connections"
            assert await b.claim("s1", "proc-b"), "a's locks died with its connection"
            assert not await a.claim("s1", "proc-a"), "a must not trust its stale memory"
            assert await a.claim("s2", "proc-a"), "a free session is claimed again"
            assert not await b.claim("s2", "proc-b")
        finally:
            await a.close()
            await b.close()


async def test_the_engine_replays_identically_on_every_backend(
    tmp_path: Path, pg_cluster: Cluster | str, bank: QuestionBank
) -> None:
    """Same events, ids and clock -> the same transcript and the same stored sessions."""
    from tests.test_engine_states import STRONG

    cluster = cluster_or_skip(pg_cluster)
    profile = JobProfile(title="Backend Engineer", role_family="software")
    results = []
    with cluster.database() as pg_url:
        for url in (f"sqlite:///{tmp_path / 'e.sqlite3'}", pg_url):
            store = store_for_url(url)
            await store.open()
            ids = (f"r{n}" for n in itertools.count())
            eng = InterviewEngine(
                store,
                OfflineBrain(lambda _t: profile, Planner(bank)),
                clock=FixedClock(),
                new_id=functools.partial(next, ids),
            )
            texts = [r.text for r in await eng.handle(start_event(auto_begin="yes"))]
            for answer in ("We shipped it.", STRONG, STRONG):
                texts += [r.text for r in await eng.handle(IncomingEvent.say(USER, CONV, answer))]
            texts += [r.text for r in await eng.handle(IncomingEvent.do(USER, CONV, Command.END))]
            results.append((texts, await store.sessions_for_user(USER.key)))
            await store.close()
    assert results[0] == results[1]
    assert len(results[0][1][0].turns) >= 3


# --- backend selection ------------------------------------------------------------------------


def test_database_url_selects_the_backend(tmp_path: Path) -> None:
    default = load_settings(environ={"INTERVIEW_BOT_DATA_DIR": str(tmp_path)})
    assert url_for_settings(default) == f"sqlite:///{tmp_path / 'interview-bot.sqlite3'}"
    assert isinstance(store_for_url(url_for_settings(default)), sqlite_backend.SQLiteStore)
    relative = store_for_url("sqlite:///data/bot.sqlite3")
    absolute = store_for_url("sqlite:////var/lib/bot.sqlite3")
    assert isinstance(relative, sqlite_backend.SQLiteStore)
    assert isinstance(absolute, sqlite_backend.SQLiteStore)
    assert (relative.path, absolute.path) == (
        Path("data/bot.sqlite3"),
        Path("/var/lib/bot.sqlite3"),
    )
    secret = "postgresql://bot:s3cret-pw@db.internal:5433/interview"
    settings = load_settings(environ={"DATABASE_URL": secret})
    assert url_for_settings(settings) == secret
    assert "s3cret-pw" not in repr(settings)
    pg = store_for_url(secret)
    assert isinstance(pg, pg_backend.PostgresStore)
    assert pg.name == "postgresql://bot@db.internal:5433/interview"
    assert isinstance(store_for_url("postgres://x@h/db"), pg_backend.PostgresStore)
    with pytest.raises(StoreError, match="not supported"):
        store_for_url("mysql://bot@h/db")


def test_a_bad_database_url_is_a_settings_error() -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match=r"database_url \(from \$DATABASE_URL\)"):
        load_settings(environ={"DATABASE_URL": "mysql://u:pw@h/db"})


async def test_open_store_uses_the_sqlite_file_by_default(tmp_path: Path) -> None:
    store = await open_store(load_settings(environ={}, database_path=tmp_path / "x.sqlite3"))
    try:
        assert isinstance(store, sqlite_backend.SQLiteStore)
        assert (tmp_path / "x.sqlite3").exists()
    finally:
        await store.close()


async def test_an_unreachable_server_fails_fast_naming_it_without_the_password() -> None:
    pytest.importorskip("psycopg")
    with socket_port() as port:  # bound but never accepting: nothing answers there
        store = pg_backend.PostgresStore(
            f"postgresql://bot:hunter2@127.0.0.1:{port}/interview", timeout=2
        )
        started = time.monotonic()
        with pytest.raises(StoreError) as info:
            await store.open()
    assert time.monotonic() - started < 15
    assert f"postgresql://bot@127.0.0.1:{port}/interview" in str(info.value)
    assert "hunter2" not in str(info.value)


async def test_missing_psycopg_is_a_clear_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"interview-bot\[postgres\]"):
        await pg_backend.PostgresStore("postgresql://u@127.0.0.1:1/db").open()


async def test_a_foreign_database_is_left_untouched(pg_cluster: Cluster | str) -> None:
    with cluster_or_skip(pg_cluster).database() as url:
        backend = Backend("postgres", url)
        backend.query("CREATE TABLE sessions (id INTEGER PRIMARY KEY, owner TEXT)")
        with pytest.raises(StoreError, match="not an interview-bot database"):
            await store_for_url(url).open()
        assert backend.tables() == {"sessions": ["id", "owner"]}


# --- ownership across processes ---------------------------------------------------------------

WORKER = """
import asyncio, sys, time
from bot.store.postgres import PostgresStore

async def main(url, owner):
    store = PostgresStore(url, timeout=10)
    await store.open()
    print("ready", flush=True)
    sys.stdin.readline()  # the test says go, so both processes race for the same session
    started = time.monotonic()
    got = await store.claim("session-1", owner)
    print("first", got, flush=True)
    while not got and time.monotonic() - started < 20:
        await asyncio.sleep(0.02)
        got = await store.claim("session-1", owner)
    print("claimed" if got else "gave-up", round(time.monotonic() - started, 3), flush=True)
    sys.stdin.readline()  # hold the claim until the test closes stdin (or kills us)
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


class Worker:
    """A worker process whose stdout lines arrive on a queue (a thread reads them), so every
    wait for a line is bounded even though pipes are buffered."""

    def __init__(self, url: str, owner: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, owner],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def read_line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"worker {self.proc.pid} said nothing within {timeout} s (exit {self.proc.poll()})"
            ) from None

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def test_two_processes_one_database_only_one_owns_a_session(pg_cluster: Cluster | str) -> None:
    """Two processes race for one session: exactly one wins; when the winner is killed -9 the
    other takes the session over (the server drops a dead process's advisory locks)."""
    cluster = cluster_or_skip(pg_cluster)
    with cluster.database() as url:
        workers = [Worker(url, "proc-a"), Worker(url, "proc-b")]
        try:
            assert [w.read_line(30) for w in workers] == ["ready", "ready"]
            for w in workers:
                w.say("go")
            firsts = [w.read_line(30) for w in workers]
            assert sorted(firsts) == ["first False", "first True"], firsts
            winner, loser = workers if firsts[0] == "first True" else workers[::-1]
            assert winner.read_line(10).startswith("claimed")
            with pytest.raises(AssertionError, match="said nothing"):
                loser.read_line(0.5)  # still trying: the winner holds the session
            killed_at = time.monotonic()
            winner.proc.send_signal(signal.SIGKILL)
            winner.proc.wait(timeout=10)
            verdict, _seconds = loser.read_line(25).split()
            takeover = time.monotonic() - killed_at
            assert verdict == "claimed", "the session is free again once its owner died"
            assert takeover < 20
            print(f"takeover after kill -9: {takeover * 1000:.0f} ms")
            assert loser.proc.stdin is not None
            loser.proc.stdin.close()
            assert loser.proc.wait(timeout=20) == 0
        finally:
            for w in workers:
                w.stop()


class socket_port:
    """A loopback port that is bound but not listening, so connections are refused: stands in
    for a database server that is down."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_healthcheck_exits_nonzero_for_an_unusable_database(tmp_path: Path) -> None:
    """The container health check: quiet success, or exit 1 with the reason on stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INTERVIEW_BOT_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    probe = [sys.executable, "-c", "import bot.store; bot.store.healthcheck()"]
    ok = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "interview-bot.sqlite3").write_bytes(b"not a database" * 200)
    bad = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 1 and "store unhealthy" in bad.stderr and "corrupted" in bad.stderr
