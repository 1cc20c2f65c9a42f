"""Per-user preferences that group practice and voice read: the audio opt-in and a time zone.

Stored as one JSON object per user (``Store.get_user_prefs``/``put_user_prefs``); ``forget``
deletes it with everything else. Audio is never kept unless ``audio_opt_in`` is true, and the
helper that stores a clip checks it itself, so a caller cannot forget to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.access import AccessDenied, viewable_session
from bot.community.errors import CommunityError
from bot.ports import Store, StoredAudio

AUDIO_OPT_IN = "audio_opt_in"
TIME_ZONE = "time_zone"
# How a candidate gets kept clips back, on every adapter (said where the opt-in is switched on).
GET_RECORDINGS = (
    "get them with `/interview recordings SESSION` (Discord, Slack) or "
    "`interview-bot export SESSION --audio DIR` (terminal)"
)
_FORMAT = re.compile(r"^[a-z0-9]{1,8}$")


async def audio_opt_in(store: Store, user_key: str) -> bool:
    return (await store.get_user_prefs(user_key)).get(AUDIO_OPT_IN) is True


async def set_audio_opt_in(store: Store, user_key: str, on: bool, *, now: float) -> str:
    """Switch the opt-in; returns the sentence to show. Turning it off does not delete clips
    already kept (``forget`` does); the message says so."""
    prefs = dict(await store.get_user_prefs(user_key))
    prefs[AUDIO_OPT_IN] = bool(on)
    await store.put_user_prefs(user_key, prefs, now)
    if on:
        return (
            "Audio opt-in is on: recordings of your spoken answers will be kept with their "
            "interview and deleted with it — by retention or by forget. To listen back, "
            f"{GET_RECORDINGS} (only you, the candidate, can)."
        )
    return (
        "Audio opt-in is off: from now on recordings are transcribed and discarded. Clips "
        "already kept stay with their interviews until those expire or you use forget."
    )


async def keep_audio_if_opted_in(
    store: Store,
    user_key: str,
    *,
    session_id: str,
    question_index: int,
    data: bytes,
    format: str,
    now: float,
) -> bool:
    """Store one spoken answer only when the candidate opted in; returns whether it was kept."""
    if not await audio_opt_in(store, user_key):
        return False
    await store.save_audio(StoredAudio(session_id, question_index, format, data, now))
    return True


@dataclass(frozen=True, slots=True)
class Recording:
    """One kept clip as a file: ``q01.ogg`` for the answer to question 1 (``q01-2.ogg`` for a
    second clip of the same question)."""

    filename: str
    data: bytes


async def recordings(store: Store, session_ref: str, user_key: str) -> tuple[str, list[Recording]]:
    """The kept clips of one session, for its candidate only: ``(session id, files)``.

    ``AccessDenied`` (``bot.access``) for a session the user may not see, worded as for one
    that does not exist; an observer or peer interviewer is refused too: the recordings are the
    candidate's voice, and being let in to watch is not consent to take it home."""
    record = await viewable_session(store, session_ref, user_key)
    if record.user_key != user_key:
        raise AccessDenied("Only the candidate can get the recordings of their answers.")
    files: list[Recording] = []
    seen: dict[int, int] = {}
    for clip in await store.audio_for_session(record.id):
        # The format came from a platform's file name or MIME type: never trust it in a path.
        fmt = clip.format.lower().lstrip(".")
        fmt = fmt if _FORMAT.match(fmt) else "bin"
        seen[clip.question_index] = seen.get(clip.question_index, 0) + 1
        again = f"-{seen[clip.question_index]}" if seen[clip.question_index] > 1 else ""
        files.append(Recording(f"q{clip.question_index + 1:02d}{again}.{fmt}", clip.data))
    return record.id, files


def zone(name: str) -> ZoneInfo:
    """An IANA zone by name (``Europe/Berlin``); ``CommunityError`` for an unknown one."""
    cleaned = name.strip()
    if cleaned.upper() in ("UTC", "Z", "GMT"):
        cleaned = "UTC"
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise CommunityError(
            f"“{name}” is not a time zone I know. Use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC."
        ) from None


async def time_zone(store: Store, user_key: str) -> str:
    """The user's saved zone name, or UTC."""
    value = (await store.get_user_prefs(user_key)).get(TIME_ZONE)
    return value if isinstance(value, str) and value else "UTC"


async def set_time_zone(store: Store, user_key: str, name: str, *, now: float) -> str:
    zone(name)  # validates
    prefs = dict(await store.get_user_prefs(user_key))
    prefs[TIME_ZONE] = name.strip()
    await store.put_user_prefs(user_key, prefs, now)
    return name.strip()
