"""Practice reminders: "remind me tomorrow at 18:00", kept in the store so restarts lose none.

``parse_when`` reads what people type ("2026-12-01 18:00", "tomorrow 18:00", "monday 7pm",
"in 2h", "in 1h30m") in an IANA zone and refuses the past, far futures and unknown zones with a
message that says what to type instead. ``deliver_due_reminders`` claims each due reminder with
``mark_reminder_sent`` before sending it, so several processes on one database never send one
twice (a send that then fails is logged, not retried: a duplicate nudge is worse than a missed
one). ``reminder_ics`` is the same event as an ``.ics`` file for the user's own calendar.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from icalendar import Alarm, Calendar, Event

from bot.community.errors import CommunityError
from bot.community.prefs import zone
from bot.ports import Reminder, Store

log = logging.getLogger(__name__)

MIN_LEAD_S = 60.0
MAX_AHEAD_DAYS = 366
MAX_REMINDERS = 20
MAX_NOTE_CHARS = 200
EVENT_MINUTES = 30
DEFAULT_TEXT = "Time for your interview practice!"
LOOP_INTERVAL_S = 30.0
BATCH = 50

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
# Each repetition must start with a digit and the unit with a letter, so the pattern cannot match
# one text in several ways: no catastrophic backtracking on hostile input ("in 1xand 1xand …").
# "and" between parts is removed before matching (``_AND``).
_RELATIVE = re.compile(r"^in\s+((?:\d+\s*[a-z]+\s*)+)$")
_AND = re.compile(r"\s+and\s+")
MAX_WHEN_CHARS = 80  # the longest sensible "when" is ~30 characters; Slack sends up to 4,000
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
EXAMPLES = "“2026-12-01 18:00”, “tomorrow 18:00”, “friday 7pm”, “in 2h” or “in 45m”"


def _clock(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if match is None:
        raise CommunityError(f"I can't read “{text}” as a time of day; try 18:00 or 6pm.")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise CommunityError(f"“{text}”: with am/pm the hour goes from 1 to 12.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise CommunityError(f"“{text}” is not a time of day.")
    return hour, minute


def parse_when(text: str, zone_name: str, now: float) -> datetime:
    """When ``text`` means, as an aware datetime in ``zone_name``. Raises ``CommunityError``."""
    tz: tzinfo = zone(zone_name or "UTC")
    local_now = datetime.fromtimestamp(now, tz)
    if len(text) > MAX_WHEN_CHARS:
        raise CommunityError(f"That is too long to be a time. Try {EXAMPLES}.")
    cleaned = " ".join(text.strip().lower().replace(" at ", " ").split())
    if not cleaned:
        raise CommunityError(f"When? For example {EXAMPLES}.")
    relative = _RELATIVE.match(_AND.sub(" ", cleaned))
    if relative:
        seconds = 0
        for amount, unit in _PART.findall(relative.group(1)):
            if unit not in _UNITS:
                raise CommunityError(f"“{unit}”: use m, h or d (minutes, hours, days).")
            seconds += int(amount) * _UNITS[unit]
        if seconds > MAX_AHEAD_DAYS * 86_400:  # before timedelta, which overflows on huge values
            raise CommunityError("That's more than a year away; pick a date within the next year.")
        when = (local_now + timedelta(seconds=seconds)).replace(microsecond=0)
    else:
        cleaned = re.sub(r"^(\d{4}-\d{2}-\d{2})t", r"\1 ", cleaned)  # ISO 8601's "T"
        day_word, _, clock_text = cleaned.partition(" ")
        date_match = _DATE.match(day_word)
        if date_match:
            if not clock_text:
                raise CommunityError(f"“{text}”: add a time, e.g. {day_word} 18:00.")
            hour, minute = _clock(clock_text)
            try:
                when = datetime(
                    int(date_match.group(1)),
                    int(date_match.group(2)),
                    int(date_match.group(3)),
                    hour,
                    minute,
                    tzinfo=tz,
                )
            except ValueError:
                raise CommunityError(f"“{day_word}” is not a date.") from None
        elif day_word in ("today", "tonight", "tomorrow") or day_word in _WEEKDAYS:
            if not clock_text:
                raise CommunityError(f"“{text}”: add a time, e.g. {day_word} 18:00.")
            hour, minute = _clock(clock_text)
            if day_word in ("today", "tonight"):
                offset = 0
            elif day_word == "tomorrow":
                offset = 1
            else:
                offset = (_WEEKDAYS.index(day_word) - local_now.weekday()) % 7
            day = local_now.date() + timedelta(days=offset)
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            if day_word in _WEEKDAYS and when.timestamp() <= now:
                when += timedelta(days=7)
        else:
            try:
                hour, minute = _clock(cleaned)
            except CommunityError:
                raise CommunityError(f"I can't read “{text}”. Try {EXAMPLES}.") from None
            day = local_now.date()
            when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            if when.timestamp() <= now:  # a bare time that has passed today means tomorrow
                when += timedelta(days=1)
    if when.timestamp() < now + MIN_LEAD_S:
        shown = when.strftime("%Y-%m-%d %H:%M")
        raise CommunityError(
            f"{shown} ({zone_name or 'UTC'}) is in the past or less than a minute away; pick a "
            "later time."
        )
    if when.timestamp() > now + MAX_AHEAD_DAYS * 86_400:
        raise CommunityError("That's more than a year away; pick a date within the next year.")
    return when


@dataclass(frozen=True, slots=True)
class Scheduled:
    reminder: Reminder
    when: datetime  # in the user's zone

    def confirmation(self) -> str:
        local = self.when.strftime("%A %d %B %Y, %H:%M")
        zone_name = getattr(self.when.tzinfo, "key", "UTC")
        return (
            f"Reminder set for {local} ({zone_name}); I'll message you here. It's kept even if "
            "I restart. Add it to your calendar with the attached .ics file."
        )


async def create_reminder(
    store: Store,
    *,
    user_key: str,
    conversation_key: str,
    when_text: str,
    zone_name: str,
    now: float,
    note: str = "",
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
) -> Scheduled:
    """Parse, check the per-user limit and store the reminder. Raises ``CommunityError``."""
    when = parse_when(when_text, zone_name, now)
    pending = await store.reminders_for_user(user_key)
    if len(pending) >= MAX_REMINDERS:
        raise CommunityError(
            f"You already have {len(pending)} reminders waiting; cancel one before adding more."
        )
    text = DEFAULT_TEXT + (f" ({note.strip()[:MAX_NOTE_CHARS]})" if note.strip() else "")
    reminder = Reminder(
        id=new_id(),
        user_key=user_key,
        conversation_key=conversation_key,
        due_at=when.timestamp(),
        text=text,
        created_at=now,
    )
    await store.add_reminder(reminder)
    return Scheduled(reminder, when)


def reminder_ics(reminder: Reminder, zone_name: str = "UTC") -> bytes:
    """A one-event calendar (RFC 5545) for the reminder, in the user's zone with its VTIMEZONE,
    and a display alarm ten minutes before."""
    tz = zone(zone_name or "UTC")
    calendar = Calendar()
    calendar.add("prodid", "-//interview-bot//practice reminder//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{reminder.id}@interview-bot")
    event.add("dtstamp", datetime.fromtimestamp(reminder.created_at, UTC))
    start = datetime.fromtimestamp(reminder.due_at, tz)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
    event.add("summary", "Interview practice")
    event.add("description", reminder.text)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", reminder.text)
    alarm.add("trigger", timedelta(minutes=-10))
    event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def reminder_list(reminders: list[Reminder], zone_name: str = "UTC") -> str:
    if not reminders:
        return "You have no reminders waiting."
    tz = zone(zone_name or "UTC")
    lines = ["**Your reminders**"]
    for reminder in reminders:
        local = datetime.fromtimestamp(reminder.due_at, tz).strftime("%a %d %b %Y %H:%M")
        lines.append(f"• {local} ({zone_name or 'UTC'}) — {reminder.text} · id `{reminder.id}`")
    return "\n".join(lines)


Send = Callable[[Reminder], Awaitable[None]]


async def deliver_due_reminders(store: Store, send: Send, now: float) -> int:
    """Send every reminder due at ``now``; returns how many were sent. Each is claimed first
    (``mark_reminder_sent`` is true for exactly one caller), so concurrent loops in several
    processes split the work without duplicates."""
    sent = 0
    for reminder in await store.due_reminders(now, BATCH):
        if not await store.mark_reminder_sent(reminder.id, now):
            continue  # another process took it
        try:
            await send(reminder)
            sent += 1
        except Exception:
            log.exception("reminder %s could not be delivered; it is not retried", reminder.id)
    return sent


async def reminder_loop(
    store: Store,
    send: Send,
    *,
    interval_s: float = LOOP_INTERVAL_S,
    clock: Callable[[], float] = time.time,
) -> None:
    """Deliver due reminders every ``interval_s`` until cancelled; a failing round is logged and
    the next one tries again (a store outage must not end the loop)."""
    while True:
        try:
            await deliver_due_reminders(store, send, clock())
        except Exception:
            log.exception("reminder round failed; retrying in %.0f s", interval_s)
        await asyncio.sleep(interval_s)
