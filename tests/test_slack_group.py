"""The Slack adapter's share of issues 10 and 11, through bolt's real HTTP code path and the real
``AsyncWebClient`` against the loopback fake Slack: ``show`` with access checks, ``focus:weakest``,
share links, audio-clip answers, group practice (observers, peer mode, queue, schedule,
reminders) and workspace admin settings."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer

from adapters.slack.app import USAGE, SlackInterview
from adapters.slack.config import SlackConfig
from bot.domain import Evaluation, InterviewPlan, JobProfile, Turn
from bot.engine import InterviewEngine
from bot.planning.bank import QuestionBank
from bot.ports import Participant, SessionRecord, StoredAudio
from bot.progress import weakest_focus
from bot.settings import Settings
from bot.speech.config import SpeechConfig
from bot.speech.stt import WhisperSTT
from tests.conftest import JD_TEXT, ROOT
from tests.fake_slack import BOT_TOKEN, FakeSlack, buttons, message_event
from tests.test_slack_http import ANSWER, SECRET, Harness, _drain, _posts_in, _start
from tests.test_speech_support import espeak_wav, hits, needs_audio, needs_stt

SHARE_SECRET = "s" * 32


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        share_secret=SHARE_SECRET,
        public_url="https://interviews.example.org",
        **values,
    )


@contextlib.asynccontextmanager
async def harness_for(
    engine: InterviewEngine,
    tmp_path: Path,
    *,
    stt: WhisperSTT | None = None,
    settings: Settings | None = None,
    fake: FakeSlack | None = None,
) -> AsyncIterator[Harness]:
    """The bolt HTTP app of a ``SlackInterview`` on loopback, against a (new or given) fake."""
    fake = fake or await FakeSlack().start()
    config = SlackConfig.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        }
    )
    interview = SlackInterview(engine, config, settings=settings or settings_for(tmp_path), stt=stt)
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
        await interview.aclose()
        await server.close()
        await fake.stop()


@pytest.fixture
async def group(engine: InterviewEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness_for(engine, tmp_path) as h:
        yield h


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 10.0, what: str = "condition"
) -> Any:
    """Await ``probe`` until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _response(h: Harness, needle: str, *, what: str = "") -> dict[str, Any]:
    """The latest response_url message whose text contains ``needle``."""
    found = await h.fake.wait_for(
        lambda: [r for r in h.fake.responses if needle in json.dumps(r)],
        what=what or repr(needle),
    )
    return dict(found[-1])


def finished_session(
    bank: QuestionBank, sid: str, user_key: str, scores: list[float]
) -> SessionRecord:
    """A finished Slack session of ``user_key`` with these scores on the bank's first questions."""
    questions = tuple(bank.questions[: len(scores)])
    turns = [
        Turn(
            seq=i,
            question_index=i,
            question_id=q.id,
            question_type=q.type,
            question_text=q.text,
            answer=f"my answer {i}",
            evaluation=Evaluation(score=score, feedback=f"feedback {i}"),
            created_at=1_700_000_000.0 + i,
        )
        for i, (q, score) in enumerate(zip(questions, scores, strict=True))
    ]
    return SessionRecord(
        id=sid,
        user_key=user_key,
        conversation_key="slack:C1:1699999999.000001",
        state="finished",
        profile=JobProfile(title="Data Engineer"),
        plan=InterviewPlan(questions=questions),
        created_at=1_700_000_000.0,
        updated_at=1_700_000_000.0,
        turns=turns,
    )


# ---------------------------------------------------------------------- show, focus, share
async def save(engine: InterviewEngine, record: SessionRecord) -> None:
    await engine.store.create_session(record)
    for turn in record.turns:
        await engine.store.save_progress(record, turn)


async def test_show_is_for_the_owner_and_refused_like_a_missing_id_for_others(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    h = group
    await save(engine, finished_session(bank, "past1", "slack:U1", [4.0, 2.0]))

    await h.command("show past1")
    shown = await _response(h, "Mock interview: Data Engineer", what="the session")
    assert shown["response_type"] == "ephemeral"
    text = json.dumps(shown["blocks"])
    assert "my answer 0" in text and "feedback 1" in text
    assert "**" not in text and "\\n# " not in text  # Markdown turned into Slack mrkdwn

    await h.command("show past1", user="U2")
    refused = await _response(h, "No such session: past1", what="refusal")
    await h.command("show nothere", user="U2")
    missing = await _response(h, "No such session: nothere", what="missing")
    assert refused["text"].replace("past1", "X") == missing["text"].replace("nothere", "X")
    assert "my answer" not in json.dumps(h.fake.responses[-2:])

    await h.command("show past1 markdown")
    upload = await h.fake.wait_calls("files.completeUploadExternal", 1)
    assert upload[0].params["channel_id"] == "DU1"
    assert any(b"# Mock interview: Data Engineer" in data for data in h.fake.uploads.values())


async def test_start_focus_weakest_plans_the_users_weakest_areas(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    h = group
    past = finished_session(bank, "past1", "slack:U1", [4.5, 1.5, 3.0])
    await save(engine, past)
    expected = weakest_focus(await engine.store.sessions_for_user("slack:U1"), bank)
    assert expected, "the fixture must give something to focus on"

    ts, summary = await _start(h, f"start length=short focus:weakest {JD_TEXT}")
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None
    assert record.plan.options.focus == expected
    assert "iv:begin" in buttons(summary["blocks"])


async def test_start_with_only_options_opens_the_form_and_keeps_them(group: Harness) -> None:
    h = group
    await h.command("start focus:weakest")
    opened = (await h.fake.wait_calls("views.open", 1))[0].params
    metadata = json.loads(opened["view"]["private_metadata"])
    assert metadata == {"channel": "C1", "options": {"focus": "weakest"}}


async def test_share_posts_the_link_ephemerally_and_unshare_revokes_it(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    from bot.share import ShareRefused, resolve_share

    h = group
    await save(engine, finished_session(bank, "past1", "slack:U1", [4.0, 2.0]))
    await h.command("share", user="U2")
    await _response(h, "no interview to share", what="nothing to share")
    await h.command("share past1", user="U2")
    await _response(h, "No such session: past1", what="stranger refused")

    await h.command("share")
    shared = await _response(h, "https://interviews.example.org/s/", what="the link")
    assert shared["response_type"] == "ephemeral"
    assert not h.fake.called("chat.postMessage"), "a link is never posted in the channel"
    url = shared["text"].split(": ", 1)[1]
    token = url.rsplit("/", 1)[1]
    settings = h.interview.settings
    assert settings is not None
    opened = await resolve_share(engine.store, settings, token, now=time.time())
    assert opened.id == "past1"

    await h.command("unshare past1")
    await _response(h, "Revoked 1 link(s)", what="revoked")
    with pytest.raises(ShareRefused):
        await resolve_share(engine.store, settings, token, now=time.time())


# ---------------------------------------------------------------------- spoken answers
SPOKEN = (
    "I moved our payments service to Kafka and tuned the PostgreSQL queries. "
    "Latency dropped by half."
)


FFMPEG_WEBM = ["ffmpeg", "-v", "error", "-f", "wav", "-i", "pipe:0", "-c:a", "libopus"]
FFMPEG_WEBM += ["-b:a", "32k", "-f", "webm", "pipe:1"]


def webm(text: str) -> bytes:
    """``text`` spoken by espeak-ng, encoded as Slack's own voice clips are (Opus in WebM)."""
    done = subprocess.run(
        FFMPEG_WEBM,
        input=espeak_wav(text),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def clip_event(fake: FakeSlack, name: str, data: bytes, mimetype: str, ts: str) -> dict[str, Any]:
    file_id = fake.add_file(name, data, mimetype)
    return message_event(
        "",
        thread_ts=ts,
        subtype="file_share",
        files=[{"id": file_id, "name": name, "mimetype": mimetype, "subtype": "slack_audio"}],
    )


async def _begin(h: Harness) -> str:
    ts, summary = await _start(h)
    await h.click("iv:begin", buttons(summary["blocks"])["iv:begin"], message_ts=ts)
    await h.fake.wait_for(lambda: _posts_in(h.fake, "C1", ts), what="first question")
    return ts


def _ephemeral(fake: FakeSlack, needle: str) -> list[dict[str, Any]]:
    return [c.params for c in fake.called("chat.postEphemeral") if needle in c.params["text"]]


@needs_stt
async def test_voice_clip_in_the_thread_is_transcribed_into_the_answer(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    posts = len(_posts_in(fake, "C1", ts))
    await h.event(clip_event(fake, "audio_message.webm", webm(SPOKEN), "audio/webm", ts))
    heard = await fake.wait_for(
        lambda: [p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")],
        within=60,
        what="the transcript echoed",
    )
    assert hits(heard[0]["text"], ["Kafka", "PostgreSQL", "payment", "queries"]) >= 3
    assert "wpm" in json.dumps(heard[0]["blocks"]), "delivery metrics are shown"
    await fake.wait_for(lambda: len(_posts_in(fake, "C1", ts)) >= posts + 2, what="next question")
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and len(record.turns) == 1
    assert hits(record.turns[0].answer, ["Kafka", "PostgreSQL", "payment"]) >= 2
    delivery = record.turns[0].delivery
    assert delivery is not None and delivery.words >= 10 and delivery.words_per_minute > 60
    assert await engine.store.audio_for_session(record.id) == [], "not kept without opt-in"

    # Opted in, the next clip is kept with its question.
    await h.command("audio on")
    await _response(h, "Audio opt-in is on")
    await h.event(clip_event(fake, "answer.webm", webm(SPOKEN), "audio/webm", ts))
    await fake.wait_for(
        lambda: len([p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")]) >= 2,
        within=60,
        what="the second transcript",
    )
    clips = await eventually(lambda: engine.store.audio_for_session(record.id), what="kept clip")
    assert len(clips) == 1 and clips[0].format == "webm"
    assert clips[0].data.startswith(b"\x1aE\xdf\xa3"), "the clip as uploaded (WebM/EBML)"

    # The recap says how the spoken answers sounded.
    await h.command("end")
    recap = await fake.wait_for(lambda: _in_thread(fake, ts, "Interview recap"), what="the recap")
    assert "spoken answers): " in json.dumps(recap[-1]["blocks"], ensure_ascii=False)


@needs_audio
async def test_broken_silent_and_non_audio_clips_get_a_message_and_record_nothing(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    await h.event(clip_event(fake, "voice.ogg", b"OggS" + b"\x00garbage" * 64, "audio/ogg", ts))
    await fake.wait_for(lambda: _ephemeral(fake, ":warning:"), within=30, what="broken audio")
    warning = _ephemeral(fake, ":warning:")[-1]
    assert warning["user"] == "U1" and "Nothing was recorded" in warning["text"]
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None and record.turns == []
    assert not [p for p in _posts_in(fake, "C1", ts) if p["text"].startswith("I heard")]


@needs_audio
async def test_without_a_usable_speech_model_the_candidate_is_asked_to_type(
    engine: InterviewEngine, tmp_path: Path
) -> None:
    missing = WhisperSTT(SpeechConfig(stt_model=str(tmp_path / "no-such-model")))
    async with harness_for(engine, tmp_path, stt=missing) as h:
        ts = await _begin(h)
        await h.event(clip_event(h.fake, "a.webm", webm("Hello there."), "audio/webm", ts))
        told = await h.fake.wait_for(
            lambda: _ephemeral(h.fake, "Please type your answer"), within=30, what="type instead"
        )
        assert "can't listen to recordings on this installation" in told[0]["text"]
        record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
        assert record is not None and record.turns == []


# ---------------------------------------------------------------------- group practice
def _in_thread(fake: FakeSlack, ts: str, needle: str) -> list[dict[str, Any]]:
    return [p for p in _posts_in(fake, "C1", ts) if needle in json.dumps(p)]


async def _answer_until(h: Harness, ts: str, needle: str, *, attempts: int = 3) -> None:
    """Answer in the thread until a post containing ``needle`` appears (the offline brain may ask
    a follow-up first); bounded."""
    for _ in range(attempts):
        posts = len(_posts_in(h.fake, "C1", ts))
        await h.event(message_event(ANSWER, thread_ts=ts))
        await h.fake.wait_for(lambda n=posts: len(_posts_in(h.fake, "C1", ts)) > n, what="a reply")
        try:
            await h.fake.wait_for(lambda: _in_thread(h.fake, ts, needle), within=1, what=needle)
            return
        except AssertionError:
            continue
    raise AssertionError(f"no {needle!r} after {attempts} answers")


async def test_observers_score_answers_and_strangers_are_refused(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    await h.command("invite <@U2|bob> observer")
    await _response(h, "<@U2> is in", what="invite confirmed")
    assert _in_thread(fake, ts, "invited <@U2>")
    await h.command("guests")
    await _response(h, "Observers: <@U2>", what="guest list")
    await h.command("invite <@U3|eve> observer", user="U2")
    await _response(h, "no interview running", what="a guest cannot invite")

    await _answer_until(h, ts, "ivg:score:")
    prompt = _in_thread(fake, ts, "ivg:score:")[0]
    score_buttons = buttons(prompt["blocks"])
    assert set(score_buttons) == {f"ivg:score:{n}" for n in range(1, 6)}
    value = score_buttons["ivg:score:4"]

    await h.click("ivg:score:4", value, user="U2")
    await _response(h, "You scored question 1: 4/5", what="observer's score")
    await h.click("ivg:score:1", value, user="U3")
    refusal = await _response(h, "Only the candidate and the people they invited")
    assert refusal["response_type"] == "ephemeral"
    # A forged value naming no session reads exactly the same: ids cannot be probed.
    before = len(fake.responses)
    await h.click("ivg:score:1", "doesnotexist0000|0", user="U3")
    forged = await fake.wait_for(lambda: fake.responses[before:], what="forged refusal")
    assert forged[0]["text"] == refusal["text"]
    record = await engine.store.active_session("slack:U1", f"slack:C1:{ts}")
    assert record is not None
    scores = await engine.store.peer_scores(record.id)
    assert [(s.scorer_key, s.score, s.role) for s in scores] == [("slack:U2", 4.0, "observer")]

    # The observer may read the session; a stranger gets the missing-id answer.
    await h.command(f"show {record.id}", user="U2")
    await _response(h, "Mock interview: Senior Backend Engineer", what="observer sees it")
    await h.command(f"show {record.id}", user="U3")
    await _response(h, f"No such session: {record.id}", what="stranger refused")

    # The recap is followed by the bot-vs-observers comparison.
    await h.command("end")
    comparison = await fake.wait_for(
        lambda: _in_thread(fake, ts, "Bot vs observers"), what="comparison"
    )
    assert "observers 4" in json.dumps(comparison[-1])


async def test_peer_interviewer_gets_the_notes_privately(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    ts = await _begin(h)
    await h.command("invite <@U3|ivy> interviewer")
    notes = await fake.wait_for(
        lambda: _ephemeral(fake, "Interviewer notes"), what="notes to the interviewer"
    )
    assert notes[0]["user"] == "U3" and notes[0]["thread_ts"] == ts
    assert "question 1 of" in notes[0]["text"] and "Rubric" in notes[0]["text"]
    await _answer_until(h, ts, "Question 2")
    await fake.wait_for(lambda: _ephemeral(fake, "question 2 of"), what="notes for question 2")
    everyone = [c.params for c in fake.called("chat.postEphemeral")]
    assert all(p["user"] == "U3" for p in everyone if "Interviewer notes" in p["text"])
    assert not [
        c for c in fake.called("chat.postMessage") if "Interviewer notes" in json.dumps(c.params)
    ], "notes never go to the thread the candidate reads"

    # Roles swap once the interview is over: a fresh plan for the interviewer, same thread.
    await h.command("swap", user="U3")
    await _response(h, "Finish (or end) this interview first", what="swap refused while open")
    await h.command("invite <@U2|bob> observer")
    await _response(h, "<@U2> is in", what="observer invited")
    await h.command("end")
    await fake.wait_for(lambda: _in_thread(fake, ts, "Interview recap"), what="recap")
    # The candidate only asks: becoming the candidate is the interviewer's decision.
    await h.command("swap")
    await _response(h, "Asked <@U3> to accept the swap", what="swap asked")
    ask = await fake.wait_for(lambda: _in_thread(fake, ts, "would like to swap roles"), what="ask")
    assert ask[-1]["text"].startswith("<@U3>")
    assert await engine.store.active_session("slack:U3", f"slack:C1:{ts}") is None
    accept = buttons(ask[-1]["blocks"])["ivg:swap"]
    for not_them, refusal in (
        ("U1", "Only the interviewer who was asked"),
        ("U2", "Only the interviewer who was asked"),
        ("U4", "Only the candidate and the people they invited can score or see"),
    ):
        before = len(fake.responses)
        await h.click("ivg:swap", accept, user=not_them)
        await fake.wait_for(
            lambda b=before, r=refusal: [x for x in fake.responses[b:] if r in json.dumps(x)],
            what=f"{not_them} refused",
        )
    assert await engine.store.active_session("slack:U3", f"slack:C1:{ts}") is None
    await h.click("ivg:swap", accept, user="U3")
    await _response(h, "Swapped", what="swapped")
    swapped = await fake.wait_for(
        lambda: [p for p in _in_thread(fake, ts, "iv:begin") if "U3|C1|" in json.dumps(p)],
        what="the new candidate's plan",
    )
    assert buttons(swapped[-1]["blocks"])["iv:begin"] == f"U3|C1|{ts}"
    new = await engine.store.active_session("slack:U3", f"slack:C1:{ts}")
    assert new is not None
    guests = await engine.store.participants(new.id)  # the observer is not carried over
    assert [(g.user_key, g.role) for g in guests] == [("slack:U1", "interviewer")]
    await h.click("ivg:swap", accept, user="U3")
    await _response(h, "The interviewer already has an interview open here", what="once only")


async def test_practice_queue_matches_two_members(group: Harness) -> None:
    h, fake = group, group.fake
    await h.command("practice queue software")
    await _response(h, "practice queue for *software* roles", what="waiting")
    await h.command("practice queue backend voice", user="U2")
    matched = await _response(h, "Matched with <@U1>", what="matched")
    assert "can't open huddles" in matched["text"], "a voice wish is answered, not ignored"
    assert "I sent you both the details in a DM" in matched["text"]
    assert matched["response_type"] == "ephemeral"
    # Joining was private, so the match is announced to each of the two in a DM, not in C1.
    told = {
        c.params["channel"]: c.params["text"]
        for c in fake.called("chat.postMessage")
        if "You were matched with" in c.params["text"]
    }
    assert set(told) == {"DU1", "DU2"}
    assert "<@U2>" in told["DU1"] and "<@U1>" in told["DU2"]
    assert all("*software*" in t and "<#C1>" in t for t in told.values())
    assert not [c for c in fake.called("chat.postMessage") if c.params["channel"] == "C1"]
    await h.command("practice leave")
    await _response(h, "weren't in the queue", what="matched entries are gone")

    # Nobody turns up for the next one: told politely in a DM, with a way back in.
    await h.command("practice queue data", user="U3")
    await _response(h, "practice queue for *data* roles", what="U3 waiting")
    h.interview.start_background(
        reminder_interval_s=0.05, expiry_interval_s=0.05, clock=lambda: time.time() + 3600
    )
    expired = await fake.wait_for(
        lambda: [
            c.params
            for c in fake.called("chat.postMessage")
            if "Nobody else was looking" in c.params["text"]
        ],
        what="expiry message",
    )
    assert expired[0]["channel"] == "DU3" and "/interview practice queue" in expired[0]["text"]


async def test_schedule_reminder_survives_a_restart(
    engine: InterviewEngine, tmp_path: Path
) -> None:
    fake = await FakeSlack().start()
    fake.users["U1"] = {"tz": "Europe/Berlin"}
    async with harness_for(engine, tmp_path, fake=fake) as first:
        await first.command("practice schedule in 2h -- system design")
        confirmed = await _response(first, "Reminder set for", what="confirmation")
        assert "Europe/Berlin" in confirmed["text"]
        upload = await fake.wait_calls("files.completeUploadExternal", 1)
        assert upload[0].params["channel_id"] == "DU1"
        ics = b"".join(fake.uploads.values())
        assert b"BEGIN:VCALENDAR" in ics and b"TZID=Europe/Berlin" in ics
        await first.command("practice reminders")
        await _response(first, "system design", what="listed")
    assert len(await engine.store.reminders_for_user("slack:U1")) == 1

    # A new process (same store); the reminder fell due while it was down.
    fake2 = await FakeSlack().start()
    async with harness_for(engine, tmp_path, fake=fake2) as second:
        second.interview.start_background(
            reminder_interval_s=0.05, expiry_interval_s=0.05, clock=lambda: time.time() + 3 * 3600
        )
        sent = await fake2.wait_for(
            lambda: [
                c.params
                for c in fake2.called("chat.postMessage")
                if "Time for your interview practice" in c.params["text"]
            ],
            what="the reminder",
        )
        assert sent[0]["channel"] == "DU1" and "system design" in sent[0]["text"]
    assert await engine.store.reminders_for_user("slack:U1") == []
    assert len([c for c in fake2.called("chat.postMessage") if "practice" in c.params["text"]]) == 1


async def test_admin_sets_a_shorter_retention_and_privacy_says_it(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    fake.users["UADMIN"] = {"is_admin": True}
    await h.command("admin retention=120", user="UADMIN")
    refused = await _response(h, "not 120", what="a longer period than the host's refused")
    assert "1–90" in refused["text"] and "Nothing was changed" in refused["text"]
    assert await engine.store.get_scope_settings("slack:T1") is None

    await h.command("admin retention=7", user="UADMIN")
    await _response(h, "Transcript retention: 7 day(s)", what="saved and shown")
    assert (await engine.store.get_scope_settings("slack:T1"))["retention_days"] == 7
    await h.command("privacy")
    await _response(h, "deleted automatically 7 day(s)", what="privacy names the server's period")


async def test_admin_settings_are_for_admins_and_enforced(
    group: Harness, engine: InterviewEngine
) -> None:
    h, fake = group, group.fake
    fake.users["UADMIN"] = {"is_admin": True}
    await h.command("admin voice=off", user="U1")
    await _response(h, "Only workspace admins and owners", what="non-admin refused")
    assert await engine.store.get_scope_settings("slack:T1") is None

    await h.command(
        "admin channels=<#C7|practice> length=short voice=off leaderboard=on", user="UADMIN"
    )
    shown = await _response(h, "Channels the bot may use: <#C7>", what="settings shown")
    assert "Default length: short" in shown["text"] and "not allowed" in shown["text"]

    await h.command(f"start {JD_TEXT}")
    await _response(h, "aren't run in this channel", what="channel refused")
    assert not fake.called("chat.postMessage")
    await h.command(f"start {JD_TEXT}", channel="C7")
    update = (await fake.wait_calls("chat.update", 1))[0].params
    record = await engine.store.active_session("slack:U1", f"slack:C7:{update['ts']}")
    assert record is not None and record.plan.options.length == "short"

    await h.command("start", channel="C7")  # the form, too, offers the workspace's length
    form = (await fake.wait_calls("views.open", 1))[0].params["view"]
    length = next(b for b in form["blocks"] if b["block_id"] == "length")
    assert length["element"]["initial_option"]["value"] == "short"

    value = buttons(update["blocks"])["iv:begin"]
    await h.click("iv:begin", value, message_ts=update["ts"], channel="C7")
    await fake.wait_for(lambda: _posts_in(fake, "C7", update["ts"]), what="first question in C7")
    clip = clip_event(fake, "a.webm", b"\x1aE\xdf\xa3 voice", "audio/webm", update["ts"])
    clip["event"]["channel"] = "C7"
    await h.event(clip)
    await fake.wait_for(lambda: _ephemeral(fake, "Voice answers are turned off"), what="no voice")
    assert not fake.downloads, "a refused clip is not even downloaded"

    await h.command("practice leaderboard", channel="C7")
    await _response(h, "No practice sessions completed this week", what="leaderboard on")

    await h.command("audio on")
    await _response(h, "Audio opt-in is on", what="opted in")
    await h.command("privacy")
    privacy = await _response(h, "What interview-bot stores about you", what="privacy")
    assert "Your opt-in is *on*" in privacy["text"] and "**" not in privacy["text"]


def test_manifest_escapes_mentions_and_asks_for_what_the_commands_need() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/interview" and command["should_escape"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"users:read", "files:read", "files:write", "chat:write", "im:write"} <= scopes
    for word in ("show", "share", "invite", "practice", "audio", "recordings", "admin"):
        assert word in command["usage_hint"] and f"/interview {word}" in USAGE


async def test_leaderboard_counts_channel_practice_never_dms(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    """Practice in a DM with the bot is private: the workspace board counts public (C…) and
    private (G…) channel sessions only."""
    h, fake = group, group.fake
    now = time.time()
    for sid, user, key in (
        ("pub1", "slack:UPUB", "slack:C1:1.1"),
        ("priv1", "slack:UPRIV", "slack:G2:2.2"),
        ("dm1", "slack:UDM", "slack:D3:"),
        ("dm2", "slack:UPUB", "slack:D4:"),
    ):
        record = finished_session(bank, sid, user, [3.0])
        await save(engine, dataclasses.replace(record, conversation_key=key, updated_at=now))
    fake.users["UADMIN"] = {"is_admin": True}
    await h.command("admin leaderboard=on", user="UADMIN")
    await _response(h, "leaderboard: on", what="board on")
    await h.command("practice leaderboard")
    board = (await _response(h, "This week's practice", what="board"))["text"]
    assert "<@UPUB> — 1 session" in board  # their DM session is not counted
    assert "<@UPRIV> — 1 session" in board
    assert "UDM" not in board


async def test_kept_recordings_go_back_to_their_candidate_only(
    group: Harness, engine: InterviewEngine, bank: QuestionBank
) -> None:
    """The opt-in says how to listen back, and ``/interview recordings`` delivers the clips to
    the candidate's DM; an observer and a stranger are refused, nothing is uploaded for them."""
    h, fake = group, group.fake
    await h.command("audio on")
    opted = await _response(h, "Audio opt-in is on", what="opted in")
    assert "/interview recordings SESSION" in opted["text"]
    record = finished_session(bank, "spoken1", "slack:U1", [3.0, 4.0])
    await save(engine, record)
    now = time.time()
    await engine.store.save_audio(StoredAudio("spoken1", 0, "m4a", b"clip one", now))
    await engine.store.save_audio(StoredAudio("spoken1", 1, "m4a", b"clip two", now))
    await engine.store.add_participant(Participant("spoken1", "slack:U2", "observer", now))

    await h.command("recordings spoken1", user="U2")
    await _response(h, "Only the candidate can get the recordings", what="observer refused")
    await h.command("recordings spoken1", user="U3")
    await _response(h, "No such session: spoken1", what="stranger refused")
    assert not fake.uploads
    await h.command("recordings spok")
    await _response(h, "I sent 2 recording(s) of interview `spoken1` to our DM", what="sent")
    done = fake.called("files.completeUploadExternal")
    assert [c.params["channel_id"] for c in done] == ["DU1", "DU1"]
    assert sorted(fake.uploads.values()) == [b"clip one", b"clip two"]
