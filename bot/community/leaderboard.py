"""The weekly practice leaderboard: who kept practising, never who scored best.

Counting completed sessions (not scores) keeps it about habit: a score board would reward
cherry-picking easy jobs and punish the people practising what they are worst at. It is off unless
a server's admins switch it on (``ScopeSettings.leaderboard``). Weeks start Monday 00:00 UTC so
every member of a server sees the same board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.community.participants import platform_id
from bot.community.scope import ScopeSettings
from bot.ports import Store

WEEK_S = 7 * 86_400.0
STREAK_WEEKS = 12  # how far back a streak is counted
TOP = 10
_LIMIT = 1000  # users read per query: far more than a board shows, so streaks are exact


def week_start(now: float) -> float:
    """Monday 00:00 UTC of the week containing ``now``."""
    moment = datetime.fromtimestamp(now, UTC)
    monday = (moment - timedelta(days=moment.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday.timestamp()


@dataclass(frozen=True, slots=True)
class Standing:
    user_key: str
    this_week: int  # sessions completed since Monday
    streak: int  # consecutive weeks, this one included, with at least one completed session


async def _counts(store: Store, prefixes: tuple[str, ...], since: float) -> dict[str, int]:
    """Sessions finished since ``since`` per user, summed over the (disjoint) prefixes."""
    total: dict[str, int] = {}
    for prefix in prefixes:
        for user, count in await store.completed_counts(prefix, since, _LIMIT):
            total[user] = total.get(user, 0) + count
    return total


async def weekly_standings(
    store: Store, conversation_prefix: str | tuple[str, ...], now: float, *, top: int = TOP
) -> list[Standing]:
    """This week's board for the sessions whose conversation key starts with the prefix (a
    server: ``discord:<guild id>:``) or with any of several disjoint prefixes (Slack's channel
    kinds), most sessions first, then longest streak."""
    prefixes = (
        (conversation_prefix,) if isinstance(conversation_prefix, str) else conversation_prefix
    )
    starts = [week_start(now) - k * WEEK_S for k in range(STREAK_WEEKS)]
    # completed_counts(since) counts sessions finished since ``since``: the count for week k is
    # the difference between the cumulative counts at its start and at the next week's start.
    cumulative = [await _counts(store, prefixes, since) for since in starts]
    standings = []
    for user in cumulative[0]:
        weekly = [
            cumulative[k].get(user, 0) - (cumulative[k - 1].get(user, 0) if k else 0)
            for k in range(STREAK_WEEKS)
        ]
        streak = 0
        for count in weekly:
            if count <= 0:
                break
            streak += 1
        standings.append(Standing(user, weekly[0], streak))
    standings.sort(key=lambda s: (-s.this_week, -s.streak, s.user_key))
    return standings[:top]


async def leaderboard_text(
    store: Store,
    settings: ScopeSettings,
    conversation_prefix: str | tuple[str, ...],
    now: float,
    *,
    mention: str = "{}",
) -> str:
    """The board as Markdown, or why there is none. ``mention`` is a template given the
    platform's user id (``<@{}>`` in Discord and Slack)."""
    if not settings.leaderboard:
        return (
            "The practice leaderboard is off on this server (it is opt-in). An admin can turn "
            "it on in the server's interview settings."
        )
    standings = await weekly_standings(store, conversation_prefix, now)
    if not standings:
        return "No practice sessions completed this week yet. Be the first!"
    lines = ["**This week's practice** (sessions completed, not scores)"]
    for place, standing in enumerate(standings, start=1):
        streak = f" · {standing.streak}-week streak 🔥" if standing.streak > 1 else ""
        lines.append(
            f"{place}. {mention.format(platform_id(standing.user_key))} — {standing.this_week} "
            f"session{'s' if standing.this_week != 1 else ''}{streak}"
        )
    return "\n".join(lines)
