"""The practice queue: two members of one server who want the same kind of role get paired.

A *role type* is the job family the analyser already derives (``JobProfile.role_family``:
software, data, product, nursing…), so "what I practise for" needs no new vocabulary; a member
may also pick one. Matching is the store's atomic ``join_queue`` (two joiners never take the same
waiting partner, even across processes). Entries expire after ``DEFAULT_TTL_S``; expiry is a
polite message with an offer to queue again, never a silent drop.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.community.errors import CommunityError
from bot.domain import JobProfile
from bot.ports import QueueEntry, Store

DEFAULT_TTL_S = 15 * 60.0
MAX_TTL_S = 2 * 3600.0
ROLE_TYPES: tuple[str, ...] = (
    "software",
    "data",
    "devops",
    "qa",
    "security",
    "product",
    "design",
    "management",
    "sales",
    "marketing",
    "customer_support",
    "finance",
    "hr",
    "operations",
    "teaching",
    "nursing",
    "healthcare",
    "hospitality",
    "general",
)
_ALIASES = {
    "swe": "software",
    "engineering": "software",
    "backend": "software",
    "frontend": "software",
    "developer": "software",
    "ml": "data",
    "analytics": "data",
    "sre": "devops",
    "support": "customer_support",
    "pm": "product",
    "ux": "design",
    "any": "general",
}


def role_type_for(profile: JobProfile) -> str:
    """The queue's role type for a job: its analysed family."""
    family = profile.role_family
    return family if family in ROLE_TYPES else "general"


def normalise_role_type(text: str) -> str:
    """A typed role type -> one of ``ROLE_TYPES``; raises ``CommunityError`` listing them."""
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in ROLE_TYPES:
        raise CommunityError(
            f"“{text}” is not a role type I match on. Pick one of: {', '.join(ROLE_TYPES)}."
        )
    return key


def role_label(role_type: str) -> str:
    return role_type.replace("_", " ")


@dataclass(frozen=True, slots=True)
class JoinResult:
    """Either ``partner`` (matched: open a shared room for both) or a waiting ``entry``."""

    entry: QueueEntry
    partner: QueueEntry | None

    @property
    def matched(self) -> bool:
        return self.partner is not None


async def join(
    store: Store,
    *,
    scope: str,
    user_key: str,
    role_type: str,
    conversation_key: str,
    now: float,
    ttl_s: float = DEFAULT_TTL_S,
    voice: bool = False,
) -> JoinResult:
    """Queue ``user_key`` for ``role_type`` in ``scope`` or match them with someone waiting.
    Joining again replaces the user's earlier entry (a new role type or a fresh timer)."""
    if not 60 <= ttl_s <= MAX_TTL_S:
        raise CommunityError("Wait between 1 minute and 2 hours.")
    entry = QueueEntry(
        scope=scope,
        user_key=user_key,
        role_type=normalise_role_type(role_type),
        conversation_key=conversation_key,
        enqueued_at=now,
        expires_at=now + ttl_s,
        voice=voice,
    )
    partner = await store.join_queue(entry, now)
    if partner is not None and partner.user_key == user_key:
        # A store must never match a user with themselves; treat it as waiting, loudly.
        raise RuntimeError("join_queue matched a user with their own entry")
    return JoinResult(entry, partner)


def waiting_text(result: JoinResult) -> str:
    entry = result.entry
    minutes = round((entry.expires_at - entry.enqueued_at) / 60)
    return (
        f"You're in the practice queue for **{role_label(entry.role_type)}** roles. When someone "
        f"else here asks for the same, I'll open a shared thread for you both. I'll keep your "
        f"place for {minutes} minutes; leave any time with the leave command."
    )


def matched_text(role_type: str, voice: bool) -> str:
    extra = " and a voice channel (you both opted in)" if voice else ""
    return (
        f"Matched for **{role_label(role_type)}** practice! Here's your shared thread{extra}. "
        "Decide who interviews first: the candidate starts an interview here and invites the "
        "other as interviewer; swap roles when it's done."
    )


def expired_text(entry: QueueEntry) -> str:
    """What the member is told when nobody turned up in time (polite, with a way back in)."""
    return (
        f"Nobody else was looking for **{role_label(entry.role_type)}** practice in the last "
        f"{round((entry.expires_at - entry.enqueued_at) / 60)} minutes, so I took you out of the "
        "queue. Want to try again? Join the queue once more, or start a solo interview "
        "any time."
    )


async def leave(store: Store, *, scope: str, user_key: str) -> bool:
    return await store.leave_queue(scope, user_key)


async def expire(store: Store, now: float) -> list[QueueEntry]:
    """Entries whose time ran out (removed); the adapter tells each member ``expired_text``."""
    return await store.expire_queue(now)


def check_voice(voice_requested: bool, voice_allowed: bool) -> bool:
    """The voice opt-in as it will be honoured; refuses clearly where the scope forbids voice."""
    if voice_requested and not voice_allowed:
        raise CommunityError(
            "Voice isn't allowed on this server (an admin chose that). Queue without voice."
        )
    return voice_requested
