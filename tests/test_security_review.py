"""Adversarial review of issues 11 and 12 (group practice, share links, HTTP server, work queue):
one test per problem found, each failing before its fix.

- user-typed reminder times are parsed without catastrophic regex backtracking (Slack passes
  up to 4,000 characters to ``/interview practice schedule``) and huge amounts are a clear
  refusal, not an ``OverflowError``;
- an over-long time zone name is a clear refusal, not an ``OSError`` from the file system;
- ``/healthz`` (served on the same public port as share pages) names failing checks but does not
  publish their error text (database hosts, users, Redis addresses): that goes to the log;
- a job read from Redis cannot loosen the sandbox limits past fixed ceilings;
- a forgotten transcript does not live on in the share route's page cache;
- audio kept under the opt-in ("so you can listen back") can be got back, by its candidate only
  (``interview-bot export SESSION --audio DIR``), and the opt-in text says how.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from adapters.web.server import HttpServer, build_app
from bot.community.errors import CommunityError
from bot.community.prefs import set_time_zone, time_zone, zone
from bot.community.schedule import parse_when
from bot.planning.bank import QuestionBank
from bot.ports import RunLimits
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.workqueue import codec

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_780_000_000.0  # May 2026: a fixed clock, never the wall clock


# ------------------------------------------------------------------------------ reminder times
def test_hostile_relative_time_is_refused_without_backtracking() -> None:
    """Before the fix "in 1xand 1xand … !" made the regex try 2^n splits: 22 parts blocked the
    event loop for ~5 s, 40 parts for days. Run in a child process so a regression fails the
    test (generous limit) instead of hanging the suite."""
    hostile = "in " + "1xand " * 40 + "!"
    script = (
        "from bot.community.schedule import parse_when\n"
        "from bot.community.errors import CommunityError\n"
        "try:\n"
        f"    parse_when({hostile!r}, 'UTC', {NOW})\n"
        "except CommunityError as exc:\n"
        "    print('refused:', exc)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("parse_when backtracks catastrophically on a hostile relative time")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:")


def test_long_when_text_is_refused_with_examples() -> None:
    with pytest.raises(CommunityError, match="too long"):
        parse_when("in " + "1h " * 100, "UTC", NOW)


def test_relative_times_with_and_still_work() -> None:
    assert parse_when("in 1h and 30m", "UTC", NOW).timestamp() == NOW + 5400
    assert parse_when("in 2 hours", "UTC", NOW).timestamp() == NOW + 7200
    assert parse_when("in 1d 2h", "UTC", NOW).timestamp() == NOW + 93600
    with pytest.raises(CommunityError, match="use m, h or d"):
        parse_when("in 1xand 2h", "UTC", NOW)


@pytest.mark.parametrize("text", ["in 99999999999999999999d", "in 999999999999h"])
def test_huge_relative_amount_is_a_clear_refusal(text: str) -> None:
    """Was ``OverflowError: Python int too large to convert to C int`` (a crash report)."""
    with pytest.raises(CommunityError, match="more than a year"):
        parse_when(text, "UTC", NOW)


async def test_overlong_time_zone_name_is_refused_and_nothing_saved(store: SQLiteStore) -> None:
    """Was ``OSError: File name too long`` out of zoneinfo (Slack's ``/interview practice
    timezone`` takes any length)."""
    with pytest.raises(CommunityError, match="not a time zone"):
        zone("Europe/" + "x" * 300)
    with pytest.raises(CommunityError):
        await set_time_zone(store, "slack:U1", "a" * 300, now=NOW)
    assert await time_zone(store, "slack:U1") == "UTC"


# ------------------------------------------------------------------------------ /healthz
class _BrokenStore:
    """A store whose probe fails the way a real driver does: with the address in the text."""

    async def load_session(self, session_id: str) -> None:
        raise ConnectionError(
            'connection to server at "10.20.30.40", port 5432 failed: password authentication '
            'failed for user "interview_admin"'
        )


async def test_healthz_names_failing_checks_but_not_their_error_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def redis_check() -> tuple[bool, str]:
        return False, "Redis at 10.9.8.7:6379/0 is unreachable (Connection refused)"

    settings = Settings(data_dir=tmp_path, instance_name="sec", http_port=0)
    app = build_app(settings, _BrokenStore(), checks={"redis": redis_check})  # type: ignore[arg-type]
    caplog.set_level(logging.WARNING, logger="adapters.web.server")
    async with (
        HttpServer(app, "127.0.0.1", 0) as server,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client,
        client.get(f"{server.url}/healthz") as response,
    ):
        body = await response.text()
    assert response.status == 503
    health = json.loads(body)
    assert health["checks"]["store"]["ok"] is False
    assert health["checks"]["redis"]["ok"] is False
    for secret in ("10.20.30.40", "interview_admin", "10.9.8.7", "password"):
        assert secret not in body
    assert "ConnectionError" in health["checks"]["store"]["detail"]
    # The operator still finds the full reason in the log.
    assert "10.20.30.40" in caplog.text and "10.9.8.7" in caplog.text


# ------------------------------------------------------------------------------ work queue
def test_limits_from_a_redis_job_are_clamped_to_ceilings() -> None:
    hostile = {
        "wall_seconds": 1e9,
        "cpu_seconds": math.inf,
        "memory_mb": 10**7,
        "output_bytes": 10**12,
        "file_bytes": 10**12,
        "open_files": 10**6,
        "processes": 10**5,
    }
    limits = codec.limits_from_json(hostile)
    ceiling = codec.LIMIT_CEILINGS
    for name, cap in ceiling.items():
        assert getattr(limits, name) <= cap, name
    # Ordinary limits (the judge's included) pass through unchanged.
    judge = RunLimits(wall_seconds=6.0, cpu_seconds=6.0, memory_mb=512, output_bytes=16 << 20)
    assert codec.limits_from_json(codec.limits_to_json(judge)) == judge
    assert codec.limits_from_json(codec.limits_to_json(RunLimits())) == RunLimits()


@pytest.mark.parametrize(
    "bad", [{"memory_mb": "lots"}, {"wall_seconds": -1}, {"processes": 0}, {"cpu_seconds": None}]
)
def test_limits_of_the_wrong_type_or_sign_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        codec.limits_from_json(bad)


# ------------------------------------------------------------------------------ share page cache
async def test_forgotten_transcript_leaves_the_share_page_cache(
    tmp_path: Path, store: SQLiteStore, bank: QuestionBank
) -> None:
    """The route caches rendered pages. Before the fix a page stayed in the cache until 64 other
    pages pushed it out, so after ``forget`` the transcript lived on in the server's memory
    (on a small installation: until restart). Now it leaves within ``PAGE_CACHE_TTL_S``."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.web.share_routes import PAGE_CACHE_TTL_S, share_routes
    from bot.share import create_share
    from tests.sharing import save, shared_record

    settings = Settings(data_dir=tmp_path / "data", share_secret="s" * 32)
    await save(store, shared_record(bank, "secretsess01", "cli:ann", secret="ANNSECRET"))
    now = [time.time()]
    made = await create_share(store, settings, "secretsess01", "cli:ann", now=now[0])
    install = share_routes(store, settings, clock=lambda: now[0])
    app = web.Application()
    install(app)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get(f"/s/{made.token}")
        assert response.status == 200 and "ANNSECRET" in await response.text()
        pages = install.pages  # type: ignore[attr-defined]
        assert any("ANNSECRET" in entry[0] for entry in pages.values())

        await store.forget_user("cli:ann")
        now[0] += PAGE_CACHE_TTL_S + 1
        response = await client.get(f"/s/{made.token}")
        assert response.status == 403  # the link is gone with the session
        assert not any("ANNSECRET" in entry[0] for entry in pages.values())
    finally:
        await client.close()


# ------------------------------------------------------------------------------ share link URL
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_share_link_is_not_built_on_a_wildcard_address(
    tmp_path: Path, store: SQLiteStore, bank: QuestionBank, host: str
) -> None:
    """docker-compose sets HTTP_HOST=0.0.0.0; without PUBLIC_URL a link used to read
    http://0.0.0.0:8080/s/… and claim to be served. Now it is the bare path and ``served`` is
    False, so the adapters add their "set PUBLIC_URL" note."""
    from bot.share import create_share
    from tests.sharing import save, shared_record

    settings = Settings(
        data_dir=tmp_path / "d", share_secret="s" * 32, http_host=host, http_port=8080
    )
    await save(store, shared_record(bank, "wildsess0001", "cli:ann"))
    made = await create_share(store, settings, "wildsess0001", "cli:ann", now=time.time())
    assert made.served is False
    assert made.url.startswith("/s/")
    loopback = Settings(data_dir=tmp_path / "d", share_secret="s" * 32, http_port=8080)
    made = await create_share(store, loopback, "wildsess0001", "cli:ann", now=time.time())
    assert made.served and made.url.startswith("http://127.0.0.1:8080/s/")


# ------------------------------------------------------------------------------ kept audio
def test_kept_recordings_are_exported_for_the_candidate_only(
    tmp_path: Path, bank: QuestionBank
) -> None:
    """Before the fix the opt-in promised "so you can listen back" but nothing gave the clips
    back. The real CLI writes them (question number + format, a hostile format never reaching
    the path); an observer is refused, a stranger exactly as for an id that does not exist."""
    from bot.community.prefs import GET_RECORDINGS, set_audio_opt_in
    from bot.ports import StoredAudio
    from tests.sharing import invite, save, shared_record
    from tests.test_access import run_cli

    data = tmp_path / "data"
    data.mkdir()

    async def prepare() -> tuple[str, str]:
        store = SQLiteStore(data / "interview-bot.sqlite3")
        await store.open()
        try:
            told = await set_audio_opt_in(store, "console:ann", True, now=NOW)
            assert GET_RECORDINGS in told and "export SESSION --audio DIR" in told
            record = shared_record(bank, "annvoice1", "console:ann")
            await save(store, record)
            await save(store, shared_record(bank, "annquiet1", "console:ann"))
            for index, fmt, payload in (
                (0, "ogg", b"OggS first"),
                (0, "OGG", b"OggS again"),  # a clip per question: the later one is kept
                (1, "../../etc/passwd", b"RIFF wave"),
            ):
                await store.save_audio(StoredAudio(record.id, index, fmt, payload, NOW))
            await invite(store, record.id, "console:olga")
            return record.id, "annquiet1"
        finally:
            await store.close()

    sid, quiet = asyncio.run(prepare())
    env = {"INTERVIEW_BOT_DATA_DIR": str(data)}
    out = tmp_path / "clips"
    done = run_cli(env, "export", sid, "--audio", str(out), "--user", "ann")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["q01.ogg", "q02.bin"]
    assert (out / "q01.ogg").read_bytes() == b"OggS again"
    assert (out / "q02.bin").read_bytes() == b"RIFF wave"
    assert "Wrote 2 recording(s)" in done.stdout
    assert not (tmp_path / "etc").exists()

    nothing = run_cli(env, "export", quiet, "--audio", str(tmp_path / "none"), "--user", "ann")
    assert nothing.returncode == 0 and "No recordings are kept" in nothing.stdout

    observer = run_cli(env, "export", sid, "--audio", str(tmp_path / "o"), "--user", "olga")
    assert observer.returncode == 1 and "Only the candidate" in observer.stderr
    assert not (tmp_path / "o").exists()
    stolen = run_cli(env, "export", sid, "--audio", str(tmp_path / "m"), "--user", "mallory")
    fake = "0" * len(sid)
    missing = run_cli(env, "export", fake, "--audio", str(tmp_path / "m"), "--user", "mallory")
    assert stolen.returncode == missing.returncode == 1
    assert stolen.stderr.replace(sid, "ID") == missing.stderr.replace(fake, "ID")
    assert not (tmp_path / "m").exists()
    neither = run_cli(env, "export", sid, "--user", "ann")
    assert neither.returncode == 1 and "--audio DIR" in neither.stderr
