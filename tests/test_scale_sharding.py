"""Discord sharding (issue 12) through discord.py's own gateway code, against the loopback fake.

Each process opens only the shards ``DISCORD_SHARD_IDS`` names, out of ``DISCORD_SHARD_COUNT``; the
IDENTIFY payload is where Discord learns which slice of guilds a connection gets, so that is what
the fake gateway records and these tests check. Without shard settings the bot runs the shards
Discord recommends in one process, as the single-connection bot did before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord.client import InterviewBot
from adapters.discord.config import DiscordConfig
from bot.brain import OfflineBrain
from bot.domain import JobProfile
from bot.engine import InterviewEngine
from bot.planning.bank import QuestionBank
from bot.planning.planner import Planner
from bot.settings import Settings, load_settings
from bot.store.sqlite import SQLiteStore
from tests.conftest import JD_TEXT as JD
from tests.fake_discord import GUILD_ID, TOKEN, FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def engine(
    tmp_path: Path, backend_profile: JobProfile, bank: QuestionBank
) -> AsyncIterator[InterviewEngine]:
    store = SQLiteStore(tmp_path / "shards.sqlite3")
    await store.open()
    profile = backend_profile
    yield InterviewEngine(store, OfflineBrain(lambda _t: profile, Planner(bank)), owner="shards")
    await store.close()


async def identified(
    fake: FakeDiscord, engine: InterviewEngine, settings: Settings | None, count: int
) -> tuple[InterviewBot, list[list[int]]]:
    """Run the bot until ``count`` shards have identified; returns the bot and their shards."""
    config = DiscordConfig(token=TOKEN, guild_ids=(GUILD_ID,), api_base_url=fake.api_base)
    bot = InterviewBot(engine, config, settings=settings, reattach_on_ready=False)
    bot.identify_interval_s = 0  # the fake gateway has no IDENTIFY rate limit
    runner = asyncio.create_task(bot.start(TOKEN))
    try:
        await fake.wait_for(
            lambda: len(fake.identifies) >= count or runner.done(), 20, f"{count} IDENTIFY"
        )
        await fake.wait_for(bot.is_ready, 20, "READY on every shard")
        await asyncio.sleep(0.05)  # nothing more should arrive
        assert not runner.done(), runner.exception()
        return bot, [identify.get("shard") for identify in fake.identifies]
    finally:
        await bot.close()
        await asyncio.wait_for(runner, 20)


async def test_each_configured_shard_identifies_with_its_id_and_the_count(
    fake: FakeDiscord, engine: InterviewEngine
) -> None:
    settings = load_settings(environ={"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,3"})
    bot, shards = await identified(fake, engine, settings, 2)
    assert shards == [[1, 4], [3, 4]]
    assert bot.shard_count == 4 and sorted(bot.shards) == [1, 3]
    for identify in fake.identifies:
        assert identify["token"] == TOKEN
        assert identify["intents"] == bot.intents.value
    # The gateway URL came from GET /gateway/bot (the fake), not Discord's default gateway.
    assert fake.find("GET", r"/gateway/bot$")


async def test_a_count_without_ids_opens_every_shard_in_this_process(
    fake: FakeDiscord, engine: InterviewEngine
) -> None:
    settings = load_settings(environ={"DISCORD_SHARD_COUNT": "2"})
    _bot, shards = await identified(fake, engine, settings, 2)
    assert shards == [[0, 2], [1, 2]]


@pytest.mark.parametrize("settings", [None, Settings()], ids=["no settings", "defaults"])
async def test_without_shard_settings_one_process_runs_what_discord_recommends(
    fake: FakeDiscord, engine: InterviewEngine, settings: Settings | None
) -> None:
    bot, shards = await identified(fake, engine, settings, 1)
    assert shards == [[0, 1]]  # one connection for every guild, as before
    assert bot.shard_count == 1
    assert len(fake.identifies) == 1


async def test_discords_recommendation_is_followed_when_nothing_is_configured(
    fake: FakeDiscord, engine: InterviewEngine
) -> None:
    fake.recommended_shards = 3
    bot, shards = await identified(fake, engine, None, 3)
    assert shards == [[0, 3], [1, 3], [2, 3]]
    assert bot.shard_count == 3


@pytest.mark.parametrize("ids", ["0", "1"])
async def test_after_a_restart_each_process_speaks_only_for_its_own_shards(
    fake: FakeDiscord, engine: InterviewEngine, ids: str
) -> None:
    """Re-attaching posts "I'm back online" and claims the session only in the process whose
    shard receives that guild's events; the other leaves it for that process."""
    from bot.events import Command, ConversationRef, IncomingEvent, UserRef
    from tests.fake_discord import CANDIDATE_ID

    user = UserRef("discord", str(CANDIDATE_ID))
    room = fake.thread(str(GUILD_ID), "interview")["id"]
    conversation = ConversationRef("discord", str(GUILD_ID), room)
    started = await engine.handle(IncomingEvent.do(user, conversation, Command.START, JD))
    assert started[-1].kind.value == "summary", started
    await engine.handle(IncomingEvent.do(user, conversation, Command.BEGIN))
    await engine.aclose()  # "restart": the old process's claims are gone

    settings = load_settings(environ={"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": ids})
    config = DiscordConfig(token=TOKEN, guild_ids=(GUILD_ID,), api_base_url=fake.api_base)
    bot = InterviewBot(engine, config, settings=settings, reattach_on_ready=False)
    try:
        await bot.login(TOKEN)
        bot.shard_count = 2  # as launch_shards sets it
        serving = int(ids) == (GUILD_ID >> 22) % 2
        assert bot.serves(GUILD_ID) is serving
        assert bot.serves(None) is (ids == "0"), "DMs arrive on shard 0"
        cog = bot.get_cog("Interview")
        assert cog is not None
        count = await cog.reattach()  # type: ignore[attr-defined]
        assert count == (1 if serving else 0)
        assert bool(engine.claimed) is serving
        posted = fake.find("POST", rf"/channels/{room}/messages$")
        assert bool(posted) is serving
    finally:
        await bot.close()
