"""Group practice in Discord, through discord.py's real code paths against the loopback fake.

Observers and peer interviewers, the practice queue, server settings, reminders across a restart
and the leaderboard; and every cross-user attempt (strangers, guests acting as the candidate)
refused with nothing changed. Interactions are raw gateway payloads fed to discord.py's parser;
assertions are on the HTTP calls the bot made and on the store.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

pytest.importorskip("discord")

from icalendar import Calendar

from bot.domain import InterviewPlan, JobProfile
from bot.planning.bank import QuestionBank
from bot.ports import Participant, SessionRecord, StoredAudio
from cogs.interview import NOT_YOURS
from cogs.practice import PracticeCog
from tests.fake_discord import (
    CANDIDATE_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
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
    user_payload,
)
from tests.test_discord_flow import ANSWER, CALLBACK, begin, start_interview

OBSERVER_ID = 930000000000000003
INTERVIEWER_ID = 930000000000000004
PARTNER_ID = 930000000000000005
OTHER_CHANNEL = 920000000000000099
CANDIDATE = f"discord:{CANDIDATE_ID}"


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


def command(
    group: str,
    sub: str,
    options: dict[str, Any] | None = None,
    *,
    users: dict[str, int] | None = None,
    admin: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    """``/<group> <sub>`` (``slash`` builds ``/interview``); ``users`` adds user options."""
    payload = slash(sub, options, **kwargs)
    payload["data"]["name"] = group
    resolved = payload["data"]["resolved"]
    for name, user_id in (users or {}).items():
        payload["data"]["options"][0]["options"].append(
            {"name": name, "type": 6, "value": str(user_id)}
        )
        resolved.setdefault("users", {})[str(user_id)] = user_payload(user_id, f"U{user_id}")
    if not admin and "member" in payload:
        payload["member"]["permissions"] = "0"
    return payload


def said(fake: FakeDiscord, text: str) -> Any:
    """Waits for any call whose content holds ``text``."""
    return fake.wait_for(lambda: [c for c in fake.calls if text in c.content], what=repr(text))


def private(call: Call) -> bool:
    body = call.json or {}
    flags = body.get("data", {}).get("flags") if "type" in body else body.get("flags")
    return bool((flags or 0) & 64)


def ids(call: Call, prefix: str) -> list[str]:
    return [i for i in call.custom_ids if i.startswith(prefix)]


async def store_of(h: Harness) -> Any:
    assert h.store is not None
    return h.store


async def answer_until_scored(h: Harness, thread_id: str) -> Call:
    """Answer question 1; if the bot follows up, skip the follow-up (the answer is complete
    either way), then return the score prompt observers get."""
    h.say(chat_message(int(thread_id), ANSWER))
    landed = await h.posted(
        thread_id, lambda c: titled("Follow-up")(c) or titled("Score answer 1")(c)
    )
    if titled("Follow-up")(landed[0]):
        skip = next(i for i in landed[0].custom_ids if i.startswith("ib:skip:"))
        h.interact(button(skip, landed[0].response))
    return (await h.posted(thread_id, titled("Score answer 1")))[-1]


async def test_observers_score_with_the_rubric_and_the_recap_compares(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness, length="short")
    await begin(harness, summary, thread_id)
    harness.interact(
        command("interview", "invite", {"role": "observer"}, users={"user": OBSERVER_ID})
    )
    await said(fake, f"Invited <@{OBSERVER_ID}> as observer")
    assert fake.find("PUT", rf"/channels/{thread_id}/thread-members/{OBSERVER_ID}$")
    joined = (await harness.posted(thread_id, lambda c: "joined as an observer" in c.content))[0]
    assert joined.json["allowed_mentions"]["users"] == [OBSERVER_ID]

    # The observer chatting in the thread is not told off as a stranger.
    harness.say(chat_message(int(thread_id), "Good luck!", user_id=OBSERVER_ID))
    prompt = await answer_until_scored(harness, thread_id)
    store = await store_of(harness)
    session = (await store.sessions_for_user(CANDIDATE))[0]
    question = session.plan.questions[0]
    assert question.rubric.weak in prompt.embeds[0]["description"]
    assert question.rubric.strong in prompt.embeds[0]["description"]
    assert not any("only they can answer" in c.content for c in fake.calls)
    score_ids = ids(prompt, "ibg:score:")
    assert [i.split(":")[2] for i in score_ids] == ["1", "2", "3", "4", "5"]
    assert all(i.endswith(f":{session.id}-0") for i in score_ids)

    harness.interact(button(score_ids[4], prompt.response, user_id=STRANGER_ID, name="Stranger"))
    refusal = await said(fake, "Only the candidate and the people they invited")
    assert private(refusal[-1])
    assert await store.peer_scores(session.id) == []

    harness.interact(button(score_ids[0], prompt.response, user_id=OBSERVER_ID))
    scored = await said(fake, "Scored answer 1: 1/5")
    assert private(scored[-1])

    note_id = ids(prompt, "ibg:note:")[0]
    harness.interact(button(note_id, prompt.response, user_id=OBSERVER_ID))
    opened = await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if c.json["type"] == 9], what="note modal"
    )
    modal_id, inputs = modal_from(opened[-1])
    harness.interact(
        modal_submit(modal_id, {inputs[0]: "1.5", inputs[1]: "No numbers"}, user_id=OBSERVER_ID)
    )
    await said(fake, "Scored answer 1: 1.5/5")
    [peer_score] = await store.peer_scores(session.id)
    assert (peer_score.score, peer_score.note, peer_score.role) == (1.5, "No numbers", "observer")

    harness.interact(slash("end", channel_id=int(thread_id)))
    comparison = (
        await fake.wait_for(
            lambda: [c for c in fake.calls if titled("Bot vs observers")(c)], what="comparison"
        )
    )[-1]
    assert not private(comparison)  # in the thread, which only the guests and candidate see
    text = comparison.embeds[0]["description"]
    assert "observers 1.5/5 (1)" in text and "No numbers" in text
    bot = [t.evaluation.score for t in (await store.load_session(session.id)).turns if t.evaluation]
    if bot[-1] is not None and bot[-1] >= 3.0:
        assert "⚠️" in text and "Worth discussing: Q1" in text
    compare_id = ids(comparison, "ibg:compare:")[0]
    harness.interact(button(compare_id, comparison.response, user_id=STRANGER_ID))
    await said(fake, NOT_YOURS)
    harness.interact(button(compare_id, comparison.response, user_id=OBSERVER_ID))
    again = await fake.wait_for(
        lambda: [c for c in fake.find("POST", CALLBACK) if "Bot vs observers" in c.content],
        what="comparison for the observer",
    )
    assert private(again[-1])


async def test_peer_mode_notes_go_only_to_the_interviewer_and_roles_swap(
    harness: Harness, fake: FakeDiscord
) -> None:
    thread_id, summary = await start_interview(harness, length="short")
    harness.interact(
        command("interview", "invite", {"role": "interviewer"}, users={"user": INTERVIEWER_ID})
    )
    intro = (await harness.posted(thread_id, lambda c: "joined as the interviewer" in c.content))[0]
    assert ids(intro, "ibg:notes:")
    question = await begin(harness, summary, thread_id)
    notes_id = ids(question, "ibg:notes:")[0]
    store = await store_of(harness)
    session = (await store.sessions_for_user(CANDIDATE))[0]
    first = session.plan.questions[0]
    hidden = [p.point for p in first.talking_points] + [first.rubric.strong]
    public = str(question.json)
    assert first.text in public and not any(h in public for h in hidden)

    harness.interact(button(notes_id, question.response, user_id=INTERVIEWER_ID))
    notes = await said(fake, "Interviewer notes · question 1 of 5")
    assert private(notes[-1]) and all(h in notes[-1].content for h in hidden)
    harness.interact(button(notes_id, question.response, user_id=CANDIDATE_ID))
    refusals = await said(fake, "Only the peer interviewer")
    harness.interact(button(notes_id, question.response, user_id=STRANGER_ID))
    refusals += await said(fake, NOT_YOURS)  # a stranger is not told the session exists
    assert all(private(c) and not any(h in c.content for h in hidden) for c in refusals)

    harness.say(chat_message(int(thread_id), "Tell me about a time...", user_id=INTERVIEWER_ID))
    await answer_until_scored(harness, thread_id)
    assert not any("only they can answer" in c.content for c in fake.calls)

    harness.interact(slash("swap", channel_id=int(thread_id), user_id=INTERVIEWER_ID))
    await said(fake, "Finish (or end) this interview first")
    harness.interact(
        command("interview", "invite", users={"user": OBSERVER_ID}, channel_id=int(thread_id))
    )
    await said(fake, f"Invited <@{OBSERVER_ID}> as observer")
    harness.interact(slash("end", channel_id=int(thread_id)))
    await fake.wait_for(lambda: [c for c in fake.calls if titled("Your interview recap")(c)])
    harness.interact(slash("swap", channel_id=int(thread_id), user_id=STRANGER_ID))
    await said(fake, "Run this in the thread of the interview")
    # The candidate only asks: nothing starts until the interviewer accepts (their consent).
    harness.interact(slash("swap", channel_id=int(thread_id)))
    ask = (await harness.posted(thread_id, lambda c: "would like to swap roles" in c.content))[-1]
    assert ask.content.startswith(f"<@{INTERVIEWER_ID}>")
    assert ask.json["allowed_mentions"]["users"] == [INTERVIEWER_ID]
    accept = ids(ask, f"ibg:swap:{session.id}:")[0]
    interviewer_key = f"discord:{INTERVIEWER_ID}"
    assert await store.active_session(interviewer_key, session.conversation_key) is None
    for not_them in (CANDIDATE_ID, OBSERVER_ID):
        harness.interact(button(accept, ask.response, user_id=not_them))
    await fake.wait_for(
        lambda: (
            len([c for c in fake.calls if "Only the interviewer who was asked" in c.content]) >= 2
        ),
        what="two refusals to accept",
    )
    harness.interact(button(accept, ask.response, user_id=STRANGER_ID))
    await said(fake, NOT_YOURS)
    assert await store.active_session(interviewer_key, session.conversation_key) is None
    harness.interact(button(accept, ask.response, user_id=INTERVIEWER_ID))
    swapped = (await harness.posted(thread_id, lambda c: "Roles swapped" in c.content))[-1]
    assert any(i.startswith(f"ib:begin:{INTERVIEWER_ID}:") for i in swapped.custom_ids)
    mirrored = await store.active_session(interviewer_key, session.conversation_key)
    assert mirrored is not None and mirrored.state == "briefing"
    # Observers are not carried over: the new candidate invites whom they like.
    assert [(p.user_key, p.role) for p in await store.participants(mirrored.id)] == [
        (CANDIDATE, "interviewer")
    ]
    harness.interact(button(accept, ask.response, user_id=INTERVIEWER_ID))
    await said(fake, "The interviewer already has an interview open here")


async def test_a_forged_group_button_cannot_probe_session_ids(
    harness: Harness, fake: FakeDiscord
) -> None:
    """A stranger pressing a button for someone's session and for a session that does not exist
    gets the same words, so a forged custom id reveals nothing."""
    thread_id, summary = await start_interview(harness, length="short")
    message = (await begin(harness, summary, thread_id)).response
    store = await store_of(harness)
    session = (await store.sessions_for_user(CANDIDATE))[0]
    refusals: list[str] = []
    for kind, a, b in (
        ("notes", session.id, ""),
        ("notes", "doesnotexist0000", ""),
        ("compare", session.id, ""),
        ("compare", "doesnotexist0000", ""),
        ("score", "3", f"{session.id}-0"),
        ("score", "3", "doesnotexist0000-0"),
        ("swap", session.id, ""),
        ("swap", "doesnotexist0000", ""),
    ):
        before = len(fake.calls)
        forged = f"ibg:{kind}:{a}:{b}"
        row = {
            "type": 1,
            "components": [{"type": 2, "style": 2, "label": "x", "custom_id": forged}],
        }
        harness.interact(
            button(forged, {**message, "components": [row]}, user_id=STRANGER_ID, name="Stranger")
        )
        reply = await fake.wait_for(
            lambda before=before: [
                c for c in fake.calls[before:] if c.path.endswith("/callback") and c.content
            ],
            what=f"{kind} refusal",
        )
        assert private(reply[0])
        refusals.append(reply[0].content)
    assert set(refusals) == {NOT_YOURS}
    assert await store.peer_scores(session.id) == []


async def test_queue_matches_two_members_and_a_no_show_is_told_politely(
    harness: Harness, fake: FakeDiscord
) -> None:
    harness.interact(command("practice", "queue", {"role": "software", "voice": True}))
    await said(fake, "You're in the practice queue for **software**")
    harness.interact(command("practice", "queue", {"role": "data"}, user_id=STRANGER_ID))
    await said(fake, "practice queue for **data**")
    assert not fake.find("POST", r"/threads$")

    harness.interact(
        command("practice", "queue", {"role": "software", "voice": True}, user_id=PARTNER_ID)
    )
    await said(fake, f"Matched with <@{CANDIDATE_ID}>")
    created = fake.find("POST", rf"/channels/{CHANNEL_ID}/threads$")[0]
    assert created.json["type"] == 12 and created.json["invitable"] is False
    thread_id = created.response["id"]
    for member in (CANDIDATE_ID, PARTNER_ID):
        assert fake.find("PUT", rf"/channels/{thread_id}/thread-members/{member}$")
    voice = fake.find("POST", rf"/guilds/{GUILD_ID}/channels$")[0]
    assert voice.json["type"] == 2
    everyone = next(o for o in voice.json["permission_overwrites"] if o["id"] == str(GUILD_ID))
    assert int(everyone["deny"]) & (1 << 10)
    hello_call = await harness.posted(thread_id, lambda c: "Matched for **software**" in c.content)
    hello = hello_call[0].response
    assert f"<#{voice.response['id']}>" in hello_call[0].content
    assert sorted(hello_call[0].json["allowed_mentions"]["users"]) == sorted(
        [CANDIDATE_ID, PARTNER_ID]
    )

    assert harness.bot is not None
    practice = cast(PracticeCog, harness.bot.get_cog("Practice"))
    assert await practice.expire_queue_once(time.time() + 16 * 60) == 1
    # Joining was private (ephemeral), so the expiry, which names the role, goes to a DM.
    opened = await fake.wait_call("POST", r"/users/@me/channels$")
    assert str(opened[-1].json["recipient_id"]) == str(STRANGER_ID)
    expired = (
        await harness.posted(DM_CHANNEL_ID, lambda c: "took you out of the queue" in c.content)
    )[0]
    assert "**data**" in expired.content and f"<#{CHANNEL_ID}>" in expired.content
    assert not [c for c in fake.find("POST", rf"/channels/{CHANNEL_ID}/messages$")]
    store = await store_of(harness)
    assert await store.queue_entries(f"discord:{GUILD_ID}") == []
    # A "Queue again" button posted in the channel by an older version still works, for its
    # member only.
    legacy = f"ibg:requeue:data:{STRANGER_ID}v0"
    row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": legacy}]}
    old_message = {**hello, "channel_id": str(CHANNEL_ID), "components": [row]}
    harness.interact(button(legacy, old_message, user_id=CANDIDATE_ID))
    await said(fake, "This button is for the member who was in the queue")
    harness.interact(button(legacy, old_message, user_id=STRANGER_ID))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "practice queue for **data**" in c.content]) >= 2,
        what="queued again",
    )
    assert await practice.expire_queue_once(time.time() + 16 * 60) == 1
    # With the DM refused, the channel gets a neutral mention: no role, no button.
    fake.fail_next("POST", rf"/channels/{DM_CHANNEL_ID}/messages$", status=403)
    harness.interact(command("practice", "queue", {"role": "data"}, user_id=STRANGER_ID))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "practice queue for **data**" in c.content]) >= 3,
        what="queued a third time",
    )
    assert await practice.expire_queue_once(time.time() + 16 * 60) == 1
    neutral = (await harness.posted(CHANNEL_ID, lambda c: "practice queue has ended" in c.content))[
        0
    ]
    assert neutral.content.startswith(f"<@{STRANGER_ID}>")
    assert neutral.json["allowed_mentions"]["users"] == [STRANGER_ID]
    assert "data" not in neutral.content.lower() and not neutral.custom_ids
    harness.interact(command("practice", "queue", {"role": "data"}, user_id=STRANGER_ID))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "practice queue for **data**" in c.content]) >= 4,
        what="queued a fourth time",
    )
    assert [e.user_key for e in await store.queue_entries(f"discord:{GUILD_ID}")] == [
        f"discord:{STRANGER_ID}"
    ]
    harness.interact(command("practice", "leave", user_id=STRANGER_ID))
    await said(fake, "You left the practice queue")


async def test_admin_settings_are_enforced_and_need_manage_server(
    harness: Harness, fake: FakeDiscord
) -> None:
    synced = fake.find("PUT", r"/applications/\d+/guilds/\d+/commands$")[0].json
    admin = next(c for c in synced if c["name"] == "interview-admin")
    assert str(admin["default_member_permissions"]) == "32"  # MANAGE_GUILD
    assert {c["name"] for c in synced} >= {"interview", "interview-admin", "practice"}

    harness.interact(
        command("interview-admin", "set", {"length": "long"}, user_id=STRANGER_ID, admin=False)
    )
    await said(fake, "Only people who can manage this server")
    store = await store_of(harness)
    assert await store.get_scope_settings(f"discord:{GUILD_ID}") is None

    harness.interact(command("interview-admin", "set", {"channels": "#general"}))
    await said(fake, "Nothing was changed")  # bad values are refused with the reason
    harness.interact(
        command(
            "interview-admin",
            "set",
            {"channels": f"<#{OTHER_CHANNEL}>", "length": "short", "voice": False},
        )
    )
    saved = await said(fake, "Saved.")
    assert f"<#{OTHER_CHANNEL}>" in saved[-1].content and private(saved[-1])

    harness.interact(slash("start", {"text": "Senior Backend Engineer, Python"}))
    refused = await said(fake, "Interviews aren't enabled in this channel")
    assert f"<#{OTHER_CHANNEL}>" in refused[-1].content and private(refused[-1])
    harness.interact(command("practice", "queue", {"role": "software"}))
    await said(fake, "isn't enabled in this channel")
    assert not fake.find("POST", r"/threads$")

    harness.interact(command("interview-admin", "set", {"channels": "all"}))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "Saved." in c.content]) >= 2, what="saved again"
    )
    harness.interact(command("interview-admin", "show", user_id=STRANGER_ID, admin=False))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "Only people who can manage" in c.content]) >= 2,
        what="show refused",
    )
    harness.interact(command("practice", "queue", {"role": "software", "voice": True}))
    await said(fake, "Voice isn't allowed on this server")

    _, summary = await start_interview(harness, voice=True)
    fields = {f["name"]: f["value"] for f in summary.embeds[0]["fields"]}
    assert fields["Planned questions"] == "5"  # the server's default length
    assert "Voice interviews aren't allowed on this server" in summary.content


async def test_a_reminder_is_delivered_after_a_restart_with_an_ics_file(
    fake: FakeDiscord, tmp_path: Path, backend_profile: JobProfile, bank: QuestionBank
) -> None:
    db = tmp_path / "remind.sqlite3"
    first = Harness(fake, db, backend_profile, bank)
    await first.start()
    try:
        first.interact(command("practice", "schedule", {"when": "yesterday"}))
        await said(fake, "I can't read “yesterday”")
        first.interact(command("practice", "schedule", {"when": "in 2h", "zone": "Mars/Base"}))
        await said(fake, "not a time zone I know")
        first.interact(
            command(
                "practice",
                "schedule",
                {"when": "in 2h", "zone": "Europe/Berlin", "note": "system design"},
            )
        )
        confirmed = (await said(fake, "Reminder set for"))[-1]
        assert "Europe/Berlin" in confirmed.content and private(confirmed)
        name, data = confirmed.files[0]
        assert name == "interview-practice.ics"
        event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
        due = event.decoded("dtstart")
        assert abs(due.timestamp() - (time.time() + 7200)) < 120
        assert "TZID=Europe/Berlin" in data.decode()
        first.interact(command("practice", "reminders"))
        await said(fake, "Your reminders")
    finally:
        await first.stop()

    second = Harness(fake, db, backend_profile, bank)
    bot = await second.start()
    try:
        practice = cast(PracticeCog, bot.get_cog("Practice"))
        assert await practice.deliver_reminders_once(time.time() + 60) == 0
        assert await practice.deliver_reminders_once(time.time() + 7300) == 1
        delivered = (await second.posted(DM_CHANNEL_ID, lambda c: "⏰" in c.content))[0]
        assert delivered.content.startswith(f"<@{CANDIDATE_ID}> ⏰ Time for your interview")
        assert "system design" in delivered.content
        assert await practice.deliver_reminders_once(time.time() + 7400) == 0
        assert second.store is not None
        assert await second.store.reminders_for_user(CANDIDATE) == []
    finally:
        await second.stop()


async def test_a_reminder_never_shows_its_note_in_a_server_channel(
    harness: Harness, fake: FakeDiscord
) -> None:
    """With no DM possible when it was set up, the reminder was stored for the server channel.
    At delivery a DM is tried again; if that fails too, the channel gets a bare nudge without
    the member's note."""
    fake.fail_next("POST", r"/users/@me/channels$", status=403)
    harness.interact(
        command("practice", "schedule", {"when": "in 2h", "note": "my weak spot: salary talk"})
    )
    await said(fake, "Reminder set for")
    store = await store_of(harness)
    [reminder] = await store.reminders_for_user(CANDIDATE)
    assert reminder.conversation_key == f"discord:{GUILD_ID}:{CHANNEL_ID}"
    assert harness.bot is not None
    practice = cast(PracticeCog, harness.bot.get_cog("Practice"))
    fake.fail_next("POST", r"/users/@me/channels$", status=403)
    assert await practice.deliver_reminders_once(time.time() + 7300) == 1
    nudge = (await harness.posted(CHANNEL_ID, lambda c: "remind you" in c.content))[-1]
    assert nudge.content == f"<@{CANDIDATE_ID}>, you asked me to remind you to practise now."
    assert nudge.json["allowed_mentions"]["users"] == [CANDIDATE_ID]
    assert not [c for c in fake.calls if "salary" in c.content and "/channels/" in c.path]

    # When the DM works at delivery time, the full reminder (note included) goes there.
    harness.interact(command("practice", "schedule", {"when": "in 3h", "note": "salary again"}))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "Reminder set for" in c.content]) >= 2,
        what="second reminder",
    )
    [second] = await store.reminders_for_user(CANDIDATE)
    assert second.conversation_key == f"discord:dm:{DM_CHANNEL_ID}"
    assert await practice.deliver_reminders_once(time.time() + 11000) == 1
    dm = (await harness.posted(DM_CHANNEL_ID, lambda c: "salary again" in c.content))[-1]
    assert dm.content.startswith(f"<@{CANDIDATE_ID}> ⏰")
    assert not fake.find("POST", rf"/channels/{CHANNEL_ID}/messages$")[1:]


async def test_leaderboard_is_off_by_default_and_counts_sessions(
    harness: Harness, fake: FakeDiscord
) -> None:
    harness.interact(command("practice", "leaderboard"))
    off = await said(fake, "leaderboard is off on this server")
    assert private(off[-1])
    thread_id, summary = await start_interview(harness, length="short")
    await begin(harness, summary, thread_id)
    harness.say(chat_message(int(thread_id), ANSWER))
    await harness.posted(thread_id, count=2)
    harness.interact(slash("end", channel_id=int(thread_id)))
    await fake.wait_for(lambda: [c for c in fake.calls if titled("Your interview recap")(c)])

    harness.interact(command("interview-admin", "set", {"leaderboard": True}))
    await said(fake, "Weekly practice leaderboard: on")
    harness.interact(command("practice", "leaderboard"))
    board = (await said(fake, "This week's practice"))[-1]
    assert f"1. <@{CANDIDATE_ID}> — 1 session" in board.content
    assert not private(board) and board.json["data"]["allowed_mentions"]["parse"] == []
    assert "/5" not in board.content


async def test_leaderboard_counts_only_this_servers_sessions_never_dms(
    harness: Harness, fake: FakeDiscord, bank: QuestionBank
) -> None:
    """A server's board counts sessions held in that server (``discord:<guild id>:``): practice
    in a DM with the bot and on another server never shows."""
    store = await store_of(harness)
    now = time.time()
    question = bank.questions[0]
    for sid, user, key in (
        ("here1", f"discord:{PARTNER_ID}", f"discord:{GUILD_ID}:{OTHER_CHANNEL}"),
        ("dm1", f"discord:{OBSERVER_ID}", f"discord:dm:{DM_CHANNEL_ID}"),
        ("dm2", f"discord:{PARTNER_ID}", f"discord:dm:{DM_CHANNEL_ID}"),
        ("away1", f"discord:{STRANGER_ID}", f"discord:{GUILD_ID + 1}:{OTHER_CHANNEL}"),
    ):
        await store.create_session(
            SessionRecord(
                id=sid,
                user_key=user,
                conversation_key=key,
                state="finished",
                profile=JobProfile(title="Data Engineer"),
                plan=InterviewPlan(questions=(question,)),
                created_at=now,
                updated_at=now,
            )
        )
    harness.interact(command("interview-admin", "set", {"leaderboard": True}))
    await said(fake, "Weekly practice leaderboard: on")
    harness.interact(command("practice", "leaderboard"))
    board = (await said(fake, "This week's practice"))[-1].content
    assert f"1. <@{PARTNER_ID}> — 1 session" in board  # their DM session is not counted
    assert str(OBSERVER_ID) not in board and str(STRANGER_ID) not in board


async def test_every_cross_user_attempt_is_refused(harness: Harness, fake: FakeDiscord) -> None:
    thread_id, summary = await start_interview(harness, length="short")
    await begin(harness, summary, thread_id)
    store = await store_of(harness)
    session = (await store.sessions_for_user(CANDIDATE))[0]
    in_thread = {"channel_id": int(thread_id)}

    # A stranger cannot invite anyone into someone else's interview, even from its thread.
    harness.interact(
        command(
            "interview", "invite", users={"user": STRANGER_ID}, user_id=STRANGER_ID, **in_thread
        )
    )
    await said(fake, "You have no interview running")
    harness.interact(command("interview", "invite", users={"user": OBSERVER_ID}, **in_thread))
    await said(fake, f"Invited <@{OBSERVER_ID}>")
    # A guest cannot act as the candidate: no inviting, no removing others, no sharing.
    harness.interact(
        command(
            "interview", "invite", users={"user": STRANGER_ID}, user_id=OBSERVER_ID, **in_thread
        )
    )
    await said(fake, "Only the candidate can invite")
    harness.interact(
        command(
            "interview", "invite", {"role": "interviewer"}, users={"user": INTERVIEWER_ID},
            **in_thread,
        )
    )  # fmt: skip
    await said(fake, f"Invited <@{INTERVIEWER_ID}> as interviewer")
    harness.interact(
        command(
            "interview", "uninvite", users={"user": INTERVIEWER_ID}, user_id=OBSERVER_ID,
            **in_thread,
        )
    )  # fmt: skip
    await said(fake, "Only the candidate can remove")
    harness.interact(command("interview", "share", {"session": session.id}, user_id=OBSERVER_ID))
    await said(fake, "Only the candidate can share")
    harness.interact(command("interview", "share", {"session": session.id}, user_id=STRANGER_ID))
    denied = await said(fake, f"No such session: {session.id}")
    harness.interact(
        command("interview", "share", {"session": "nonexistent1"}, user_id=STRANGER_ID)
    )
    unknown = await said(fake, "No such session: nonexistent1")
    assert denied[-1].content.replace(session.id, "X") == unknown[-1].content.replace(
        "nonexistent1", "X"
    )  # not yours reads exactly like does not exist
    harness.interact(command("interview", "unshare", {"session": session.id}, user_id=STRANGER_ID))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if f"No such session: {session.id}" in c.content]) >= 2,
        what="unshare refused",
    )
    assert await store.share_links_for_user(f"discord:{STRANGER_ID}") == []

    # The candidate shares and revokes; the link is theirs alone.
    harness.interact(command("interview", "share"))
    shared = (await said(fake, "Read-only link to interview"))[-1]
    assert "/s/" in shared.content and private(shared)
    harness.interact(command("interview", "unshare"))
    await said(fake, "Revoked 1 link(s)")

    # A removed observer can no longer score.
    harness.interact(command("interview", "uninvite", users={"user": OBSERVER_ID}, **in_thread))
    await said(fake, f"Removed <@{OBSERVER_ID}>")
    assert fake.find("DELETE", rf"/channels/{thread_id}/thread-members/{OBSERVER_ID}$")
    prompt = await answer_until_scored(harness, thread_id)
    harness.interact(button(ids(prompt, "ibg:score:")[2], prompt.response, user_id=OBSERVER_ID))
    await said(fake, "Only the candidate and the people they invited can score")
    harness.interact(button(ids(prompt, "ibg:note:")[0], prompt.response, user_id=STRANGER_ID))
    await fake.wait_for(
        lambda: len([c for c in fake.calls if "people they invited can score" in c.content]) >= 2,
        what="note refused",
    )
    assert not [c for c in fake.find("POST", CALLBACK) if c.json["type"] == 9]  # no modal opened
    assert await store.peer_scores(session.id) == []

    # Someone else's reminder cannot be cancelled; their own list shows nothing of others'.
    harness.interact(command("practice", "schedule", {"when": "in 3h"}))
    await said(fake, "Reminder set for")
    [reminder] = await store.reminders_for_user(CANDIDATE)
    harness.interact(command("practice", "cancel", {"id": reminder.id}, user_id=STRANGER_ID))
    await said(fake, f"You have no waiting reminder `{reminder.id}`")
    harness.interact(command("practice", "reminders", user_id=STRANGER_ID))
    await said(fake, "You have no reminders waiting")
    assert await store.reminders_for_user(CANDIDATE) == [reminder]

    # Admin settings: a member without Manage Server cannot even read them.
    harness.interact(command("interview-admin", "show", user_id=STRANGER_ID, admin=False))
    await said(fake, "Only people who can manage this server")


async def test_admin_sets_a_shorter_retention_and_privacy_says_it(
    harness: Harness, fake: FakeDiscord
) -> None:
    harness.interact(command("interview-admin", "set", {"retention": "120"}))
    refused = (await said(fake, "not 120"))[-1]
    assert "1–90" in refused.content and "Nothing was changed" in refused.content
    store = await store_of(harness)
    assert await store.get_scope_settings(f"discord:{GUILD_ID}") is None

    harness.interact(command("interview-admin", "set", {"retention": "7"}))
    saved = (await said(fake, "Saved."))[-1]
    assert "Transcript retention: 7 day(s)" in saved.content and private(saved)
    assert (await store.get_scope_settings(f"discord:{GUILD_ID}"))["retention_days"] == 7
    harness.interact(command("interview", "privacy"))
    statement = (await said(fake, "What interview-bot stores about you"))[-1]
    assert "deleted automatically 7 day(s)" in statement.content


async def test_privacy_audio_opt_in_and_forget_in_discord(
    harness: Harness, fake: FakeDiscord
) -> None:
    harness.interact(command("interview", "audio", {"choice": "on"}))
    opted = (await said(fake, "Audio opt-in is on"))[-1]
    assert "/interview recordings SESSION" in opted.content  # says how to listen back
    # Kept clips come back to their candidate only, as private attachments.
    store = await store_of(harness)
    now = time.time()
    await store.create_session(
        SessionRecord(
            id="spoken01",
            user_key=CANDIDATE,
            conversation_key=f"discord:{GUILD_ID}:{OTHER_CHANNEL}",
            state="finished",
            profile=JobProfile(title="Data Engineer"),
            plan=InterviewPlan(questions=()),
            created_at=now,
            updated_at=now,
        )
    )
    await store.save_audio(StoredAudio("spoken01", 1, "ogg", b"OggS answer two", now))
    await store.add_participant(Participant("spoken01", f"discord:{OBSERVER_ID}", "observer", now))
    harness.interact(command("interview", "recordings", {"session": "spoken"}))
    got = (await said(fake, "Recordings of interview `spoken01`"))[-1]
    assert private(got) and got.files and got.files[0][1] == b"OggS answer two"
    harness.interact(
        command("interview", "recordings", {"session": "spoken01"}, user_id=OBSERVER_ID)
    )
    await said(fake, "Only the candidate can get the recordings")
    harness.interact(
        command("interview", "recordings", {"session": "spoken01"}, user_id=STRANGER_ID)
    )
    await said(fake, "No such session: spoken01")
    assert len([c for c in fake.calls if c.files and b"OggS" in c.files[0][1]]) == 1
    harness.interact(command("interview", "privacy"))
    statement = (await said(fake, "What interview-bot stores about you"))[-1]
    assert "Your opt-in is **on**" in statement.content and private(statement)
    harness.interact(command("interview", "forget"))
    prompt = (await said(fake, "cannot be undone"))[-1]
    harness.interact(button(prompt.custom_ids[0], prompt.response["resource"]["message"]))
    done = await said(fake, "1 preference record(s)")
    assert "Nothing about you is left" in done[-1].content
    store = await store_of(harness)
    assert await store.get_user_prefs(CANDIDATE) == {}


async def test_a_match_without_thread_permission_tells_both_members(
    harness: Harness, fake: FakeDiscord
) -> None:
    harness.interact(command("practice", "queue", {"role": "product"}))
    await said(fake, "practice queue for **product**")
    fake.fail_next("POST", rf"/channels/{CHANNEL_ID}/threads$", status=403)
    harness.interact(command("practice", "queue", {"role": "product"}, user_id=PARTNER_ID))
    await said(fake, "couldn't open a private thread here")
    told = await harness.posted(
        DM_CHANNEL_ID, lambda c: "found you a practice partner" in c.content
    )
    opened = fake.find("POST", r"/users/@me/channels$")
    assert str(opened[-1].json["recipient_id"]) == str(CANDIDATE_ID)
    assert f"<#{CHANNEL_ID}>" in told[0].content
    store = await store_of(harness)
    assert await store.queue_entries(f"discord:{GUILD_ID}") == []
