"""Group practice core (``bot.community``) against the real SQLite store and the real engine.

Adapters only translate these calls, so every rule (who may invite, score, swap, see notes; the
queue's matching and expiry; reminders surviving a restart and being delivered once) is proven
here once for Discord and Slack alike.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.community import leaderboard, participants, peer, prefs, queue, schedule, scope, scoring
from bot.community.errors import CommunityError
from bot.domain import JobProfile
from bot.engine import InterviewEngine
from bot.events import Command, IncomingEvent
from bot.planning.bank import QuestionBank
from bot.ports import Reminder, SessionRecord
from bot.privacy import forget_summary
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from tests.conftest import CONV, OTHER, USER, start_event
from tests.test_store_backends import record

ANSWER = (
    "At my last company our payments API slowed down during peak traffic. I was responsible for "
    "fixing it, so I profiled the Python service, found N+1 queries against PostgreSQL, added "
    "batching and an index. As a result p95 latency dropped from 900 ms to 120 ms."
)
OBSERVER = "test:obs"
NOW = 1_800_000_000.0  # 2027-01-15, a Friday


async def running(engine: InterviewEngine) -> SessionRecord:
    await engine.handle(start_event(length="short"))
    await engine.handle(IncomingEvent.do(USER, CONV, Command.BEGIN))
    found = await engine.store.active_session(USER.key, CONV.key)
    assert found is not None and found.state == "asking"
    return found


async def answered(engine: InterviewEngine) -> SessionRecord:
    """A session whose first question is answered (and possibly followed up)."""
    await running(engine)
    await engine.handle(IncomingEvent.say(USER, CONV, ANSWER))
    found = await engine.store.active_session(USER.key, CONV.key)
    assert found is not None and found.turns
    return found


# ---------------------------------------------------------------------------- scope settings
async def test_scope_settings_default_validate_and_round_trip(store: SQLiteStore) -> None:
    host = Settings(retention_days=60, default_length="standard")
    current = await scope.load_scope_settings(store, "discord:1")
    assert current == scope.ScopeSettings()
    assert not current.leaderboard and current.voice_allowed and current.channel_allowed("9")
    assert current.length(host) == "standard" and current.effective_retention_days(host) == 60

    changed = scope.apply_changes(
        current,
        {"channels": "<#111>, <#222>", "length": "short", "voice": "off", "retention": "30"},
        host,
        retention_supported=True,
    )
    await scope.save_scope_settings(store, "discord:1", changed, now=NOW)
    loaded = await scope.load_scope_settings(store, "discord:1")
    assert loaded.allowed_channels == ("111", "222")
    assert loaded.channel_allowed("333", "222") and not loaded.channel_allowed("333", None)
    assert (loaded.length(host), loaded.voice_allowed, loaded.effective_retention_days(host)) == (
        "short",
        False,
        30,
    )
    assert await scope.load_scope_settings(store, "discord:2") == scope.ScopeSettings()
    text = scope.describe(loaded, host)
    assert "<#111>, <#222>" in text and "not allowed" in text and "30 day(s)" in text

    with pytest.raises(CommunityError) as refused:
        scope.apply_changes(
            loaded,
            {"retention": "365", "length": "huge", "colour": "red", "voice": "maybe"},
            host,
            retention_supported=True,
        )
    message = str(refused.value)
    assert "Nothing was changed" in message and "1–60" in message
    assert "short, standard or long" in message and "unknown setting" in message
    assert "on or off" in message
    assert await scope.load_scope_settings(store, "discord:1") == loaded

    reset = scope.apply_changes(
        loaded,
        scope.parse_changes("channels=all retention=default"),
        host,
        retention_supported=True,
    )
    assert reset.allowed_channels == () and reset.retention_days is None
    with pytest.raises(CommunityError, match="key=value"):
        scope.parse_changes("make it short")


async def test_a_corrupt_settings_row_falls_back_to_the_defaults(store: SQLiteStore) -> None:
    await store.put_scope_settings("discord:1", {"default_length": "enormous"}, NOW)
    assert await scope.load_scope_settings(store, "discord:1") == scope.ScopeSettings()


def test_scope_retention_never_exceeds_a_host_that_keeps_forever() -> None:
    host = Settings(retention_days=0)
    changed = scope.apply_changes(
        scope.ScopeSettings(), {"retention": "400"}, host, retention_supported=True
    )
    assert changed.effective_retention_days(host) == 400


# ---------------------------------------------------------------------------- participants
async def test_only_the_candidate_invites_and_one_interviewer_at_a_time(
    engine: InterviewEngine,
) -> None:
    store = engine.store
    session = await running(engine)
    with pytest.raises(CommunityError, match="Only the candidate"):
        await participants.invite(
            store, session, by=OTHER.key, invitee=OTHER.key, role="observer", now=NOW
        )
    with pytest.raises(CommunityError, match="invite someone else"):
        await participants.invite(
            store, session, by=USER.key, invitee=USER.key, role="observer", now=NOW
        )
    with pytest.raises(CommunityError, match="Role must be"):
        await participants.invite(
            store, session, by=USER.key, invitee=OTHER.key, role="admin", now=NOW
        )
    assert await store.participants(session.id) == []

    await participants.invite(
        store, session, by=USER.key, invitee=OTHER.key, role="interviewer", now=NOW
    )
    with pytest.raises(CommunityError, match="already has an interviewer"):
        await participants.invite(
            store, session, by=USER.key, invitee=OBSERVER, role="interviewer", now=NOW
        )
    await participants.invite(
        store, session, by=USER.key, invitee=OBSERVER, role="observer", now=NOW
    )
    assert await participants.role_in(store, session, OTHER.key) == "interviewer"
    assert await participants.role_in(store, session, OBSERVER) == "observer"
    assert await participants.role_in(store, session, USER.key) == "candidate"
    assert await participants.role_in(store, session, "test:nobody") is None
    assert await participants.interviewer_of(store, session) == OTHER.key

    with pytest.raises(CommunityError, match="Only the candidate can remove"):
        await participants.uninvite(store, session, by=OBSERVER, user_key=OTHER.key)
    assert await participants.uninvite(store, session, by=OBSERVER, user_key=OBSERVER)  # leaves
    assert await participants.uninvite(store, session, by=USER.key, user_key=OTHER.key)
    assert not await participants.uninvite(store, session, by=USER.key, user_key=OTHER.key)
    assert await store.participants(session.id) == []


# ---------------------------------------------------------------------------- scoring
async def test_scores_on_the_rubric_and_the_recap_comparison(engine: InterviewEngine) -> None:
    store = engine.store
    session = await answered(engine)
    first = session.plan.questions[0]
    scale = scoring.rubric_scale(first)
    assert [s for s, _ in scale] == [1, 2, 3, 4, 5]
    assert scale[0][1] == first.rubric.weak and scale[4][1] == first.rubric.strong

    with pytest.raises(CommunityError, match="Only the candidate and the people"):
        await scoring.record_score(
            store, session, scorer=OBSERVER, question_index=0, score=3, now=NOW
        )
    await participants.invite(
        store, session, by=USER.key, invitee=OBSERVER, role="observer", now=NOW
    )
    await participants.invite(
        store, session, by=USER.key, invitee=OTHER.key, role="interviewer", now=NOW
    )
    with pytest.raises(CommunityError, match="hasn't been asked"):
        await scoring.record_score(
            store, session, scorer=OBSERVER, question_index=3, score=3, now=NOW
        )
    for bad in (0, 6, 2.3):
        with pytest.raises(CommunityError, match="1 to 5"):
            await scoring.record_score(
                store, session, scorer=OBSERVER, question_index=0, score=bad, now=NOW
            )

    bot = scoring.bot_scores(session)[0]
    assert bot is not None
    low = 1.0 if bot >= 3 else 5.0  # far from the bot's score, whichever it was
    await scoring.record_score(store, session, scorer=OBSERVER, question_index=0, score=3, now=NOW)
    await scoring.record_score(  # scoring again replaces
        store, session, scorer=OBSERVER, question_index=0, score=low, note="Too vague", now=NOW
    )
    await scoring.record_score(
        store, session, scorer=OTHER.key, question_index=0, score=low, now=NOW
    )
    await scoring.record_score(store, session, scorer=USER.key, question_index=0, score=4, now=NOW)

    comparison = scoring.compare(session, await store.peer_scores(session.id))
    row = comparison.rows[0]
    assert row.bot == bot and row.people_mean == low and len(row.people) == 2
    assert row.self_score == 4.0  # shown apart, never averaged in
    assert row.disagree and comparison.disagreements == [row]
    text = scoring.comparison_markdown(comparison)
    assert "Bot vs observers" in text and "⚠️" in text and "Worth discussing: Q1" in text
    assert "Too vague" in text and "you 4.0/5" in text


async def test_agreement_is_not_flagged_and_no_scores_render_nothing(
    engine: InterviewEngine,
) -> None:
    store = engine.store
    session = await answered(engine)
    assert scoring.comparison_markdown(scoring.compare(session, [])) == ""
    bot = scoring.bot_scores(session)[0]
    assert bot is not None
    await participants.invite(
        store, session, by=USER.key, invitee=OBSERVER, role="observer", now=NOW
    )
    near = min(5.0, max(1.0, round(bot * 2) / 2))
    await scoring.record_score(
        store, session, scorer=OBSERVER, question_index=0, score=near, now=NOW
    )
    comparison = scoring.compare(session, await store.peer_scores(session.id))
    assert not comparison.disagreements
    assert "broadly agree" in scoring.comparison_markdown(comparison)


# ---------------------------------------------------------------------------- peer mode
async def test_interviewer_notes_hold_what_the_candidate_must_not_see(
    engine: InterviewEngine, bank: QuestionBank
) -> None:
    session = await running(engine)
    notes = peer.interviewer_notes(session)
    assert notes is not None and notes.number == 1
    question = session.plan.questions[0]
    private = peer.notes_markdown(notes)
    assert question.text in private and "only you can see this" in private
    assert question.rubric.weak in private and question.rubric.strong in private
    for point in question.talking_points:
        assert point.point in private
    public = peer.candidate_view(session)
    assert question.text in public
    assert all(p.point not in public for p in question.talking_points)
    assert question.rubric.strong not in public

    briefing = record(bank, session.profile, "b", state="briefing")
    assert peer.interviewer_notes(briefing) is None and peer.candidate_view(briefing) == ""


async def test_swap_roles_starts_the_mirrored_session(engine: InterviewEngine) -> None:
    store = engine.store
    session = await answered(engine)
    with pytest.raises(CommunityError, match="needs a peer interviewer"):
        await peer.swap_roles(engine, session, by=USER.key, conversation=CONV, now=NOW)
    await participants.invite(
        store, session, by=USER.key, invitee=OTHER.key, role="interviewer", now=NOW
    )
    await participants.invite(
        store, session, by=USER.key, invitee=OBSERVER, role="observer", now=NOW
    )
    with pytest.raises(CommunityError, match="Finish"):
        await peer.swap_roles(engine, session, by=OTHER.key, conversation=CONV, now=NOW)
    await engine.handle(IncomingEvent.do(USER, CONV, Command.END))
    finished = await store.load_session(session.id)
    assert finished is not None and finished.state == "finished"
    with pytest.raises(CommunityError, match="Only the candidate or the interviewer"):
        await peer.swap_roles(engine, finished, by=OBSERVER, conversation=CONV, now=NOW)

    # The candidate may ask (check_swap names whose consent it needs) but not swap alone.
    assert await peer.check_swap(store, finished, by=USER.key, conversation=CONV) == OTHER.key
    with pytest.raises(CommunityError, match="Only the interviewer can accept"):
        await peer.swap_roles(engine, finished, by=USER.key, conversation=CONV, now=NOW)
    assert await store.active_session(OTHER.key, CONV.key) is None
    swap = await peer.swap_roles(engine, finished, by=OTHER.key, conversation=CONV, now=NOW)
    assert swap.new_candidate == OTHER.key and swap.new_interviewer == USER.key
    assert swap.replies and swap.replies[0].kind == "summary"
    mirrored = await store.active_session(OTHER.key, CONV.key)
    assert mirrored is not None and mirrored.id == swap.session.id
    assert mirrored.profile == finished.profile
    assert mirrored.plan.options == finished.plan.options
    assert await participants.role_in(store, mirrored, USER.key) == "interviewer"
    assert await participants.role_in(store, mirrored, OBSERVER) is None  # not carried over
    # The new candidate drives it through the engine like any interview.
    replies = await engine.handle(IncomingEvent.do(OTHER, CONV, Command.BEGIN))
    assert replies[-1].kind == "question"
    with pytest.raises(CommunityError, match="already has an interview open"):
        await peer.swap_roles(engine, finished, by=OTHER.key, conversation=CONV, now=NOW)


# ---------------------------------------------------------------------------- practice queue
async def test_queue_matches_the_same_role_type_and_expires_politely(
    store: SQLiteStore, backend_profile: JobProfile
) -> None:
    assert queue.role_type_for(backend_profile) == "software"
    assert queue.normalise_role_type("Customer support") == "customer_support"
    assert queue.normalise_role_type("SWE") == "software"
    with pytest.raises(CommunityError, match="Pick one of"):
        queue.normalise_role_type("astronaut")

    first = await queue.join(
        store, scope="discord:1", user_key="d:a", role_type="software",
        conversation_key="discord:1:5", now=NOW,
    )  # fmt: skip
    assert not first.matched and first.entry.expires_at == NOW + queue.DEFAULT_TTL_S
    assert "15 minutes" in queue.waiting_text(first)
    other_role = await queue.join(
        store, scope="discord:1", user_key="d:b", role_type="data",
        conversation_key="discord:1:5", now=NOW + 1,
    )  # fmt: skip
    elsewhere = await queue.join(
        store, scope="discord:2", user_key="d:c", role_type="software",
        conversation_key="discord:2:5", now=NOW + 2,
    )  # fmt: skip
    assert not other_role.matched and not elsewhere.matched
    again = await queue.join(  # joining twice does not match yourself
        store, scope="discord:1", user_key="d:a", role_type="software",
        conversation_key="discord:1:5", now=NOW + 3,
    )  # fmt: skip
    assert not again.matched

    pair = await queue.join(
        store, scope="discord:1", user_key="d:d", role_type="software",
        conversation_key="discord:1:5", now=NOW + 4, voice=True,
    )  # fmt: skip
    assert pair.matched and pair.partner is not None and pair.partner.user_key == "d:a"
    assert [e.user_key for e in await store.queue_entries("discord:1")] == ["d:b"]

    gone = await queue.expire(store, NOW + queue.DEFAULT_TTL_S + 10)
    assert sorted(e.user_key for e in gone) == ["d:b", "d:c"]
    text = queue.expired_text(gone[0])
    assert "took you out of the queue" in text and "try again" in text
    assert await store.queue_entries("discord:1") == []
    assert not await queue.leave(store, scope="discord:1", user_key="d:b")
    with pytest.raises(CommunityError, match="Voice isn't allowed"):
        queue.check_voice(True, voice_allowed=False)
    assert queue.check_voice(True, voice_allowed=True)


async def test_concurrent_joiners_never_share_one_partner(store: SQLiteStore) -> None:
    await queue.join(
        store, scope="s", user_key="u0", role_type="data", conversation_key="c", now=NOW
    )
    results = await asyncio.gather(
        *(
            queue.join(
                store,
                scope="s",
                user_key=f"u{i}",
                role_type="data",
                conversation_key="c",
                now=NOW + i,
            )
            for i in range(1, 5)
        )
    )
    partners = [r.partner.user_key for r in results if r.partner is not None]
    assert len(partners) == len(set(partners)) == 2  # u0 and one later joiner, each once


# ---------------------------------------------------------------------------- leaderboard
async def test_leaderboard_is_off_by_default_and_counts_sessions_not_scores(
    store: SQLiteStore, bank: QuestionBank, backend_profile: JobProfile
) -> None:
    week = leaderboard.week_start(NOW)
    assert datetime.fromtimestamp(week, UTC).weekday() == 0
    done = [
        ("a1", "d:ann", week + 100),
        ("a2", "d:ann", week + 200),
        ("a3", "d:ann", week - 3 * 86_400),  # last week too: a two-week streak
        ("b1", "d:bob", week + 300),
        ("b2", "d:bob", week - 10 * 86_400),  # two weeks ago: the streak is broken
        ("x1", "d:eve", week + 400),  # another server
    ]
    for sid, user, at in done:
        conv = "discord:2:9" if user == "d:eve" else "discord:1:9"
        await store.create_session(
            record(bank, backend_profile, sid, user, conv=conv, state="finished", at=at)
        )
    await store.create_session(
        record(bank, backend_profile, "open", "d:bob", conv="discord:1:9", at=week + 500)
    )

    off = await leaderboard.leaderboard_text(store, scope.ScopeSettings(), "discord:1:", NOW)
    assert "off on this server" in off
    standings = await leaderboard.weekly_standings(store, "discord:1:", NOW)
    assert [(s.user_key, s.this_week, s.streak) for s in standings] == [
        ("d:ann", 2, 2),
        ("d:bob", 1, 1),
    ]
    on = scope.ScopeSettings(leaderboard=True)
    text = await leaderboard.leaderboard_text(store, on, "discord:1:", NOW, mention="<{}>")
    assert "1. <ann> — 2 sessions · 2-week streak" in text and "2. <bob> — 1 session" in text
    assert "d:eve" not in text and "/5" not in text  # no scores on the board
    empty = await leaderboard.leaderboard_text(store, on, "discord:3:", NOW)
    assert "No practice sessions" in empty


# ---------------------------------------------------------------------------- scheduling
@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2027-02-01 18:00", "UTC", "2027-02-01 18:00"),
        ("2027-02-01T18:00", "Europe/Berlin", "2027-02-01 18:00"),
        ("tomorrow 18:00", "UTC", "2027-01-16 18:00"),
        ("tomorrow at 6pm", "America/New_York", "2027-01-16 18:00"),
        ("in 2h", "UTC", "2027-01-15 10:00"),
        ("in 1h30m", "UTC", "2027-01-15 09:30"),
        ("in 45 minutes", "UTC", "2027-01-15 08:45"),
        ("monday 7pm", "UTC", "2027-01-18 19:00"),
        ("friday 07:00", "UTC", "2027-01-22 07:00"),  # today's 07:00 has passed: next week
        ("07:00", "UTC", "2027-01-16 07:00"),  # a bare time that passed means tomorrow
    ],
)
def test_parse_when(text: str, zone: str, expected: str) -> None:
    assert datetime.fromtimestamp(NOW, UTC).strftime("%Y-%m-%d %H:%M") == "2027-01-15 08:00"
    assert schedule.parse_when(text, zone, NOW).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        ("2026-01-01 10:00", "UTC", "in the past"),
        ("in 10 seconds", "UTC", "use m, h or d"),
        ("in 400 days", "UTC", "more than a year"),
        ("tomorrow", "UTC", "add a time"),
        ("2027-02-30 10:00", "UTC", "is not a date"),
        ("whenever", "UTC", "I can't read"),
        ("tomorrow 25:00", "UTC", "time of day"),
        ("in 2h", "Mars/Olympus_Mons", "not a time zone"),
    ],
)
def test_parse_when_refuses_with_a_reason(text: str, zone: str, message: str) -> None:
    with pytest.raises(CommunityError, match=message):
        schedule.parse_when(text, zone, NOW)


async def test_reminders_survive_a_restart_and_are_delivered_once(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = SQLiteStore(path)
    await first.open()
    try:
        made = await schedule.create_reminder(
            first, user_key="d:ann", conversation_key="discord:dm:7", when_text="in 2h",
            zone_name="Europe/Berlin", now=NOW, note="system design",
        )  # fmt: skip
        assert "Europe/Berlin" in made.confirmation()
        assert made.reminder.text.endswith("(system design)")
        assert await schedule.deliver_due_reminders(first, _never, NOW + 60) == 0
    finally:
        await first.close()

    second, third = SQLiteStore(path), SQLiteStore(path)  # after a restart, two deliverers
    await second.open()
    await third.open()
    try:
        listed = schedule.reminder_list(await second.reminders_for_user("d:ann"), "Europe/Berlin")
        assert made.reminder.id in listed
        delivered: list[Reminder] = []

        async def send(reminder: Reminder) -> None:
            delivered.append(reminder)

        due = NOW + 2 * 3600 + 1
        counts = await asyncio.gather(
            schedule.deliver_due_reminders(second, send, due),
            schedule.deliver_due_reminders(third, send, due),
        )
        assert sorted(counts) == [0, 1] and [r.id for r in delivered] == [made.reminder.id]
        assert await second.reminders_for_user("d:ann") == []
        assert await schedule.deliver_due_reminders(second, send, due + 60) == 0
    finally:
        await second.close()
        await third.close()


async def _never(reminder: Reminder) -> None:
    raise AssertionError(f"{reminder.id} is not due yet")


async def test_reminder_limit_and_cancel(store: SQLiteStore) -> None:
    ids = iter(range(100))
    for _ in range(schedule.MAX_REMINDERS):
        await schedule.create_reminder(
            store, user_key="d:a", conversation_key="c", when_text="in 3h", zone_name="UTC",
            now=NOW, new_id=lambda: f"r{next(ids)}",
        )  # fmt: skip
    with pytest.raises(CommunityError, match="cancel one"):
        await schedule.create_reminder(
            store, user_key="d:a", conversation_key="c", when_text="in 3h", zone_name="UTC",
            now=NOW,
        )  # fmt: skip
    assert not await store.cancel_reminder("r0", "d:someone-else")
    assert await store.cancel_reminder("r0", "d:a")


def test_ics_is_a_valid_calendar_event_in_the_users_zone() -> None:
    reminder = Reminder("rid1", "d:a", "c", NOW + 7200, "Time for your interview practice!", NOW)
    raw = schedule.reminder_ics(reminder, "Europe/Berlin")
    calendar = Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    start = event.decoded("dtstart")
    assert start.timestamp() == NOW + 7200
    assert str(start.tzinfo) == "Europe/Berlin" or getattr(start.tzinfo, "key", "") == (
        "Europe/Berlin"
    )
    assert (event.decoded("dtend") - start).total_seconds() == 30 * 60
    assert str(event["uid"]) == "rid1@interview-bot"
    assert list(calendar.walk("VTIMEZONE")) and list(event.walk("VALARM"))
    assert b"TZID=Europe/Berlin" in raw


# ---------------------------------------------------------------------------- prefs, forget
async def test_audio_is_kept_only_after_opt_in_and_forget_counts_everything(
    engine: InterviewEngine,
) -> None:
    store = engine.store
    session = await answered(engine)
    assert not await prefs.audio_opt_in(store, USER.key)
    kept = await prefs.keep_audio_if_opted_in(
        store, USER.key, session_id=session.id, question_index=0, data=b"RIFF", format="wav",
        now=NOW,
    )  # fmt: skip
    assert not kept and await store.audio_for_session(session.id) == []
    assert "on" in await prefs.set_audio_opt_in(store, USER.key, True, now=NOW)
    assert await prefs.keep_audio_if_opted_in(
        store, USER.key, session_id=session.id, question_index=0, data=b"RIFF", format="wav",
        now=NOW,
    )  # fmt: skip
    assert len(await store.audio_for_session(session.id)) == 1
    assert await prefs.set_time_zone(store, USER.key, "Asia/Tokyo", now=NOW) == "Asia/Tokyo"
    assert await prefs.time_zone(store, USER.key) == "Asia/Tokyo"
    with pytest.raises(CommunityError):
        await prefs.set_time_zone(store, USER.key, "Nowhere/Special", now=NOW)

    await participants.invite(
        store, session, by=USER.key, invitee=OBSERVER, role="observer", now=NOW
    )
    await scoring.record_score(store, session, scorer=OBSERVER, question_index=0, score=3, now=NOW)
    await schedule.create_reminder(
        store, user_key=USER.key, conversation_key=CONV.key, when_text="in 1h", zone_name="UTC",
        now=NOW,
    )  # fmt: skip
    await queue.join(
        store, scope="test:c1", user_key=USER.key, role_type="software",
        conversation_key=CONV.key, now=NOW,
    )  # fmt: skip

    report = await store.forget_user(USER.key)
    assert report.sessions == 1 and report.audio_clips == 1 and report.reminders == 1
    assert report.queue_entries == 1 and report.preferences == 1 and report.peer_scores >= 1
    summary = forget_summary(report)
    for words in ("stored audio", "reminder", "practice-queue", "preference"):
        assert words in summary
    assert await store.get_user_prefs(USER.key) == {}
    assert await store.participants(session.id) == []


async def test_per_scope_retention_is_refused_only_where_the_store_cannot_enforce_it(
    store: SQLiteStore,
) -> None:
    # Both backends purge one server's sessions; a store without purge_scope_before (a test
    # double, a third-party backend) gets the refusal instead of a promise nothing keeps.
    assert scope.retention_enforceable(store)
    assert not scope.retention_enforceable(object())
    assert "Nothing was changed" in scope.RETENTION_UNAVAILABLE
    with pytest.raises(CommunityError, match="isn't available on this bot yet"):
        scope.apply_changes(scope.ScopeSettings(), {"retention": "30"}, Settings())
