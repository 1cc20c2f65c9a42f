"""The Discord adapter end to end through discord.py's real code paths, against a loopback fake.

Interactions and messages are raw gateway payloads fed to discord.py's parser, so the real
CommandTree, transformers (attachment, choices), views, modals and HTTP client run; assertions are
on the HTTP calls ``FakeDiscord`` received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("discord")

from discord.http import Route

from adapters.discord.config import DEFAULT_API_BASE
from bot.domain import JobProfile
from bot.planning.bank import QuestionBank
from tests.conftest import JD_TEXT
from tests.fake_discord import (
    CANDIDATE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    STRANGER_ID,
    Call,
    FakeDiscord,
    Harness,
    button,
    chat_message,
    modal_from,
    modal_submit,
    slash,
    titled,
)

ANSWER = (
    "At my last company our payments API slowed down during peak traffic. I was responsible for "
    "fixing it, so I profiled the Python service, found N+1 queries against PostgreSQL, added "
    "batching and an index, and moved slow work onto a Kafka consumer. As a result p95 latency "
    "dropped from 900 ms to 120 ms and we handled twice the load without new hardware."
)
ORIGINAL = r"/webhooks/\d+/[^/]+/messages/@original$"
CALLBACK = r"/interactions/\d+/[^/]+/callback$"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def harness(
    fake: FakeDiscord, tmp_path: Path, backend_profile: JobProfile, bank: QuestionBank
) -> AsyncIterator[Harness]:
    h = Harness(fake, tmp_path / "bot.sqlite3", backend_profile, bank)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
    assert Route.BASE == DEFAULT_API_BASE, "the API base must be restored on close"


async def start_interview(h: Harness, **options: Any) -> tuple[str, Call]:
    """``/interview start jd:<file>`` in the guild channel; returns (thread id, summary edit)."""
    fake = h.fake
    attachment = fake.serve_attachment("job.txt", JD_TEXT.encode())
    h.interact(slash("start", {"jd": attachment, **options}))
    summary = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.embeds], what="summary"
    )
    thread_id = fake.find("POST", r"/channels/\d+/threads$")[0].response["id"]
    return thread_id, summary[-1]


def custom_id(call: Call, action: str) -> str:
    return next(i for i in call.custom_ids if i.startswith(f"ib:{action}:"))


async def begin(h: Harness, summary: Call, room: str, *, dm: bool = False) -> Call:
    h.interact(button(custom_id(summary, "begin"), summary.response, dm=dm))
    return (await h.posted(room, titled("Question 1 of")))[-1]


async def test_start_in_a_guild_runs_in_a_private_thread_and_ends_with_a_recap(
    harness: Harness, fake: FakeDiscord
) -> None:
    # Commands were synced to the development guild at start-up.
    synced = fake.find("PUT", r"/applications/\d+/guilds/\d+/commands$")
    assert synced and synced[0].json[0]["name"] == "interview"
    names = {o["name"] for o in synced[0].json[0]["options"]}
    assert {"start", "answer", "status", "end", "resume", "history", "forget"} <= names

    thread_id, summary = await start_interview(harness, length="short")

    first = fake.find("POST", CALLBACK)[0]
    assert first.json["type"] == 5 and first.json["data"]["flags"] == 64  # deferred, ephemeral
    assert fake.find("GET", r"/attachments/.+/job\.txt$")
    created = fake.find("POST", r"/channels/\d+/threads$")[0]
    assert created.path.endswith(f"/channels/{CHANNEL_ID}/threads")
    assert created.json["type"] == 12 and created.json["invitable"] is False
    assert fake.find("PUT", rf"/channels/{thread_id}/thread-members/{CANDIDATE_ID}$")
    renamed = fake.find("PATCH", rf"/channels/{thread_id}$")
    assert renamed and renamed[0].json["name"] == "Senior Backend Engineer interview"

    embed = summary.embeds[0]
    assert embed["title"] == "Senior Backend Engineer"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Planned questions"] == "5" and fields["Coding"] == "yes"
    assert "Python" in fields["Required skills"]
    assert f"<#{thread_id}>" in summary.content
    assert [i.split(":")[1] for i in summary.custom_ids] == ["begin", "coding", "length", "cancel"]
    assert all(i.endswith(f":{thread_id}") for i in summary.custom_ids)
    # Nothing was posted publicly in the channel.
    assert not fake.find("POST", rf"/channels/{CHANNEL_ID}/messages$")

    question = await begin(harness, summary, thread_id)
    start_click = fake.find("POST", CALLBACK)[-1]
    assert start_click.json["type"] == 6  # deferred update of the summary message
    status = fake.find("PATCH", ORIGINAL)[-1]
    assert "Started in" in status.content and status.json.get("components") == []
    assert [i.split(":")[1] for i in question.custom_ids] == ["hint", "repeat", "skip", "end"]
    assert "Reply in this thread" in question.embeds[0]["footer"]["text"]

    harness.say(chat_message(int(thread_id), ANSWER))
    replies = await harness.posted(thread_id, count=2)
    assert fake.find("POST", rf"/channels/{thread_id}/typing$")
    latest = replies[-1]
    assert latest.embeds and latest.embeds[0]["title"].startswith(("Question 2", "Follow-up"))

    harness.interact(button(custom_id(latest, "end"), latest.response, channel_id=int(thread_id)))
    recap = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if titled("Your interview recap")(c)],
        what="recap",
    )
    end_click = fake.find("POST", CALLBACK)[-1]
    assert end_click.json["type"] == 5 and not end_click.json.get("data", {}).get("flags")
    recap_call = recap[-1]
    assert recap_call.embeds[0]["image"]["url"] == "attachment://competencies.png"
    assert recap_call.files and recap_call.files[0][0] == "competencies.png"
    assert recap_call.files[0][1].startswith(b"\x89PNG")
    assert "Interview ended after 1 of 5" in recap_call.content
    all_ids = [i for c in recap for i in c.custom_ids] + [
        i for c in fake.find("POST", r"/webhooks/\d+/[^/]+$") for i in c.custom_ids
    ]
    assert any(i.startswith("ib:retake:") for i in all_ids)

    assert harness.store is not None
    sessions = await harness.store.sessions_for_user(f"discord:{CANDIDATE_ID}")
    assert sessions[0].state == "finished" and sessions[0].turns[0].answer == ANSWER
    assert sessions[0].conversation_key == f"discord:910000000000000001:{thread_id}"


async def test_summary_buttons_replan_and_cancel_archives_the_thread(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness)
    assert "Change length (standard)" in str(summary.json["components"])

    harness.interact(button(custom_id(summary, "length"), summary.response))
    replanned = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.embeds][1:], what="re-planned"
    )
    fields = {f["name"]: f["value"] for f in replanned[-1].embeds[0]["fields"]}
    assert fields["Planned questions"] == "12"
    assert "Change length (long)" in str(replanned[-1].json["components"])

    harness.interact(button(custom_id(summary, "cancel"), summary.response))
    cancelled = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.content.startswith("Cancelled")],
        what="cancelled",
    )
    assert cancelled[-1].json["embeds"] == [] and cancelled[-1].json["components"] == []
    archived = await fake.wait_for(
        lambda: [
            c for c in fake.find("PATCH", rf"/channels/{thread_id}$") if c.json.get("archived")
        ],
        what="thread archived",
    )
    assert archived
    assert harness.store is not None
    assert await harness.store.active_session(f"discord:{CANDIDATE_ID}", "x") is None


async def test_dm_interview_needs_no_guild(harness: Harness, fake: FakeDiscord) -> None:
    harness.interact(slash("start", {"text": JD_TEXT, "voice": True}, dm=True))
    summary = (
        await fake.wait_for(
            lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.embeds], what="summary"
        )
    )[-1]
    deferred = fake.find("POST", CALLBACK)[0]
    assert deferred.json["type"] == 5 and not deferred.json.get("data", {}).get("flags")
    assert "run `/interview voice`" in summary.content
    assert not fake.find("POST", r"/threads$")
    question = await begin(harness, summary, str(DM_CHANNEL_ID), dm=True)
    assert "Type your answer here" in question.embeds[0]["footer"]["text"]
    harness.say(chat_message(DM_CHANNEL_ID, ANSWER, dm=True))
    await harness.posted(DM_CHANNEL_ID, count=2)


@pytest.mark.parametrize(
    ("filename", "data", "size", "expected", "downloaded"),
    [
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, None, ".txt, .md, .pdf or .docx", False),
        ("huge.txt", b"word " * 20, 5 * 1024 * 1024, "the limit is 2.0 MB", False),
        ("fake.txt", bytes(range(256)) * 4, None, "binary", True),
    ],
)
async def test_bad_attachments_are_refused_with_a_reason(
    harness: Harness,
    fake: FakeDiscord,
    filename: str,
    data: bytes,
    size: int | None,
    expected: str,
    downloaded: bool,
) -> None:
    attachment = fake.serve_attachment(filename, data)
    if size is not None:
        attachment["size"] = size  # what Discord reports; the bot must not download it
    harness.interact(slash("start", {"jd": attachment}))
    refusal = (await fake.wait_call("PATCH", ORIGINAL))[-1]
    assert expected in refusal.content and refusal.content.startswith("⚠️")
    assert bool(fake.find("GET", r"/attachments/")) is downloaded
    assert not refusal.custom_ids
    if downloaded:  # the engine refused it after a thread was opened: the thread is archived
        thread_id = fake.find("POST", r"/threads$")[0].response["id"]
        await fake.wait_for(
            lambda: [
                c for c in fake.find("PATCH", rf"/channels/{thread_id}$") if c.json.get("archived")
            ],
            what="archived",
        )
    else:
        assert not fake.find("POST", r"/threads$")


async def test_modal_paste_when_no_jd_is_given(harness: Harness, fake: FakeDiscord) -> None:
    harness.interact(slash("start", {"length": "short"}))
    opened = (await fake.wait_call("POST", CALLBACK))[0]
    assert opened.json["type"] == 9  # MODAL
    modal_id, inputs = modal_from(opened)
    text_input = opened.json["data"]["components"][0]["component"]
    assert text_input["max_length"] == 4000 and text_input["style"] == 2
    assert opened.json["data"]["components"][1]["component"]["type"] == 19  # file upload
    harness.interact(modal_submit(modal_id, {inputs[0]: JD_TEXT}))
    summary = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.embeds], what="summary"
    )
    fields = {f["name"]: f["value"] for f in summary[-1].embeds[0]["fields"]}
    assert fields["Planned questions"] == "5"  # the command's options carried into the modal
    assert fake.find("POST", r"/threads$")


async def test_a_stranger_in_the_thread_is_refused_once_and_cannot_press_buttons(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness)
    question = await begin(harness, summary, thread_id)

    harness.say(chat_message(int(thread_id), "I think the answer is caching", user_id=STRANGER_ID))
    refusal = (await harness.posted(thread_id, lambda c: "only they can answer" in c.content))[0]
    assert refusal.json["message_reference"]
    assert refusal.json["allowed_mentions"]["parse"] == []
    harness.say(chat_message(int(thread_id), "hello?", user_id=STRANGER_ID))

    harness.interact(
        button(custom_id(question, "hint"), question.response, user_id=STRANGER_ID, name="Stranger")
    )
    denied = await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if "belong to" in c.content],
        what="button refusal",
    )
    assert denied[0].json["type"] == 4 and denied[0].json["data"]["flags"] == 64

    harness.say(chat_message(int(thread_id), ANSWER))  # the candidate still answers normally
    await harness.posted(thread_id, lambda c: bool(c.embeds), count=2)
    assert len(fake.find("POST", rf"/channels/{thread_id}/messages$")) == 3  # q1, refusal, q2
    assert harness.store is not None
    record = (await harness.store.sessions_for_user(f"discord:{CANDIDATE_ID}"))[0]
    assert [t.answer for t in record.turns] == [ANSWER]
    assert not await harness.store.sessions_for_user(f"discord:{STRANGER_ID}")


async def test_restart_mid_interview_reattaches_and_resumes(
    fake: FakeDiscord, tmp_path: Path, backend_profile: JobProfile, bank: QuestionBank
) -> None:
    db = tmp_path / "restart.sqlite3"
    first = Harness(fake, db, backend_profile, bank)
    await first.start()
    try:
        thread_id, summary = await start_interview(first)
        await begin(first, summary, thread_id)
        first.say(chat_message(int(thread_id), ANSWER))
        await first.posted(thread_id, count=2)
    finally:
        await first.stop()
    before = len(fake.find("POST", rf"/channels/{thread_id}/messages$"))

    second = Harness(fake, db, backend_profile, bank)
    bot = await second.start()
    try:
        bot.dispatch("ready")
        posted = await second.posted(thread_id, count=before + 1)
        back = posted[-1]
        assert back.content.startswith(f"<@{CANDIDATE_ID}> I'm back online")
        assert back.json["allowed_mentions"]["users"] == [CANDIDATE_ID]
        assert "Picking up where we left off" in back.embeds[0]["description"]
        assert any(i.startswith("ib:hint:") for i in back.custom_ids)

        second.say(chat_message(int(thread_id), ANSWER))
        await second.posted(thread_id, count=before + 2)

        # /interview resume from the channel: acts on the thread and says where.
        second.interact(slash("resume"))
        done = await fake.wait_for(
            lambda: [c for c in fake.find("PATCH", ORIGINAL) if "Done — see" in c.content],
            what="resume ack",
        )
        assert f"<#{thread_id}>" in done[-1].content
        await second.posted(thread_id, count=before + 3)
        assert second.store is not None
        record = (await second.store.sessions_for_user(f"discord:{CANDIDATE_ID}"))[0]
        assert len([t for t in record.turns if t.answer]) == 2
    finally:
        await second.stop()


async def test_a_429_is_retried_by_discord_py_without_duplicate_messages(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness)
    fake.fail_next("POST", rf"/channels/{thread_id}/messages$", retry_after=0.05)
    await begin(harness, summary, thread_id)
    attempts = fake.find("POST", rf"/channels/{thread_id}/messages$", everything=True)
    assert [c.status for c in attempts] == [429, 200]
    assert len(fake.find("POST", rf"/channels/{thread_id}/messages$")) == 1


async def test_without_message_content_answers_go_through_the_slash_command(
    fake: FakeDiscord, tmp_path: Path, backend_profile: JobProfile, bank: QuestionBank
) -> None:
    h = Harness(fake, tmp_path / "nc.sqlite3", backend_profile, bank, message_content=False)
    await h.start()
    try:
        thread_id, summary = await start_interview(h)
        question = await begin(h, summary, thread_id)
        assert "/interview answer" in question.embeds[0]["footer"]["text"]
        h.say(chat_message(int(thread_id), ""))  # what Discord delivers without the intent
        await h.posted(thread_id, lambda c: "Message Content intent" in c.content)

        h.interact(slash("answer", {"text": ANSWER}, channel_id=int(thread_id)))
        answered = await fake.wait_for(
            lambda: [
                c
                for c in fake.find("PATCH", ORIGINAL)
                if titled("Question 2")(c) or titled("Follow-up")(c)
            ],
            what="next question via /interview answer",
        )
        assert answered[-1].custom_ids[0].startswith("ib:hint:")

        h.interact(slash("status", channel_id=int(thread_id)))
        status = await fake.wait_for(
            lambda: [c for c in fake.find("PATCH", ORIGINAL) if "answered" in c.content],
            what="status",
        )
        assert "Senior Backend Engineer" in status[-1].content
        assert fake.find("POST", CALLBACK)[-1].json["data"]["flags"] == 64
    finally:
        await h.stop()


async def test_code_answers_are_acknowledged_honestly(harness: Harness, fake: FakeDiscord) -> None:
    thread_id, summary = await start_interview(harness)
    await begin(harness, summary, thread_id)
    code = ANSWER + "\n```python\ndef handler(event):\n    return batch(event)\n```"
    harness.say(chat_message(int(thread_id), code))
    reply = (await harness.posted(thread_id, count=2))[-1]
    assert "running and judging code arrives with the code sandbox" in reply.content


async def test_history_and_forget(harness: Harness, fake: FakeDiscord) -> None:
    thread_id, summary = await start_interview(harness)
    await begin(harness, summary, thread_id)
    harness.say(chat_message(int(thread_id), ANSWER))
    await harness.posted(thread_id, count=2)
    harness.interact(slash("end"))
    await harness.posted(thread_id, titled("Your interview recap"))

    harness.interact(slash("history"))
    history = await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if titled("Your interviews")(c)],
        what="history",
    )
    assert history[0].json["data"]["flags"] == 64

    harness.interact(slash("forget"))
    prompt = await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if "cannot be undone" in c.content],
        what="forget prompt",
    )
    confirm = prompt[0].custom_ids[0]
    message = prompt[0].response["resource"]["message"]
    harness.interact(button(confirm, message))
    await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if "deleted 1 interview" in c.content],
        what="forgotten",
    )
    assert harness.store is not None
    assert await harness.store.sessions_for_user(f"discord:{CANDIDATE_ID}") == []


async def test_retake_from_the_recap_starts_a_fresh_briefing_in_the_same_thread(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness, length="short")
    await begin(harness, summary, thread_id)
    harness.say(chat_message(int(thread_id), ANSWER))
    await harness.posted(thread_id, count=2)
    harness.interact(slash("end", channel_id=int(thread_id)))
    recap = await fake.wait_for(
        lambda: [c for c in fake.calls if titled("Your interview recap")(c) and c.custom_ids],
        what="recap with buttons",
    )
    retake = custom_id(recap[-1], "retake")
    harness.interact(button(retake, recap[-1].response, channel_id=int(thread_id)))
    fresh = await fake.wait_for(
        lambda: [
            c
            for c in fake.find("PATCH", ORIGINAL)
            if titled("Senior Backend Engineer")(c) and f":{thread_id}" in str(c.custom_ids)
        ][1:],
        what="a new summary",
    )
    assert fresh[-1].custom_ids[0].startswith("ib:begin:")
    assert harness.store is not None
    active = await harness.store.active_session(
        f"discord:{CANDIDATE_ID}", f"discord:910000000000000001:{thread_id}"
    )
    assert active is not None and active.state == "briefing"
    assert active.plan.options.length == "short"  # the original options carry over


async def test_failures_reach_the_user_as_a_short_private_message_with_a_reference(
    harness: Harness, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    thread_id, _ = await start_interview(harness)
    assert harness.bot is not None

    async def broken(event: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(harness.bot.engine, "handle", broken)
    harness.interact(slash("status", channel_id=int(thread_id)))
    told = await fake.wait_for(
        lambda: [c for c in fake.calls if "something went wrong" in c.content], what="error"
    )
    reference = told[-1].content.split("ref `")[1].split("`")[0]
    assert told[-1].json["flags"] & 64  # ephemeral follow-up
    assert "database on fire" not in told[-1].content
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_double_submit_starts_one_interview(harness: Harness, fake: FakeDiscord) -> None:
    """Two quick submits (a double click on the modal, or the command sent twice) used to open
    two threads and two sessions; now the second waits for the first and points at its room."""
    for _ in range(2):
        attachment = fake.serve_attachment("job.txt", JD_TEXT.encode())
        harness.interact(slash("start", {"jd": attachment}))
    told = await fake.wait_for(
        lambda: [c for c in fake.find("PATCH", ORIGINAL) if "already being set up" in c.content],
        what="the second submit's answer",
    )
    await fake.wait_for(lambda: [c for c in fake.find("PATCH", ORIGINAL) if c.embeds])
    assert len(fake.find("POST", r"/channels/\d+/threads$")) == 1
    thread_id = fake.find("POST", r"/channels/\d+/threads$")[0].response["id"]
    assert f"<#{thread_id}>" in told[-1].content
    assert harness.store is not None
    assert len(await harness.store.sessions_for_user(f"discord:{CANDIDATE_ID}")) == 1
