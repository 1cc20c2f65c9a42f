"""The Slack adapter in HTTP mode: signed requests into bolt's aiohttp app, the real
``AsyncWebClient`` out to a loopback fake Slack. Everything binds 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import SlackInterview, plain_text, split_options
from adapters.slack.config import SlackConfig
from adapters.slack.render import MAX_BLOCKS, SECTION_TEXT_LIMIT
from bot.engine import InterviewEngine
from bot.intake import IntakeError
from tests.conftest import JD_TEXT
from tests.fake_slack import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER,
    FakeSlack,
    action_payload,
    buttons,
    message_event,
    slash_payload,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANSWER = (
    "At my last company our Python payments service kept timing out under load. I was the "
    "owner, so I profiled it, found an N+1 query against PostgreSQL, batched it and added a Kafka "
    "consumer for the slow path. Latency dropped from 900 ms to 120 ms and errors fell by 80%."
)


class Harness:
    def __init__(self, fake: FakeSlack, interview: SlackInterview, http: aiohttp.ClientSession):
        self.fake = fake
        self.interview = interview
        self.http = http
        self.url = ""

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or signed,
            **(headers or {}),
        }
        async with self.http.post(self.url, data=body.encode(), headers=all_headers) as response:
            return response.status, await response.text()

    async def command(self, text: str, **kwargs: str) -> tuple[int, str]:
        payload = slash_payload(text, response_url=self.fake.response_url(), **kwargs)
        return await self.post(urlencode(payload), "application/x-www-form-urlencoded")

    async def event(self, payload: dict[str, Any], *, retry: int | None = None) -> tuple[int, str]:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            json.dumps(payload), "application/json", headers=headers if retry else None
        )

    async def interactive(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(self, action_id: str, value: str, **kwargs: Any) -> tuple[int, str]:
        kwargs.setdefault("response_url", self.fake.response_url())
        return await self.interactive(action_payload(action_id, value, **kwargs))

    async def quiet(self, seconds: float = 0.3) -> None:
        """Give an (expected to be ignored) request time to do something, bounded."""
        await asyncio.sleep(seconds)


async def _drain() -> None:
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=1.0)


@pytest.fixture
async def harness(engine: InterviewEngine) -> AsyncIterator[Harness]:
    fake = await FakeSlack().start()
    config = SlackConfig.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    interview = SlackInterview(engine, config)
    server = TestServer(interview.app.web_app(), host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    h = Harness(fake, interview, http)
    h.url = str(server.make_url("/slack/events"))
    try:
        yield h
    finally:
        await http.close()
        await _drain()
        await server.close()
        await fake.stop()


def _posts_in(fake: FakeSlack, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    return [
        c.params
        for c in fake.called("chat.postMessage")
        if c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts
    ]


def _check_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= SECTION_TEXT_LIMIT
        for item in block.get("fields", []):
            assert len(item["text"]) <= 2000
        for item in block.get("elements", []):
            assert (
                len(
                    item.get("text", {}).get("text", "")
                    if isinstance(item.get("text"), dict)
                    else item.get("text", "")
                )
                <= SECTION_TEXT_LIMIT
            )


async def _start(
    h: Harness, text: str = f"start length=short {JD_TEXT}"
) -> tuple[str, dict[str, Any]]:
    """/interview start with pasted text -> (thread ts, summary chat.update params)."""
    status, body = await h.command(text)
    assert status == 200 and "Reading the job description" in body
    update = (await h.fake.wait_calls("chat.update", 1))[0].params
    parent = h.fake.called("chat.postMessage")[0].params
    assert parent["channel"] == "C1" and "thread_ts" not in parent
    return str(update["ts"]), update


# ---------------------------------------------------------------------- the whole interview
async def test_interview_in_a_thread_from_slash_command_to_recap(
    harness: Harness, engine: InterviewEngine
) -> None:
    h, fake = harness, harness.fake
    ts, summary = await _start(h)
    assert summary["blocks"][0]["type"] == "header"
    assert "Interview plan: Senior Backend Engineer" in summary["blocks"][0]["text"]["text"]
    summary_buttons = buttons(summary["blocks"])
    assert {"iv:begin", "iv:coding", "iv:length", "iv:cancel"} <= set(summary_buttons)
    value = summary_buttons["iv:begin"]
    assert value == f"U1|C1|{ts}"
    await fake.wait_for(
        lambda: any("Your interview is in" in r.get("text", "") for r in fake.responses),
        what="ephemeral pointer to the thread",
    )
    # The candidate is told, privately, that a channel thread is visible to the channel.
    assert any("visible to everyone in the channel" in r.get("text", "") for r in fake.responses)

    # Start: the summary loses its buttons, the first question arrives in the thread.
    assert (await h.click("iv:begin", value, message_ts=ts, blocks=summary["blocks"]))[0] == 200
    first = (await fake.wait_for(lambda: _posts_in(fake, "C1", ts), what="first question"))[0]
    assert {"iv:hint", "iv:repeat", "iv:skip", "iv:end"} == set(buttons(first["blocks"]))
    closed = fake.called("chat.update")[-1].params
    assert closed["ts"] == ts and not buttons(closed["blocks"])

    # The candidate answers in the thread.
    key, conversation_key = "slack:U1", f"slack:C1:{ts}"
    answer = message_event(ANSWER, thread_ts=ts, event_id="EvAnswer1")
    assert (await h.event(answer))[0] == 200
    await fake.wait_for(lambda: len(_posts_in(fake, "C1", ts)) >= 2, what="next question")
    record = await engine.store.active_session(key, conversation_key)
    assert record is not None and len(record.turns) == 1
    posts = len(_posts_in(fake, "C1", ts))

    # Ignored: Slack's retry of that event, another user, the bot itself, top-level chatter.
    assert (await h.event(answer, retry=1))[0] == 200
    await h.event(message_event("I'd answer this differently", user="U2", thread_ts=ts))
    await h.event(message_event("bot echo", user=BOT_USER, bot_id=BOT_ID, thread_ts=ts))
    await h.event(message_event("lunch?", user="U1"))
    await h.quiet()
    record = await engine.store.active_session(key, conversation_key)
    assert record is not None and len(record.turns) == 1
    assert len(_posts_in(fake, "C1", ts)) == posts

    # Hint, then End: the recap as Block Kit and the chart in the thread.
    await h.click("iv:hint", value, message_ts="x")
    await fake.wait_for(lambda: len(_posts_in(fake, "C1", ts)) > posts, what="hint")
    await h.click("iv:end", value, message_ts="x")
    await fake.wait_calls("files.completeUploadExternal", 1)
    recap = next(p for p in _posts_in(fake, "C1", ts) if p["blocks"][0].get("type") == "header")
    blocks = recap["blocks"]
    _check_limits(blocks)
    assert blocks[0]["text"]["text"].startswith("Interview recap · overall")
    competencies = [b for b in blocks if b["type"] == "section" and "fields" in b]
    assert competencies and all(len(b["fields"]) == 2 for b in competencies)
    assert any("/5" in b["fields"][0]["text"] for b in competencies)
    assert any(b["type"] == "context" for b in blocks)
    assert "iv:retake" in buttons(blocks)

    got_url = fake.called("files.getUploadURLExternal")[0].params
    assert got_url["filename"] == "competencies.png" and int(got_url["length"]) > 0
    assert next(iter(fake.uploads.values())).startswith(b"\x89PNG")
    complete = fake.called("files.completeUploadExternal")[0].params
    assert complete["channel_id"] == "C1" and complete["thread_ts"] == ts
    # The Home tab is refreshed after the recap is posted: wait for it rather than race it.
    published = await fake.wait_calls("views.publish", 1)
    assert published[-1].params["user_id"] == "U1"
    assert not fake.called("conversations.replies") and not fake.called("conversations.history")

    # Retake: a fresh plan for the same job, in the same thread, from the stored profile.
    posts = len(_posts_in(fake, "C1", ts))
    await h.click("iv:retake", value, message_ts="x")
    retake = await fake.wait_for(
        lambda: [
            p
            for p in _posts_in(fake, "C1", ts)[posts:]
            if "Interview plan" in json.dumps(p["blocks"][:1])
        ],
        what="retake summary",
    )
    assert "iv:begin" in buttons(retake[0]["blocks"])


async def test_summary_buttons_replan_in_place_and_strangers_are_refused(
    harness: Harness, engine: InterviewEngine
) -> None:
    h, fake = harness, harness.fake
    ts, summary = await _start(h)
    value = buttons(summary["blocks"])["iv:length"]
    await h.click("iv:length", value, message_ts=ts)
    update = (await fake.wait_calls("chat.update", 2))[-1].params
    assert update["ts"] == ts
    assert buttons(update["blocks"])["iv:length"] == value
    labels = [
        e["text"]["text"] for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert "Change length (standard)" in labels  # short -> standard

    await h.click("iv:coding", value, message_ts=ts)
    await fake.wait_calls("chat.update", 3)
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None
    assert record.plan.options.coding in ("yes", "no")

    await h.click("iv:begin", value, user="U2", message_ts=ts)
    await fake.wait_for(
        lambda: any("belong to <@U1>" in r.get("text", "") for r in fake.responses),
        what="stranger refusal",
    )
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and record.state == "briefing"

    # /interview length also re-plans the same summary message.
    await h.command("length long")
    update = (await fake.wait_calls("chat.update", 4))[-1].params
    assert update["ts"] == ts
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and record.plan.options.length == "long"


# ---------------------------------------------------------------------- job description in
async def test_modal_with_a_file_downloads_it_with_the_bot_token(harness: Harness) -> None:
    h, fake = harness, harness.fake
    status, body = await h.command("start")
    assert status == 200 and body == ""
    opened = (await fake.wait_calls("views.open", 1))[0].params
    assert opened["trigger_id"] == "trigger-1"
    elements = {b["block_id"]: b["element"] for b in opened["view"]["blocks"]}
    assert elements["jd_text"]["type"] == "plain_text_input"
    assert elements["jd_text"]["max_length"] <= 3000
    assert elements["jd_file"]["type"] == "file_input"

    def submission(values: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": "T1", "domain": "fake"},
            "user": {"id": "U1", "username": "name-U1", "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "trigger-3",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "iv_start",
                "private_metadata": "C1",
                "state": {"values": values},
            },
        }

    status, body = await h.interactive(submission({}))
    assert status == 200 and json.loads(body)["response_action"] == "errors"

    file_id = fake.add_file("job.md", JD_TEXT.encode(), "text/markdown")
    values = {
        "jd_text": {"value": {"type": "plain_text_input", "value": None}},
        "jd_file": {"value": {"type": "file_input", "files": [{"id": file_id}]}},
        "length": {"value": {"type": "static_select", "selected_option": {"value": "short"}}},
        "coding": {"value": {"type": "static_select", "selected_option": {"value": "no"}}},
    }
    status, _ = await h.interactive(submission(values))
    assert status == 200
    update = (await fake.wait_calls("chat.update", 1))[0].params
    assert "Interview plan" in update["blocks"][0]["text"]["text"]
    assert fake.called("files.info")[0].params["file"] == file_id
    assert fake.downloads and fake.downloads[0]["Authorization"] == f"Bearer {BOT_TOKEN}"


async def test_file_shared_in_the_dm_starts_an_interview_there(harness: Harness) -> None:
    h, fake = harness, harness.fake
    file_id = fake.add_file("posting.txt", JD_TEXT.encode())
    event = message_event(
        "",
        channel="D1",
        channel_type="im",
        subtype="file_share",
        files=[{"id": file_id, "name": "posting.txt"}],
    )
    assert (await h.event(event))[0] == 200
    summary = (await fake.wait_calls("chat.postMessage", 1))[0].params
    assert summary["channel"] == "D1" and "thread_ts" not in summary
    assert "iv:begin" in buttons(summary["blocks"])
    assert fake.downloads[0]["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert buttons(summary["blocks"])["iv:begin"] == "U1|D1|"


async def test_downloads_refuse_sign_in_pages_and_foreign_hosts(
    harness: Harness, engine: InterviewEngine
) -> None:
    fake = harness.fake
    file_id = fake.add_file("job.txt", JD_TEXT.encode())
    wrong = SlackInterview(
        engine,
        SlackConfig(bot_token="xoxb-wrong", api_url=fake.api_url),
        client=harness.interview.client,
    )
    with pytest.raises(IntakeError, match="sign-in page"):
        await wrong.download(file_id)

    def foreign(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "file": {
                "name": "job.txt",
                "size": 10,
                "url_private_download": "http://evil.invalid/x",
            },
        }

    fake._m_files_info = foreign  # type: ignore[method-assign]
    downloads = len(fake.downloads)
    with pytest.raises(IntakeError, match="couldn't download"):
        await harness.interview.download(file_id)
    assert len(fake.downloads) == downloads


async def test_channel_the_bot_cannot_post_in_falls_back_to_the_dm(harness: Harness) -> None:
    h, fake = harness, harness.fake
    fake.closed_channels.add("C9")
    await h.command(f"start {JD_TEXT}", channel="C9")
    opened = (await fake.wait_calls("conversations.open", 1))[0].params
    assert opened["users"] == "U1"
    summary = await fake.wait_for(
        lambda: [c.params for c in fake.called("chat.postMessage") if c.params["channel"] == "DU1"],
        what="summary in the DM",
    )
    assert "iv:begin" in buttons(summary[0]["blocks"])


async def test_bad_input_is_told_privately_and_leaves_no_message(harness: Harness) -> None:
    h, fake = harness, harness.fake
    await h.command("start hi")
    await fake.wait_for(lambda: fake.responses, what="error response")
    assert fake.called("chat.delete"), "the placeholder is removed"
    assert not fake.called("chat.update")


# ---------------------------------------------------------------------- other subcommands
async def test_status_history_forget(harness: Harness, engine: InterviewEngine) -> None:
    h, fake = harness, harness.fake
    await h.command("status")
    await fake.wait_for(lambda: fake.responses, what="status")
    assert "no interview running" in fake.responses[-1]["text"].lower()

    await _start(h)
    await h.command("status")
    await fake.wait_for(lambda: len(fake.responses) >= 3, what="status 2")
    assert "Senior Backend Engineer" in fake.responses[-1]["text"]

    await h.command("history")
    await fake.wait_for(lambda: len(fake.responses) >= 4, what="history")
    history = fake.responses[-1]
    assert history["blocks"][0]["type"] == "header"
    assert "Senior Backend Engineer" in json.dumps(history["blocks"])

    await h.command("forget")
    await fake.wait_for(lambda: len(fake.responses) >= 5, what="forget prompt")
    forget = buttons(fake.responses[-1]["blocks"])
    assert "iv:forget" in forget
    await h.click("iv:forget", forget["iv:forget"])
    await fake.wait_for(
        lambda: any("deleted 1 interview" in r.get("text", "") for r in fake.responses),
        what="forget done",
    )
    assert await engine.store.sessions_for_user("slack:U1") == []

    await h.command("what")
    await fake.wait_for(
        lambda: "/interview start" in fake.responses[-1].get("text", ""), what="usage"
    )


async def test_app_home_lists_past_sessions(harness: Harness) -> None:
    h, fake = harness, harness.fake
    await _start(h)
    home = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    from tests.fake_slack import event_callback

    await h.event(event_callback(home))
    view = (await fake.wait_calls("views.publish", 1))[0].params
    assert view["user_id"] == "U1" and view["view"]["type"] == "home"
    assert "Senior Backend Engineer" in json.dumps(view["view"]["blocks"])


# ---------------------------------------------------------------------- request verification
async def test_bad_signature_and_stale_timestamp_are_rejected(harness: Harness) -> None:
    h, fake = harness, harness.fake
    body = urlencode(slash_payload(f"start {JD_TEXT}", response_url=fake.response_url()))
    form = "application/x-www-form-urlencoded"
    status, _ = await h.post(body, form, signature="v0=" + "0" * 64)
    assert status == 401
    status, _ = await h.post(body, form, timestamp=int(time.time()) - 600)
    assert status == 401
    await h.quiet(0.1)
    assert fake.calls == [] and fake.responses == []


# ---------------------------------------------------------------------- pure helpers
def test_message_text_and_options_parsing() -> None:
    assert plain_text("I used &lt;b&gt; &amp; <https://x.io|docs> with <@U2>") == (
        "I used <b> & docs with "
    )
    assert split_options("length=short coding=yes focus=SQL,Kafka Senior dev\nmore") == (
        {"length": "short", "coding": "yes", "focus": "SQL,Kafka"},
        "Senior dev\nmore",
    )
