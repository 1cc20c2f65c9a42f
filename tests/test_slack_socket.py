"""Socket Mode: bolt's ``AsyncSocketModeHandler`` (slack_sdk's aiohttp client) against a loopback
websocket speaking the envelope protocol: ``apps.connections.open`` -> hello -> envelopes ->
acknowledgements carrying the ``envelope_id``."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.slack.app import SlackInterview, serve_socket_mode
from adapters.slack.config import SlackConfig
from bot.engine import InterviewEngine
from tests.conftest import JD_TEXT
from tests.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlack,
    action_payload,
    buttons,
    message_event,
    slash_payload,
)

ANSWER = (
    "I led the migration of our Python billing jobs to Kafka consumers: I measured lag, split "
    "the topics by customer and cut end-to-end latency from minutes to two seconds."
)


async def test_socket_mode_envelopes_are_acknowledged_and_handled(
    engine: InterviewEngine,
) -> None:
    fake = await FakeSlack().start()
    config = SlackConfig.from_env(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": fake.api_url}
    )
    assert config.socket_mode
    interview = SlackInterview(engine, config)
    task = asyncio.create_task(serve_socket_mode(interview))
    try:
        await fake.wait_socket()
        opened = fake.called("apps.connections.open")[0]
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"

        envelope = await fake.send_envelope(
            "slash_commands",
            slash_payload(f"start length=short {JD_TEXT}", response_url=fake.response_url()),
            accepts_response_payload=True,
        )
        ack = await fake.wait_ack(envelope)
        assert ack["payload"]["text"].startswith("Reading the job description")
        summary = (await fake.wait_calls("chat.update", 1))[0].params
        ts = summary["ts"]
        value = buttons(summary["blocks"])["iv:begin"]

        envelope = await fake.send_envelope(
            "interactive", action_payload("iv:begin", value, message_ts=ts)
        )
        await fake.wait_ack(envelope)
        await fake.wait_for(
            lambda: [c for c in fake.called("chat.postMessage") if c.params.get("thread_ts") == ts],
            what="first question in the thread",
        )

        answer = message_event(ANSWER, thread_ts=ts, event_id="EvSocket1")
        await fake.wait_ack(await fake.send_envelope("events_api", answer))
        await fake.wait_for(
            lambda: (
                len([c for c in fake.called("chat.postMessage") if c.params.get("thread_ts") == ts])
                >= 2
            ),
            what="next question",
        )
        # A redelivery (retry_attempt, mirrored by bolt as X-Slack-Retry-Num) is acknowledged
        # and not processed again.
        await fake.wait_ack(await fake.send_envelope("events_api", answer, retry_attempt=1))
        await asyncio.sleep(0.3)
        record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
        assert record is not None and len(record.turns) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await fake.stop()
