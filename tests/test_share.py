"""Share links (issue 11): signed, expiring, revocable tokens; the page they open; the route.

Everything runs over a real SQLite store and, for the route, a real aiohttp server on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import stat
from collections.abc import AsyncIterator
from html import escape
from pathlib import Path

import pytest

from bot.access import AccessDenied
from bot.planning.bank import QuestionBank
from bot.settings import Settings
from bot.share import (
    ShareRefused,
    base_url,
    create_share,
    resolve_share,
    revoke_shares,
    sign,
    signing_key,
    verify,
)
from bot.store.sqlite import SQLiteStore
from bot.web.share_page import refusal_page, session_page
from tests.sharing import HOSTILE, NOW, invite, save, shared_record

HOUR = 3600.0
SECRET = "s" * 32


def settings_for(tmp_path: Path, **values: object) -> Settings:
    fields: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "share_secret": SECRET,
        "public_url": "https://coach.example.org/",
        **values,
    }
    return Settings.model_validate(fields)


@pytest.fixture
async def shared(tmp_path: Path, bank: QuestionBank) -> AsyncIterator[SQLiteStore]:
    """Ann's session "annsession01", Bob's "bobsession01" (with a secret in an answer), and Olga
    invited to watch Ann's."""
    store = SQLiteStore(tmp_path / "share.sqlite3")
    await store.open()
    await save(store, shared_record(bank, "annsession01", "cli:ann"))
    bob = shared_record(bank, "bobsession01", "cli:bob", title="Bob Secret Role", secret="BOBX")
    await save(store, bob)
    await invite(store, "annsession01", "cli:olga")
    yield store
    await store.close()


def flip(token: str, position: int) -> str:
    """The token with one character changed (still URL-safe)."""
    char = token[position]
    return token[:position] + ("A" if char != "A" else "B") + token[position + 1 :]


# ------------------------------------------------------------------------------ tokens
async def test_create_then_resolve_opens_exactly_that_session(
    tmp_path: Path, shared: SQLiteStore
) -> None:
    settings = settings_for(tmp_path)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    assert made.served and made.url == f"https://coach.example.org/s/{made.token}"
    assert made.expires_at == NOW + 72 * HOUR
    assert made.link.session_id == "annsession01" and made.link.user_key == "cli:ann"
    assert await shared.get_share_link(made.link.id) == made.link
    record = await resolve_share(shared, settings, made.token, now=NOW + HOUR)
    assert record.id == "annsession01"
    # A unique prefix works as well as the full id.
    again = await create_share(shared, settings, "anns", "cli:ann", now=NOW)
    assert again.link.session_id == "annsession01" and again.token != made.token


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: flip(t, len(t) - 3),  # signature
        lambda t: flip(t, 2),  # link id
        lambda t: t.replace(".", ".9", 1),  # expiry pushed later
        lambda t: t[:-1],  # truncated
        lambda t: t + "A",
        lambda t: t.split(".")[0],
        lambda t: "",
        lambda t: "x" * 400,
        lambda t: t.replace(".", "%2E"),
    ],
)
async def test_any_change_to_a_token_is_refused_as_tampered(
    tmp_path: Path, shared: SQLiteStore, mangle: object
) -> None:
    settings = settings_for(tmp_path)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    assert callable(mangle)
    with pytest.raises(ShareRefused) as refused:
        await resolve_share(shared, settings, mangle(made.token), now=NOW)
    assert refused.value.reason == "tampered"


async def test_a_token_signed_with_another_secret_is_tampered(
    tmp_path: Path, shared: SQLiteStore
) -> None:
    made = await create_share(shared, settings_for(tmp_path), "annsession01", "cli:ann", now=NOW)
    other = settings_for(tmp_path, share_secret="another-secret-of-32-characters!")
    with pytest.raises(ShareRefused, match="tampered"):
        await resolve_share(shared, other, made.token, now=NOW)


async def test_expired_links_are_refused(tmp_path: Path, shared: SQLiteStore) -> None:
    settings = settings_for(tmp_path, share_ttl_hours=1)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    assert (await resolve_share(shared, settings, made.token, now=NOW + HOUR - 1)).id
    for later in (NOW + HOUR, NOW + 400 * HOUR):
        with pytest.raises(ShareRefused) as refused:
            await resolve_share(shared, settings, made.token, now=later)
        assert refused.value.reason == "expired"


async def test_revoking_stops_a_session_links_and_only_the_owners(
    tmp_path: Path, shared: SQLiteStore
) -> None:
    settings = settings_for(tmp_path)
    first = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    second = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    bobs = await create_share(shared, settings, "bobsession01", "cli:bob", now=NOW)
    assert await revoke_shares(shared, "cli:ann", session_id="annsession01", now=NOW + 1) == 2
    assert await revoke_shares(shared, "cli:ann", session_id="annsession01", now=NOW + 2) == 0
    for made in (first, second):
        with pytest.raises(ShareRefused) as refused:
            await resolve_share(shared, settings, made.token, now=NOW + 3)
        assert refused.value.reason == "revoked"
    assert (await resolve_share(shared, settings, bobs.token, now=NOW + 3)).id == "bobsession01"
    assert await revoke_shares(shared, "cli:bob", now=NOW + 4) == 1  # all of Bob's links
    with pytest.raises(ShareRefused, match="revoked"):
        await resolve_share(shared, settings, bobs.token, now=NOW + 5)


async def test_unknown_links_are_refused(tmp_path: Path, shared: SQLiteStore) -> None:
    """A genuine signature over a link id the store does not have (never made, or deleted by
    ``forget``) opens nothing."""
    settings = settings_for(tmp_path)
    key = await signing_key(settings)
    with pytest.raises(ShareRefused, match="unknown"):
        await resolve_share(shared, settings, sign(key, "neverMadeLink123", int(NOW) + 60), now=NOW)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    await shared.forget_user("cli:ann")
    with pytest.raises(ShareRefused) as refused:
        await resolve_share(shared, settings, made.token, now=NOW)
    assert refused.value.reason == "unknown"


async def test_only_the_candidate_may_share(tmp_path: Path, shared: SQLiteStore) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(AccessDenied, match="Only the candidate"):
        await create_share(shared, settings, "annsession01", "cli:olga", now=NOW)  # observer
    with pytest.raises(AccessDenied) as stranger:
        await create_share(shared, settings, "annsession01", "cli:mallory", now=NOW)
    with pytest.raises(AccessDenied) as missing:
        await create_share(shared, settings, "nosession001", "cli:mallory", now=NOW)
    assert str(stranger.value) == "No such session: annsession01"
    assert str(missing.value) == "No such session: nosession001"
    assert await shared.share_links_for_user("cli:olga") == []
    assert await shared.share_links_for_user("cli:mallory") == []


async def test_generated_secret_is_private_stable_and_shared_by_processes(
    tmp_path: Path, shared: SQLiteStore
) -> None:
    from bot import share

    settings = settings_for(tmp_path, share_secret=None)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    path = settings.data_dir / share.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    share._secrets.clear()  # a second process: reads the same file
    assert (await resolve_share(shared, settings, made.token, now=NOW)).id == "annsession01"
    assert not [p for p in settings.data_dir.iterdir() if p.name.startswith(".share-secret")]
    # Another data dir means another secret: its tokens do not verify here.
    elsewhere = settings_for(tmp_path, share_secret=None, data_dir=tmp_path / "other")
    with pytest.raises(ShareRefused, match="tampered"):
        await resolve_share(shared, elsewhere, made.token, now=NOW)


def test_verify_is_pure_and_checks_signature_before_expiry() -> None:
    key = b"k" * 32
    token = sign(key, "linkid12", int(NOW) + 10)
    assert verify(key, token, now=NOW) == "linkid12"
    with pytest.raises(ShareRefused, match="expired"):
        verify(key, token, now=NOW + 10)
    forged = sign(b"x" * 32, "linkid12", int(NOW) - 10)  # expired AND forged: forged wins
    with pytest.raises(ShareRefused, match="tampered"):
        verify(key, forged, now=NOW)
    with pytest.raises(ValueError):
        ShareRefused("because")


def test_base_url_prefers_public_url_then_the_http_port(tmp_path: Path) -> None:
    assert base_url(settings_for(tmp_path)) == "https://coach.example.org"
    local = settings_for(tmp_path, public_url=None, http_port=8080)
    assert base_url(local) == "http://127.0.0.1:8080"
    v6 = settings_for(tmp_path, public_url=None, http_port=8080, http_host="::1")
    assert base_url(v6) == "http://[::1]:8080"
    assert base_url(settings_for(tmp_path, public_url=None)) is None


async def test_unserved_links_are_paths_and_say_so(tmp_path: Path, shared: SQLiteStore) -> None:
    settings = settings_for(tmp_path, public_url=None)
    made = await create_share(shared, settings, "annsession01", "cli:ann", now=NOW)
    assert not made.served and made.url == f"/s/{made.token}"


# ------------------------------------------------------------------------------ page
def test_page_shows_transcript_and_recap_with_everything_escaped(bank: QuestionBank) -> None:
    record = shared_record(bank, "annsession01", "cli:ann", title="Eng <b>Lead</b>")
    page = session_page(record, expires_at=NOW + HOUR)
    assert page.startswith("<!doctype html>")
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "Mock interview: Eng &lt;b&gt;Lead&lt;/b&gt;" in page and "<b>Lead</b>" not in page
    # The hostile answer is text: neither of its tags survives as markup.
    assert escape(HOSTILE) in page and "<script" not in page and "<img src=x" not in page
    assert "I led the migration with three teams." in page
    assert "Follow-up: What changed as a result, in numbers?" in page
    assert "Skipped." in page and "Score: 3.5/5" in page and "Score: 4.0/5" in page
    for recap_text in (
        "Overall: <b>3.8/5</b>",
        "Owns cross-team work end to end",
        "Review index types: B-tree, GIN, BRIN.",
        "Job skills not drawn on: Kafka",
        "Collaboration",
    ):
        assert recap_text in page
    chart = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert chart is not None and base64.b64decode(chart.group(1)).startswith(b"\x89PNG")
    # Nothing that identifies the user or links anywhere else.
    assert "cli:ann" not in page and "annsession01" not in page and "cli:local" not in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_page_without_recap_says_so(bank: QuestionBank) -> None:
    record = shared_record(bank, "s1", "cli:ann")
    record.recap = None
    record.state = "asking"
    page = session_page(record)
    assert "no recap yet" in page and "data:image/png" not in page


@pytest.mark.parametrize("reason", ["tampered", "expired", "revoked", "unknown"])
def test_refusal_pages_differ_by_reason(reason: str) -> None:
    page = refusal_page(reason)
    assert 'name="robots" content="noindex' in page and 'class="refused"' in page
    others = {r for r in ("tampered", "expired", "revoked", "unknown") if r != reason}
    assert all(refusal_page(r) != page for r in others)


# ------------------------------------------------------------------------------ route
@pytest.fixture
async def client(
    tmp_path: Path, shared: SQLiteStore
) -> AsyncIterator[tuple[object, Settings, SQLiteStore]]:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.web.share_routes import share_routes

    settings = settings_for(tmp_path)
    app = web.Application()
    share_routes(shared, settings)(app)
    test_client = TestClient(TestServer(app, host="127.0.0.1"))
    await test_client.start_server()
    yield test_client, settings, shared
    await test_client.close()


async def test_route_serves_the_page_with_locked_down_headers(
    client: tuple[object, Settings, SQLiteStore],
) -> None:
    from aiohttp.test_utils import TestClient

    http, settings, store = client
    assert isinstance(http, TestClient)
    import time

    # The route reads the real clock: a link made 73 hours ago has expired.
    made = await create_share(
        store, settings, "annsession01", "cli:ann", now=time.time() - 73 * HOUR
    )
    response = await http.get(f"/s/{made.token}")
    assert response.status == 410 and "expired" in await response.text()
    fresh = await create_share(store, settings, "annsession01", "cli:ann", now=time.time())
    response = await http.get(f"/s/{fresh.token}")
    assert response.status == 200
    body = await response.text()
    assert "Owns cross-team work end to end" in body and "BOBX" not in body
    assert "Bob Secret Role" not in body
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "img-src data:" in headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


async def test_route_refuses_with_403_or_410_and_reaches_nothing_else(
    client: tuple[object, Settings, SQLiteStore],
) -> None:
    import time

    from aiohttp.test_utils import TestClient

    http, settings, store = client
    assert isinstance(http, TestClient)
    made = await create_share(store, settings, "annsession01", "cli:ann", now=time.time())
    tampered = await http.get(f"/s/{flip(made.token, len(made.token) - 2)}")
    assert tampered.status == 403 and "not valid" in await tampered.text()
    assert tampered.headers["Cache-Control"] == "no-store"
    key = await signing_key(settings)
    unknown = await http.get(f"/s/{sign(key, 'neverMadeLink123', int(time.time()) + 60)}")
    assert unknown.status == 403 and "does not open anything" in await unknown.text()
    for _ in range(2):  # rendered, then served from the route's page cache
        assert (await http.get(f"/s/{made.token}")).status == 200
    await revoke_shares(store, "cli:ann", session_id="annsession01", now=time.time())
    revoked = await http.get(f"/s/{made.token}")  # the cache never outlives a revocation
    assert revoked.status == 410 and "revoked" in await revoked.text()
    # Only /s/{token} exists: no listing, no other session, no path tricks.
    for path in ("/s/", "/s", "/", "/s/../bobsession01", f"/s/{made.token}/bobsession01"):
        response = await http.get(path)
        assert response.status in (403, 404), path
        assert "BOBX" not in await response.text()


def test_no_file_left_readable_by_others(tmp_path: Path) -> None:
    """Guard for the secret file's mode even under a permissive umask."""
    from bot.share import _read_or_create_secret

    old = os.umask(0)
    try:
        _read_or_create_secret(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "share-secret").stat().st_mode) == 0o600


# ------------------------------------------------------------------------------ command line
def test_cli_share_then_serve_opens_the_page(tmp_path: Path, bank: QuestionBank) -> None:
    """``interview-bot share`` prints a link; ``interview-bot serve`` serves it (no Discord or
    Slack process needed); revoking through the CLI turns the page into the refusal."""
    import json
    import select
    import signal
    import subprocess
    import urllib.error
    import urllib.request

    from tests.conftest import ROOT, cli

    data = tmp_path / "data"

    async def prepare() -> None:
        store = SQLiteStore(data / "interview-bot.sqlite3")
        await store.open()
        await save(store, shared_record(bank, "annsession01", "console:ann"))
        await store.close()

    asyncio.run(prepare())
    env = {
        **os.environ,
        "INTERVIEW_BOT_DATA_DIR": str(data),
        "HTTP_PORT": "0",  # serve picks a free port; share then knows no address
        "PYTHONUNBUFFERED": "1",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    made = run("share", "annsession01", "--user", "ann", "--json")
    assert made.returncode == 0, made.stderr
    link = json.loads(made.stdout)
    assert link["served"] is False and link["url"].startswith("/s/")
    server = subprocess.Popen(
        cli("serve", "--port", "0"), cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 60)  # bounded wait for the banner
        line = server.stdout.readline() if ready else ""
        found = re.search(r"(http://127\.0\.0\.1:\d+)/s/", line)
        assert found, line + (server.stderr.read() if server.poll() is not None else "")

        def fetch(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(found.group(1) + path, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as refused:
                return refused.code, refused.read().decode()

        status, page = fetch(link["url"])
        assert status == 200 and "Owns cross-team work end to end" in page
        revoked = run("share", "annsession01", "--user", "ann", "--revoke")
        assert revoked.returncode == 0 and "Revoked 1 link(s)" in revoked.stdout
        status, page = fetch(link["url"])
        assert status == 410 and "revoked" in page
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        for stream in (server.stdout, server.stderr):
            if stream is not None:
                stream.close()
    assert server.returncode == 0
