"""Who besides the candidate may be in a session, and how they get there.

A session is private to its candidate. The candidate, and only the candidate, lets people in:
an *observer* watches and scores each answer on the bot's rubric; an *interviewer* (peer mode)
also sees the plan's hidden notes and asks the questions. Anyone let in may leave on their own.
Every check here is on user keys from the platform's authenticated event, never on names or
mentions typed in a message.
"""

from __future__ import annotations

from bot.community.errors import CommunityError
from bot.ports import PARTICIPANT_ROLES, Participant, SessionRecord, Store

CANDIDATE = "candidate"
OBSERVER = "observer"
INTERVIEWER = "interviewer"
MAX_PARTICIPANTS = 10


async def role_in(store: Store, record: SessionRecord, user_key: str) -> str | None:
    """``candidate``, ``observer``, ``interviewer`` or None (not in this session)."""
    if user_key == record.user_key:
        return CANDIDATE
    for participant in await store.participants(record.id):
        if participant.user_key == user_key:
            return participant.role
    return None


async def invite(
    store: Store,
    record: SessionRecord,
    *,
    by: str,
    invitee: str,
    role: str,
    now: float,
) -> Participant:
    """Let ``invitee`` into the candidate's session with ``role``. Inviting someone already in it
    changes their role. Raises ``CommunityError`` (nothing stored) when ``by`` is not the
    candidate, the session was cancelled, the role is unknown, the invitee is the candidate, a
    second interviewer is asked for, or the session is full."""
    if by != record.user_key:
        raise CommunityError("Only the candidate can invite people to their interview.")
    if role not in PARTICIPANT_ROLES:
        raise CommunityError(f"Role must be one of: {', '.join(PARTICIPANT_ROLES)}.")
    if invitee == record.user_key:
        raise CommunityError("You are the candidate in this interview; invite someone else.")
    if record.state == "cancelled":
        raise CommunityError("That interview was cancelled; start a new one first.")
    current = await store.participants(record.id)
    others = [p for p in current if p.user_key != invitee]
    if role == INTERVIEWER and any(p.role == INTERVIEWER for p in others):
        raise CommunityError(
            "This interview already has an interviewer. Remove them first (uninvite), or invite "
            "this person as an observer."
        )
    if len(others) >= MAX_PARTICIPANTS:
        raise CommunityError(f"An interview can have at most {MAX_PARTICIPANTS} guests.")
    participant = Participant(record.id, invitee, role, now)
    await store.add_participant(participant)
    return participant


async def uninvite(store: Store, record: SessionRecord, *, by: str, user_key: str) -> bool:
    """Remove ``user_key`` from the session: the candidate may remove anyone, a guest only
    themselves. Returns False when they were not in it. Their scores stay with the session (the
    candidate's record of what was said) until the candidate or the scorer forgets them."""
    if by != record.user_key and by != user_key:
        raise CommunityError("Only the candidate can remove other people from their interview.")
    return await store.remove_participant(record.id, user_key)


async def interviewer_of(store: Store, record: SessionRecord) -> str | None:
    """The peer interviewer's user key, if the candidate invited one."""
    for participant in await store.participants(record.id):
        if participant.role == INTERVIEWER:
            return participant.user_key
    return None


def platform_id(user_key: str) -> str:
    """``discord:123`` -> ``123``: what a ``mention`` template such as ``<@{}>`` is given."""
    return user_key.partition(":")[2] or user_key


def guest_list(participants: list[Participant], mention: str = "{}") -> str:
    """Who else is in the session, for a status line ("Interviewer: @c · Observers: @a, @b").
    ``mention`` is a template given the platform's user id (``<@{}>`` in Discord and Slack)."""
    parts = []
    for role, label in ((INTERVIEWER, "Interviewer"), (OBSERVER, "Observers")):
        people = [mention.format(platform_id(p.user_key)) for p in participants if p.role == role]
        if people:
            parts.append(f"{label}: {', '.join(people)}")
    return " · ".join(parts) or "No guests: only you can see this interview."
