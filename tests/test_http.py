"""The bot's HTTP server for real: aiohttp on 127.0.0.1 (a free port), an aiohttp client,
a real SQLite store and engine. Health says 503 when the store is gone; /metrics speaks
Prometheus' text format and counts a real engine turn; Slack's endpoint and the share pages are
served on the same port."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.web.server import HttpServer, build_app, default_routes, http_server, slack_routes
from bot.domain import JobProfile
from bot.engine import InterviewEngine
from bot.observability import metrics
from bot.planning.bank import QuestionBank
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from tests.conftest import start_event
from tests.pg_cluster import Backend

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMEOUT = aiohttp.ClientTimeout(total=10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, instance_name="web-test", http_port=0)


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        yield session


async def _get(client: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with client.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_healthz_is_ok_then_503_when_the_store_is_closed(
    settings: Settings, store: SQLiteStore, client: aiohttp.ClientSession
) -> None:
    async with HttpServer(build_app(settings, store), "127.0.0.1", 0) as server:
        assert server.port > 0
        status, content_type, body = await _get(client, f"{server.url}/healthz")
        assert status == 200 and content_type.startswith("application/json")
        health = json.loads(body)
        assert health["status"] == "ok"
        assert health["checks"]["store"]["ok"] is True
        assert health["instance"] == "web-test"
        assert health["version"] and health["uptime_s"] >= 0

        await store.close()
        status, _, body = await _get(client, f"{server.url}/healthz")
        assert status == 503
        degraded = json.loads(body)
        assert degraded["status"] == "degraded"
        assert degraded["checks"]["store"]["ok"] is False
        assert degraded["checks"]["store"]["detail"].startswith("StoreError")


async def test_metrics_counts_a_real_engine_turn_and_open_sessions(
    settings: Settings, store: SQLiteStore, engine: InterviewEngine, client: aiohttp.ClientSession
) -> None:
    before = metrics().value("interview_bot_turn_seconds_count", {"command": "start"}) or 0.0
    replies = await engine.handle(start_event())
    assert replies, "the engine answered the start"
    async with HttpServer(build_app(settings, store), "127.0.0.1", 0) as server:
        status, content_type, text = await _get(client, f"{server.url}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    for name in (
        "interview_bot_turn_seconds",
        "interview_bot_llm_seconds",
        "interview_bot_stt_seconds",
        "interview_bot_sandbox_seconds",
        "interview_bot_workqueue_seconds",
        "interview_bot_sessions_active",
        "interview_bot_errors_total",
        "interview_bot_info",
        "process_resident_memory_bytes",
    ):
        assert f"# TYPE {name} " in text, name
    count = metrics().value("interview_bot_turn_seconds_count", {"command": "start"})
    assert count == before + 1
    assert f'interview_bot_turn_seconds_count{{command="start"}} {before + 1}' in text
    # The engine's store now holds one open session on the "test" platform (tests/conftest.py).
    assert 'interview_bot_sessions_active{platform="test"} 1.0' in text
    assert 'instance="web-test"' in text


async def test_no_port_no_server_and_the_default_routes_serve_share_pages(
    tmp_path: Path, settings: Settings, store: SQLiteStore, client: aiohttp.ClientSession
) -> None:
    async with http_server(Settings(data_dir=tmp_path), store) as nothing:
        assert nothing is None, "HTTP_PORT unset: nothing listens"
    assert len(default_routes(settings, store)) == 1
    assert default_routes(settings, None) == [], "a worker has no store and no share pages"
    async with http_server(settings, store) as server:
        assert server is not None
        status, content_type, _ = await _get(client, f"{server.url}/s/not-a-real-token")
        assert status == 403 and content_type.startswith("text/html")
        status, _, _ = await _get(client, f"{server.url}/healthz")
        assert status == 200


async def test_slack_events_are_served_on_the_same_port(
    settings: Settings, store: SQLiteStore, engine: InterviewEngine, client: aiohttp.ClientSession
) -> None:
    from adapters.slack.app import SlackInterview
    from adapters.slack.config import SlackConfig
    from tests.fake_slack import BOT_TOKEN, FakeSlack

    fake = await FakeSlack().start()
    try:
        config = SlackConfig.from_env(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.api_url,
            }
        )
        interview = SlackInterview(engine, config)
        app = build_app(settings, store, routes=[slack_routes(interview.app, config.path)])
        async with HttpServer(app, "127.0.0.1", 0) as server:
            url = f"{server.url}{config.path}"
            body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
            stamp = str(int(time.time()))
            signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
            }
            async with client.post(url, data=body.encode(), headers=headers) as response:
                assert response.status == 200
                assert "c-123" in await response.text()
            forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
            async with client.post(url, data=body.encode(), headers=forged) as response:
                assert response.status == 401
            status, _, _ = await _get(client, f"{server.url}/healthz")
            assert status == 200
    finally:
        await fake.stop()


async def test_run_slack_in_http_mode_serves_everything_on_http_port(
    tmp_path: Path, store: SQLiteStore, engine: InterviewEngine, client: aiohttp.ClientSession
) -> None:
    """The real runner: with HTTP_PORT set, Slack's events, health and metrics share one port."""
    import asyncio

    from adapters.slack.app import run_slack
    from adapters.slack.config import SlackConfig
    from tests.fake_slack import BOT_TOKEN, FakeSlack
    from tests.redis_server import free_port

    port = free_port()
    settings = Settings(data_dir=tmp_path, http_port=port, retention_days=0)
    fake = await FakeSlack().start()
    config = SlackConfig.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    runner = asyncio.create_task(run_slack(engine, config, settings=settings, say=lambda _t: None))
    base = f"http://127.0.0.1:{port}"
    status = 0
    try:
        for _ in range(100):  # 10 s at most
            assert not runner.done(), runner.result()
            try:
                status, _, _ = await _get(client, f"{base}/healthz")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        assert status == 200
        body = json.dumps({"type": "url_verification", "challenge": "c-456", "token": "x"})
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(
                timestamp=stamp, body=body
            ),
        }
        async with client.post(f"{base}{config.path}", data=body, headers=headers) as response:
            assert response.status == 200 and "c-456" in await response.text()
        status, _, text = await _get(client, f"{base}/metrics")
        assert status == 200 and "interview_bot_turn_seconds" in text
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await fake.stop()


async def test_open_sessions_are_counted_per_platform_on_both_backends(
    backend: Backend, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    """``count_open_sessions`` (what ``sessions_active`` reads) on SQLite and PostgreSQL."""
    from bot.observability import SessionCounts
    from tests.test_store_backends import record

    store = backend.new_store()
    await store.open()
    try:
        assert isinstance(store, SessionCounts)
        assert await store.count_open_sessions() == {}
        rows = [
            ("a", "discord:1", "asking"),
            ("b", "discord:2", "paused"),
            ("c", "slack:T1:U1", "briefing"),
            ("d", "slack:T1:U2", "finished"),
            ("e", "console:me", "cancelled"),
        ]
        for sid, user, state in rows:
            await store.create_session(record(bank, backend_profile, sid, user, state=state))
        assert await store.count_open_sessions() == {"discord": 2, "slack": 1}
    finally:
        await store.close()


async def test_run_bot_serves_health_and_metrics_while_on_discord(
    tmp_path: Path, engine: InterviewEngine, client: aiohttp.ClientSession
) -> None:
    """The real Discord runner against the loopback fake: HTTP_PORT brings the server up."""
    import asyncio

    from adapters.discord.client import run_bot
    from adapters.discord.config import DiscordConfig
    from tests.fake_discord import GUILD_ID, TOKEN, FakeDiscord
    from tests.redis_server import free_port

    fake = FakeDiscord()
    await fake.start()
    port = free_port()
    settings = Settings(data_dir=tmp_path, http_port=port, retention_days=0, instance_name="d1")
    config = DiscordConfig(token=TOKEN, guild_ids=(GUILD_ID,), api_base_url=fake.api_base)
    runner = asyncio.create_task(run_bot(engine, config, "standard", settings))
    status, body = 0, ""
    try:
        for _ in range(100):  # 10 s at most
            assert not runner.done(), runner.result()
            try:
                status, _, body = await _get(client, f"http://127.0.0.1:{port}/healthz")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        assert status == 200 and json.loads(body)["instance"] == "d1"
        status, _, text = await _get(client, f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "interview_bot_sessions_active" in text
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, 20)
        await fake.stop()
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped with the bot
        await _get(client, f"http://127.0.0.1:{port}/healthz")
