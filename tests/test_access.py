"""Access (issue 11): a session is visible to its candidate and the people they invited, nobody
else (no admin override); sharing and revoking are the candidate's alone; and every refusal to a
stranger reads exactly like the answer for an id that does not exist, so ids cannot be probed.

Every cross-user attempt is made twice: through the core functions over real SQLite and
PostgreSQL stores, and through the real command line (``interview-bot show/export/share``) on
a real database.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.access import AccessDenied, can_view, own_session, viewable_session
from bot.export import export_session
from bot.planning.bank import QuestionBank
from bot.ports import Store
from bot.settings import Settings
from bot.share import create_share, resolve_share, revoke_shares
from bot.store.sqlite import SQLiteStore
from tests.conftest import ROOT, cli
from tests.pg_cluster import Backend
from tests.sharing import NOW, invite, save, shared_record

ANN, BOB, OLGA, IVAN, MALLORY = "cli:ann", "cli:bob", "cli:olga", "cli:ivan", "cli:mallory"


@pytest.fixture
async def store(backend: Backend, bank: QuestionBank) -> AsyncIterator[Store]:
    """Ann has annsession01 and annsession02 (Olga observes the first, Ivan interviews it);
    Bob has bobsession01 and a session whose id also starts with "anns" (a probe target).
    On SQLite and on PostgreSQL (tests/pg_cluster.py; skipped where no server can start)."""
    store = backend.new_store()
    await store.open()
    for sid, user in (
        ("annsession01", ANN),
        ("annsession02", ANN),
        ("bobsession01", BOB),
        ("annsXbob0001", BOB),
    ):
        await save(store, shared_record(bank, sid, user, secret=f"SECRET-{sid}"))
    await invite(store, "annsession01", OLGA)
    await invite(store, "annsession01", IVAN, role="interviewer")
    yield store
    await store.close()


async def refusal(call: object) -> str:
    """The AccessDenied message an awaitable raises."""
    assert asyncio.iscoroutine(call)
    with pytest.raises(AccessDenied) as denied:
        await call
    return str(denied.value)


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", share_secret="x" * 32)


async def test_candidate_and_invited_participants_can_view_nobody_else(
    store: Store,
) -> None:
    record = await store.load_session("annsession01")
    assert record is not None
    for user in (ANN, OLGA, IVAN):
        assert await can_view(store, record, user)
        assert (await viewable_session(store, "annsession01", user)).id == "annsession01"
    for user in (BOB, MALLORY, "discord:admin", ""):
        assert not await can_view(store, record, user)
    # An invitation to one session is not an invitation to the candidate's others.
    assert "annsession02" in await refusal(viewable_session(store, "annsession02", OLGA))
    # Removing the observer takes effect at once.
    assert await store.remove_participant("annsession01", OLGA)
    assert await refusal(viewable_session(store, "annsession01", OLGA)) == (
        "No such session: annsession01"
    )


@pytest.mark.parametrize("intruder", [BOB, MALLORY, OLGA])
async def test_someone_elses_session_reads_exactly_like_a_missing_one(
    store: Store, intruder: str
) -> None:
    """Same words for "exists but not yours" and "never existed", for show/export alike."""
    target = "annsession02"  # Olga was invited to annsession01 only
    stolen = await refusal(viewable_session(store, target, intruder))
    missing = await refusal(viewable_session(store, "zzzsession99", intruder))
    assert stolen.replace(target, "ID") == missing.replace("zzzsession99", "ID")
    for fmt in ("md", "pdf"):
        exported = await refusal(export_session(store, target, intruder, fmt))
        assert exported == stolen
    assert "SECRET" not in stolen and "Backend" not in stolen


async def test_prefixes_match_only_sessions_the_user_may_view(store: Store) -> None:
    # Ann: "annsession0" is ambiguous among her own two; Bob's "annsXbob0001" never counts.
    ambiguous = await refusal(viewable_session(store, "annsession0", ANN))
    assert "annsession01" in ambiguous and "annsession02" in ambiguous
    assert "annsXbob0001" not in ambiguous
    assert (await viewable_session(store, "annsession02", ANN)).id == "annsession02"
    assert (await viewable_session(store, "annsX", BOB)).id == "annsXbob0001"
    # Olga's only match for "anns" is the session she was invited to.
    assert (await viewable_session(store, "anns", OLGA)).id == "annsession01"
    # Mallory learns nothing from prefixes of real ids: same words as a made-up prefix.
    for prefix in ("anns", "bobs", "annsX"):
        assert await refusal(viewable_session(store, prefix, MALLORY)) == (
            f"No such session: {prefix}"
        )
    # Too short to be a prefix, or not an id at all: refused the same way, echoed harmlessly.
    assert await refusal(viewable_session(store, "ann", ANN)) == "No such session: ann"
    assert await refusal(viewable_session(store, "<b>x</b>", ANN)) == "No such session: ?b?x??b?"


async def test_only_the_candidate_shares_or_revokes(tmp_path: Path, store: Store) -> None:
    config = settings(tmp_path)
    made = await create_share(store, config, "annsession01", ANN, now=NOW)
    for user in (OLGA, IVAN):  # invited, so they know it exists: told why
        message = await refusal(create_share(store, config, "annsession01", user, now=NOW))
        assert message.startswith("Only the candidate")
        message = await refusal(revoke_shares(store, user, session_id="annsession01", now=NOW))
        assert message.startswith("Only the candidate")
    for user in (BOB, MALLORY):  # strangers: the usual "No such session"
        for call in (
            create_share(store, config, "annsession01", user, now=NOW),
            revoke_shares(store, user, session_id="annsession01", now=NOW),
            own_session(store, "annsession01", user),
        ):
            assert await refusal(call) == "No such session: annsession01"
        # "Revoke all my links" touches only the caller's own links.
        assert await revoke_shares(store, user, now=NOW) == 0
    assert (await resolve_share(store, config, made.token, now=NOW)).id == "annsession01"


async def test_a_link_opens_only_its_own_session(tmp_path: Path, store: Store) -> None:
    """Even a genuine token cannot be pointed at another session: the session id is not in the
    token, only the link's random id, and the link row names the session and its owner."""
    config = settings(tmp_path)
    made = await create_share(store, config, "annsession01", ANN, now=NOW)
    record = await resolve_share(store, config, made.token, now=NOW)
    assert record.id == "annsession01" and "annsession01" not in made.token
    assert made.link.session_id not in made.url


# ------------------------------------------------------------------------ command line
ANSWERS = (
    "Our month-end reports were always late. I owned the fix: I rebuilt the pipeline in Python "
    "and SQL with checks, and reporting went from two days to two hours.\n---\n/end\n"
)


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli(*args),
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def ann_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, Path]:
    """One finished interview by "ann" through the real console, Olga invited to it:
    (environment, session id, data dir)."""
    data = tmp_path_factory.mktemp("access-data")
    env = {"INTERVIEW_BOT_DATA_DIR": str(data), "SHARE_SECRET": "y" * 32, "HTTP_PORT": "8765"}
    answers = data / "answers.txt"
    answers.write_text(ANSWERS, encoding="utf-8")
    sample = ROOT / "data" / "samples" / "data-analyst.md"
    done = run_cli(
        env, "console", "--jd", str(sample), "--answers", str(answers), "--user", "ann",
        "--length", "short",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sid = run_cli(env, "history", "--user", "ann").stdout.split()[0]

    async def invite_olga() -> None:
        store = SQLiteStore(data / "interview-bot.sqlite3")
        await store.open()
        try:
            await invite(store, sid, "console:olga")
        finally:
            await store.close()

    asyncio.run(invite_olga())
    return env, sid, data


@pytest.mark.parametrize(
    "command",
    [
        ("show", "{id}"),
        ("export", "{id}", "-o", "{out}"),
        ("export", "{id}", "--format", "pdf", "-o", "{out}"),
        ("share", "{id}"),
        ("share", "{id}", "--revoke"),
        ("share", "{id}", "--json"),
    ],
)
def test_cli_refuses_others_exactly_like_missing_ids(
    ann_session: tuple[dict[str, str], str, Path], tmp_path: Path, command: tuple[str, ...]
) -> None:
    env, sid, _ = ann_session
    fake = "0" * len(sid)

    def attempt(session_id: str, name: str) -> subprocess.CompletedProcess[str]:
        out = tmp_path / f"{name}.out"
        args = [a.format(id=session_id, out=out) for a in command]
        result = run_cli(env, *args, "--user", "mallory")
        assert not out.exists()
        return result

    stolen, missing = attempt(sid, "stolen"), attempt(fake, "missing")
    assert stolen.returncode == missing.returncode == 1
    assert stolen.stdout.replace(sid, "ID") == missing.stdout.replace(fake, "ID")
    assert stolen.stderr.replace(sid, "ID") == missing.stderr.replace(fake, "ID")
    assert "No such session" in stolen.stderr and "pipeline" not in stolen.stderr + stolen.stdout


def test_cli_observer_views_and_exports_but_cannot_share(
    ann_session: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    env, sid, _ = ann_session
    shown = run_cli(env, "show", sid[:6], "--user", "olga")
    assert shown.returncode == 0 and "rebuilt the pipeline" in shown.stdout
    out = tmp_path / "olga.pdf"
    assert run_cli(env, "export", sid, "-o", str(out), "--user", "olga").returncode == 0
    assert out.read_bytes().startswith(b"%PDF-")
    refused = run_cli(env, "share", sid, "--user", "olga")
    assert refused.returncode == 1 and "Only the candidate" in refused.stderr


def test_cli_candidate_shares_exports_and_revokes(
    ann_session: tuple[dict[str, str], str, Path], tmp_path: Path
) -> None:
    env, sid, _ = ann_session
    made = run_cli(env, "share", sid, "--user", "ann", "--json")
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["version"] == 1 and data["session_id"] == sid and data["served"] is True
    assert data["url"].startswith("http://127.0.0.1:8765/s/") and data["expires_at"].endswith("Z")
    text = run_cli(env, "share", sid[:5], "--user", "ann")
    assert text.returncode == 0 and "/s/" in text.stdout and "--revoke" in text.stdout
    revoked = run_cli(env, "share", sid, "--user", "ann", "--revoke", "--json")
    assert json.loads(revoked.stdout)["revoked"] == 2
    markdown = tmp_path / "ann.md"
    written = run_cli(env, "export", sid, "-o", str(markdown), "--user", "ann")
    assert written.returncode == 0 and "rebuilt the pipeline" in markdown.read_text("utf-8")
