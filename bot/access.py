"""Who may see a session (issue 11): its candidate and the people the candidate let in, nobody else.

There is deliberately no admin override: an operator or workspace admin reads a transcript only
through a link the candidate made (``bot.share``). Every adapter resolves a user-typed session
reference through ``viewable_session`` so the rule lives in one place, and a session that is not
yours is reported with exactly the words used for one that does not exist: an id cannot be probed.
"""

from __future__ import annotations

import re

from bot.ports import SessionRecord, Store

# Short enough to type from ``history``; long enough that a prefix rarely matches two sessions.
MIN_PREFIX = 4
# How many of the user's sessions a prefix is matched against (``history`` shows no more).
PREFIX_SCAN_LIMIT = 200
_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class AccessDenied(Exception):
    """The user may not see or change this session. ``str()`` is safe to show to that user: it
    never says whether the session exists or whose it is."""


def not_found(session_ref: str) -> AccessDenied:
    """The one refusal for "does not exist" and "not yours" alike."""
    shown = re.sub(r"[^A-Za-z0-9_-]", "?", session_ref.strip()[:64])  # echoed, so never markup
    return AccessDenied(f"No such session: {shown}")


async def can_view(store: Store, record: SessionRecord, user_key: str) -> bool:
    """True for the candidate and for participants (observers, peer interviewers) of the session.

    Participants are read fresh from the store on every call, so removing someone takes effect
    at once rather than when some cache expires."""
    if record.user_key == user_key:
        return True
    return any(p.user_key == user_key for p in await store.participants(record.id))


async def viewable_session(store: Store, session_ref: str, user_key: str) -> SessionRecord:
    """The session ``session_ref`` names, if ``user_key`` may view it; else ``AccessDenied``.

    ``session_ref`` is a full id or a prefix of at least ``MIN_PREFIX`` characters. A prefix is
    matched only against sessions the user may view (their own and those they were let into), so
    matching cannot reveal anyone else's ids; a prefix matching several of them is refused with
    the candidates listed (they are all the user's to see).
    """
    ref = session_ref.strip()
    if not _REF.match(ref):
        raise not_found(session_ref)
    record = await store.load_session(ref)
    if record is not None and await can_view(store, record, user_key):
        return record
    if len(ref) < MIN_PREFIX:
        raise not_found(ref)
    own = [r.id for r in await store.sessions_for_user(user_key, limit=PREFIX_SCAN_LIMIT)]
    invited = await store.sessions_participating(user_key, limit=PREFIX_SCAN_LIMIT)
    matches = [sid for sid in dict.fromkeys([*own, *invited]) if sid.startswith(ref)]
    if len(matches) > 1:
        raise AccessDenied(
            f"{ref} matches several of your sessions ({', '.join(sorted(matches)[:5])}): "
            "type more of the id."
        )
    if matches:
        record = await store.load_session(matches[0])
        if record is not None and await can_view(store, record, user_key):
            return record
    raise not_found(ref)


async def own_session(store: Store, session_ref: str, user_key: str) -> SessionRecord:
    """Like ``viewable_session`` but only for the candidate: sharing and revoking are the
    candidate's decisions, not an observer's. An observer is told so (they already know the
    session exists); anyone else gets the usual "No such session"."""
    record = await viewable_session(store, session_ref, user_key)
    if record.user_key != user_key:
        raise AccessDenied("Only the candidate can share this session or revoke its links.")
    return record
