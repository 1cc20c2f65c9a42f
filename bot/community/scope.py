"""Per server/workspace settings chosen by its admins (``/interview admin``).

Stored as a JSON object per scope (``discord:<guild id>``, ``slack:<team id>``) through
``Store.get_scope_settings``/``put_scope_settings``, validated by ``ScopeSettings`` on the way in
*and* out: a row written by an older version or edited by hand becomes the defaults plus a log
line, never a crash in the middle of someone's interview.

The host's ``Settings`` are the ceiling: a server may keep transcripts for a shorter time than the
host promises, never longer, and "no default length" means the host's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.community.errors import CommunityError
from bot.ports import Store
from bot.settings import Settings

log = logging.getLogger(__name__)

LENGTHS = ("short", "standard", "long")
MAX_CHANNELS = 50
_TRUE = {"on", "yes", "true", "1", "enable", "enabled", "allow", "allowed"}
_FALSE = {"off", "no", "false", "0", "disable", "disabled", "deny", "forbid"}


class ScopeSettings(BaseModel):
    """What one server/workspace allows. Defaults are what a server that never ran
    ``/interview admin`` gets: every channel, the host's length, voice allowed, the host's
    retention, no leaderboard (it is opt-in: a ranking nobody asked for is not neutral)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Channel ids (as strings) where the bot may start sessions; empty = every channel.
    allowed_channels: tuple[str, ...] = Field(default=(), max_length=MAX_CHANNELS)
    default_length: str | None = Field(default=None, pattern="^(short|standard|long)$")
    voice_allowed: bool = True
    # Days transcripts of this server's sessions are kept; None = the host's setting.
    retention_days: int | None = Field(default=None, ge=1)
    leaderboard: bool = False

    def channel_allowed(self, *channel_ids: str | int | None) -> bool:
        """True when any of the ids (a thread and its parent channel, say) is allowed."""
        if not self.allowed_channels:
            return True
        allowed = set(self.allowed_channels)
        return any(c is not None and str(c) in allowed for c in channel_ids)

    def length(self, host: Settings) -> str:
        return self.default_length or host.default_length

    def effective_retention_days(self, host: Settings) -> int:
        """What is in force for this scope: the stricter of the scope's and the host's (0 = the
        host keeps transcripts until they are forgotten)."""
        return stricter_retention(self.retention_days, host.retention_days)


def stricter_retention(scope_days: int | None, host_days: int) -> int:
    """The shorter of a server's and the host's period: a server may shorten retention, never
    lengthen it past what the host's privacy statement promises. A row saved before the host
    lowered its period is clamped here rather than trusted. ``host_days`` 0 = keep forever, so
    then the server's own period is the only limit."""
    if scope_days is None:
        return host_days
    if host_days == 0:
        return scope_days
    return min(scope_days, host_days)


@runtime_checkable
class ScopedPurge(Protocol):
    """The store capability a per-scope retention needs (``Store.purge_scope_before``). Both
    backends have it; a store that lacks it (a test double, a third-party backend) makes the
    adapters refuse the setting rather than show a promise nothing keeps."""

    async def purge_scope_before(self, conversation_prefix: str, timestamp: float) -> int: ...


def retention_enforceable(store: object) -> bool:
    return isinstance(store, ScopedPurge)


def conversation_prefix(scope: str) -> str | None:
    """The conversation-key prefix of a scope's sessions, for ``Store.purge_scope_before``; None
    when the scope has no sessions of its own.

    Discord keys are ``discord:<guild id>:<room id>``, so ``discord:<guild>`` covers
    ``discord:<guild>:`` (the colon keeps guild 12 from matching guild 123). DMs are
    ``discord:dm:<room>``: they belong to no server, so no server's setting reaches them and
    they keep the host's retention. Slack keys are ``slack:<channel>:<thread>`` without the
    workspace, and one install serves one workspace, so the Slack scope covers ``slack:``
    (its DMs included: they happen inside that workspace)."""
    platform, _, scope_id = scope.partition(":")
    if not scope_id:
        return None
    if platform == "discord":
        return None if scope_id == "dm" else f"discord:{scope_id}:"
    if platform == "slack":
        return "slack:"
    return None


@dataclass(frozen=True, slots=True)
class ScopeRetention:
    """A scope whose own period is shorter than the host's: what the retention task purges."""

    scope: str
    conversation_prefix: str
    days: int


async def retention_overrides(store: Store, host_days: int) -> list[ScopeRetention]:
    """Scopes whose stricter retention needs a purge of their own (the host-wide purge already
    covers a period equal to the host's). Invalid rows count as no setting, as in
    ``load_scope_settings``."""
    overrides: list[ScopeRetention] = []
    for scope, raw in await store.scope_settings_all():
        try:
            days = ScopeSettings.model_validate(raw).retention_days
        except ValidationError as exc:
            log.warning("settings for %s are invalid (%s); host retention applies", scope, exc)
            continue
        prefix = conversation_prefix(scope)
        if days is None or prefix is None:
            continue
        effective = stricter_retention(days, host_days)
        if host_days == 0 or effective < host_days:
            overrides.append(ScopeRetention(scope, prefix, effective))
    return overrides


RETENTION_UNAVAILABLE = (
    "A per-server retention period isn't available on this bot yet (its database can't purge "
    "one server's transcripts on their own), so transcripts follow the host's setting. Nothing "
    "was changed."
)


def scope_key(platform: str, scope_id: str) -> str:
    """``discord:<guild id>`` / ``slack:<team id>``: the key settings, queues and leaderboards use."""
    return f"{platform}:{scope_id}"


async def load_scope_settings(store: Store, scope: str) -> ScopeSettings:
    """The scope's settings, or the defaults when none were saved or the saved row is invalid."""
    raw = await store.get_scope_settings(scope)
    if not raw:
        return ScopeSettings()
    try:
        return ScopeSettings.model_validate(raw)
    except ValidationError as exc:
        log.warning("settings for %s are invalid (%s); using the defaults", scope, exc)
        return ScopeSettings()


async def save_scope_settings(
    store: Store, scope: str, settings: ScopeSettings, *, now: float
) -> None:
    await store.put_scope_settings(scope, settings.model_dump(mode="json"), now)


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CommunityError(f"{name}: say on or off (got “{value}”).")


_CHANNEL_ID = re.compile(r"^(?:<#)?([A-Za-z0-9]+)(?:\|[^>]*)?>?$")


def _channels(value: object) -> tuple[str, ...]:
    """Channel ids from a list or from text such as ``<#123>, <#456>`` or ``C01AB,C02CD``;
    ``all``/``any``/empty = every channel."""
    items: Iterable[object]
    if isinstance(value, str):
        if value.strip().lower() in ("", "all", "any", "*", "none"):
            return ()
        items = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    elif isinstance(value, Iterable):
        items = value
    else:
        raise CommunityError("channels: give channel mentions or ids, or `all`.")
    ids: list[str] = []
    for item in items:
        match = _CHANNEL_ID.match(str(item).strip())
        if match is None:
            raise CommunityError(f"channels: “{item}” is not a channel mention or id.")
        ids.append(match.group(1))
    if len(set(ids)) > MAX_CHANNELS:
        raise CommunityError(f"channels: at most {MAX_CHANNELS} channels.")
    return tuple(dict.fromkeys(ids))


def _retention(value: object, host: Settings) -> int | None:
    text = str(value).strip().lower()
    if text in ("", "default", "host", "none"):
        return None
    try:
        days = int(text)
    except ValueError:
        raise CommunityError(f"retention: give a number of days (got “{value}”).") from None
    if days < 1:
        raise CommunityError("retention: at least 1 day (or `default` for the host's setting).")
    if host.retention_days and days > host.retention_days:
        raise CommunityError(
            f"retention: this bot's host keeps transcripts at most {host.retention_days} days, "
            f"so a server can choose 1–{host.retention_days}, not {days}."
        )
    return days


def _length(value: object) -> str | None:
    text = str(value).strip().lower()
    if text in ("", "default", "host", "none"):
        return None
    if text not in LENGTHS:
        raise CommunityError(f"length: short, standard or long (got “{value}”).")
    return text


# Accepted keys (and aliases) -> field.
FIELDS: Mapping[str, str] = {
    "channels": "allowed_channels",
    "allowed_channels": "allowed_channels",
    "length": "default_length",
    "default_length": "default_length",
    "voice": "voice_allowed",
    "voice_allowed": "voice_allowed",
    "retention": "retention_days",
    "retention_days": "retention_days",
    "leaderboard": "leaderboard",
}


def apply_changes(
    current: ScopeSettings,
    changes: Mapping[str, object],
    host: Settings,
    *,
    retention_supported: bool = False,
) -> ScopeSettings:
    """``current`` with ``changes`` (adapter strings or typed values) applied. Raises
    ``CommunityError`` naming every problem at once; nothing is applied then. A retention change
    is refused unless ``retention_supported`` (pass ``retention_enforceable(store)``): a period
    nothing purges would be a false promise in ``describe`` and the privacy statement."""
    values: dict[str, Any] = current.model_dump()
    problems: list[str] = []
    for key, value in changes.items():
        if value is None:
            continue
        name = FIELDS.get(key.strip().lower())
        try:
            if name is None:
                raise CommunityError(
                    f"{key}: unknown setting (use channels, length, voice, retention, leaderboard)."
                )
            if name == "allowed_channels":
                values[name] = _channels(value)
            elif name == "default_length":
                values[name] = _length(value)
            elif name == "retention_days":
                if not retention_supported:
                    raise CommunityError(
                        RETENTION_UNAVAILABLE.removesuffix(" Nothing was changed.")
                    )
                values[name] = _retention(value, host)
            else:
                values[name] = _flag(key, value)
        except CommunityError as exc:
            problems.append(str(exc))
    if problems:
        raise CommunityError("Nothing was changed:\n" + "\n".join(f"• {p}" for p in problems))
    return ScopeSettings.model_validate(values)


def parse_changes(text: str) -> dict[str, str]:
    """``length=short voice=off channels=#a,#b`` (typed after a Slack command) -> changes."""
    changes: dict[str, str] = {}
    for match in re.finditer(r"([A-Za-z_]+)\s*[=:]\s*(\S+)", text):
        changes[match.group(1)] = match.group(2)
    if text.strip() and not changes:
        raise CommunityError(
            "Write settings as key=value, e.g. `length=short voice=off retention=30 "
            "leaderboard=on channels=all`."
        )
    return changes


def describe(settings: ScopeSettings, host: Settings, *, channel_mention: str = "<#{}>") -> str:
    """The settings in force, in plain words; ``channel_mention`` formats one id for the adapter."""
    if settings.allowed_channels:
        channels = ", ".join(channel_mention.format(c) for c in settings.allowed_channels)
    else:
        channels = "every channel"
    days = settings.effective_retention_days(host)
    retention = "kept until deleted by the candidate" if days == 0 else f"{days} day(s)"
    if settings.retention_days is None:
        retention += " (the host's setting)"
    return "\n".join(
        [
            "**Interview settings for this server**",
            f"• Channels the bot may use: {channels}",
            f"• Default length: {settings.length(host)}"
            + (" (the host's default)" if settings.default_length is None else ""),
            f"• Voice interviews: {'allowed' if settings.voice_allowed else 'not allowed'}",
            f"• Transcript retention: {retention}",
            f"• Weekly practice leaderboard: {'on' if settings.leaderboard else 'off'}",
        ]
    )
