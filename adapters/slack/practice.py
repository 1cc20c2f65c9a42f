"""``/interview practice …`` and ``/interview admin`` (issue 11): the practice queue, reminders
with an ``.ics`` file, the weekly leaderboard and the workspace's settings.

Slack apps usually get one slash command, so what Discord has as ``/practice`` lives under
``/interview practice``. The workspace is the scope (``slack:<team id>``): one bot token serves
one workspace, so the leaderboard counts every Slack *channel* session this bot ran (never DMs). Admin settings are
changed only by workspace admins and owners, checked with ``users.info`` on every change (a
demoted admin loses the power at once).

Reminders are delivered by a loop started with the app (``Background``): claimed in the store
before sending, so a restart or a second process never sends one twice, and one that fell due
while the bot was down is sent when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from adapters.slack.render import markdown_to_mrkdwn
from bot.community import leaderboard, queue, schedule
from bot.community.errors import CommunityError
from bot.community.prefs import set_time_zone, time_zone
from bot.community.scope import (
    ScopeSettings,
    apply_changes,
    describe,
    load_scope_settings,
    parse_changes,
    retention_enforceable,
    save_scope_settings,
    scope_key,
)
from bot.events import UserRef
from bot.ports import QueueEntry, Reminder
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.slack.app import SlackInterview

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
EXPIRY_INTERVAL_S = 30.0
PRACTICE_USAGE = (
    "*/interview practice* — practise with others in this workspace\n"
    "• `queue [role type]` pairs you with someone practising the same kind of role "
    "(software, data, product, …); `leave` takes you out\n"
    "• `schedule <when> [-- note]` sets a reminder (“tomorrow 18:00”, “friday 7pm”, “in 2h”) "
    "and sends you an .ics file; `reminders` lists them; `cancel <id>` removes one; "
    "`timezone Europe/Berlin` sets your zone\n"
    "• `leaderboard`: this week's practice streaks (if an admin turned it on)"
)


# The leaderboard counts sessions held where the workspace can see them: channels (public ids
# start with C, private ones with G). Practice in a DM with the bot (D…) is nobody else's
# business, so it never shows on a board. Conversation keys carry no team id: one install (bot
# token) serves one workspace, so every channel session this bot ran belongs to this workspace.
BOARD_PREFIXES = ("slack:C", "slack:G")


def plain(markdown: str) -> str:
    """Community texts are Markdown (``**bold**``); Slack wants ``*bold*``."""
    return markdown_to_mrkdwn(markdown)


def workspace_scope(team_id: str) -> str:
    return scope_key("slack", team_id or "workspace")


class Practice:
    def __init__(self, interview: SlackInterview) -> None:
        self.interview = interview

    @property
    def store(self) -> Any:
        return self.interview.engine.store

    @property
    def host(self) -> Settings:
        return self.interview.settings or Settings()

    async def scope_settings(self, team_id: str) -> ScopeSettings:
        return await load_scope_settings(self.store, workspace_scope(team_id))

    async def _zone(self, user: UserRef) -> str:
        """The zone the user chose, else the one their Slack profile says, else UTC."""
        prefs = await self.store.get_user_prefs(user.key)
        if isinstance(prefs.get("time_zone"), str) and prefs["time_zone"]:
            return str(prefs["time_zone"])
        try:
            info = await self.interview.client.users_info(user=user.user_id)
            tz = str((info.get("user") or {}).get("tz") or "")
        except SlackApiError:
            tz = ""
        return tz or await time_zone(self.store, user.key)

    async def _dm(self, user_id: str) -> str:
        opened = await self.interview.client.conversations_open(users=user_id)
        return str(opened["channel"]["id"])

    # ------------------------------------------------------------------ /interview practice
    async def command(
        self, user: UserRef, team_id: str, channel: str, args: str, respond: Respond
    ) -> None:
        sub, _, rest = args.strip().partition(" ")
        sub = sub.lower()

        async def tell(text: str) -> None:
            await respond(text=plain(text), response_type="ephemeral")

        try:
            if sub == "queue":
                await self._queue(user, team_id, channel, rest.strip(), tell)
            elif sub == "leave":
                left = await queue.leave(
                    self.store, scope=workspace_scope(team_id), user_key=user.key
                )
                await tell("You left the practice queue." if left else "You weren't in the queue.")
            elif sub == "schedule":
                await self._schedule(user, rest, tell)
            elif sub == "reminders":
                zone_name = await self._zone(user)
                reminders = await self.store.reminders_for_user(user.key)
                await tell(schedule.reminder_list(reminders, zone_name))
            elif sub == "cancel":
                done = await self.store.cancel_reminder(rest.strip().strip("`"), user.key)
                await tell("Reminder cancelled." if done else "No such reminder of yours.")
            elif sub in ("timezone", "tz"):
                name = await set_time_zone(self.store, user.key, rest, now=time.time())
                await tell(f"Your time zone is now {name}.")
            elif sub == "leaderboard":
                settings = await self.scope_settings(team_id)
                text = await leaderboard.leaderboard_text(
                    self.store, settings, BOARD_PREFIXES, time.time(), mention="<@{}>"
                )
                await tell(text.replace("server", "workspace"))
            else:
                await tell(PRACTICE_USAGE)
        except CommunityError as exc:
            await tell(str(exc))

    async def _queue(
        self, user: UserRef, team_id: str, channel: str, rest: str, tell: Callable[[str], Any]
    ) -> None:
        from adapters.slack.app import is_dm

        if is_dm(channel):
            raise CommunityError(
                "Join the queue from a channel: that's where you two practise when someone matches."
            )
        settings = await self.scope_settings(team_id)
        if not settings.channel_allowed(channel):
            raise CommunityError(self.interview.channel_refusal(settings))
        words = [w for w in rest.split() if w.lower() != "voice"]
        huddle = (
            " (Slack apps can't open huddles: start one together if you both want to talk.)"
            if len(words) < len(rest.split())
            else ""
        )
        if words:
            role_type = queue.normalise_role_type(" ".join(words))
        else:
            latest = await self.store.sessions_for_user(user.key, limit=1)
            role_type = queue.role_type_for(latest[0].profile) if latest else "general"
        result = await queue.join(
            self.store,
            scope=workspace_scope(team_id),
            user_key=user.key,
            role_type=role_type,
            conversation_key=f"slack:{channel}:",
            now=time.time(),
        )
        if result.partner is None:
            await tell(
                queue.waiting_text(result)
                .replace("the leave command", "`/interview practice leave`")
                .replace("I'll open a shared thread for you both", "I'll DM you both")
                + huddle
            )
            return
        partner = result.partner
        partner_id = partner.user_key.removeprefix("slack:")
        # Joining the queue was private (ephemeral), so the match is too: each of the two gets
        # a DM, never a channel post naming them and the kind of role they practise for.
        details = (
            f"*{queue.role_label(role_type)}* practice! Agree who is interviewed first: the "
            f"candidate runs `/interview start` in <#{channel}>, then `/interview invite "
            "@partner interviewer`; swap roles when it's done."
        )
        told_partner = await self._tell_dm(
            partner_id, f"You were matched with <@{user.user_id}> for {details}"
        )
        told_me = await self._tell_dm(
            user.user_id, f"You were matched with <@{partner_id}> for {details}"
        )
        where = "I sent you both the details in a DM." if told_me else details
        if not told_partner:
            where += f" I couldn't DM <@{partner_id}>: please reach out to them yourself."
        await tell(f"Matched with <@{partner_id}>: {where}{huddle}")

    async def _schedule(self, user: UserRef, rest: str, tell: Callable[[str], Any]) -> None:
        when_text, _, note = rest.partition("--")
        zone_name = await self._zone(user)
        dm = await self._dm(user.user_id)
        scheduled = await schedule.create_reminder(
            self.store,
            user_key=user.key,
            conversation_key=f"slack:{dm}:",
            when_text=when_text,
            zone_name=zone_name,
            now=time.time(),
            note=note,
        )
        ics = schedule.reminder_ics(scheduled.reminder, zone_name)
        try:
            await self.interview.client.files_upload_v2(
                channel=dm,
                content=ics,
                filename="interview-practice.ics",
                title="Interview practice (add to your calendar)",
            )
        except SlackApiError as exc:
            log.warning("could not upload the .ics file: %s", exc.response.get("error"))
        await tell(
            scheduled.confirmation()
            .replace("I'll message you here", "I'll message you in our DM")
            .replace("attached .ics file", ".ics file I sent to our DM")
        )

    async def _tell_dm(self, user_id: str, text: str) -> bool:
        """A DM to one member; False (logged) when Slack refused it."""
        try:
            await self.interview.client.chat_postMessage(channel=await self._dm(user_id), text=text)
        except SlackApiError as exc:
            log.info("could not DM %s: %s", user_id, exc.response.get("error"))
            return False
        return True

    # ------------------------------------------------------------------ background work
    async def send_reminder(self, reminder: Reminder) -> None:
        from adapters.slack.app import parse_conversation_key

        conversation = parse_conversation_key(reminder.conversation_key)
        user_id = reminder.user_key.removeprefix("slack:")
        if conversation is None:
            await self._tell_dm(user_id, reminder.text)
            return
        await self.interview.client.chat_postMessage(
            channel=conversation.channel_id,
            text=f"<@{user_id}> {reminder.text} Start with `/interview start`.",
        )

    async def tell_expired(self, entries: list[QueueEntry]) -> None:
        for entry in entries:
            if entry.user_key.startswith("slack:"):
                await self._tell_dm(
                    entry.user_key.removeprefix("slack:"),
                    plain(queue.expired_text(entry)).replace(
                        "Join the queue once more", "`/interview practice queue` again"
                    ),
                )

    async def expiry_loop(self, interval_s: float, clock: Callable[[], float]) -> None:
        """Tell members whose queue entry ran out; only Slack entries are ours to tell (a
        Discord bot on the same database tells its own)."""
        while True:
            try:
                expired = await self.store.expire_queue(clock())
                mine = [e for e in expired if e.user_key.startswith("slack:")]
                await self.tell_expired(mine)
            except Exception:
                log.exception("queue expiry round failed")
            await asyncio.sleep(interval_s)

    # ------------------------------------------------------------------ /interview admin
    async def is_admin(self, user_id: str) -> bool:
        try:
            info = await self.interview.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def admin_command(self, user: UserRef, team_id: str, args: str, respond: Respond) -> None:
        async def tell(text: str) -> None:
            await respond(text=plain(text), response_type="ephemeral")

        if not await self.is_admin(user.user_id):
            await tell(
                "Only workspace admins and owners can view or change the interview settings."
            )
            return
        scope = workspace_scope(team_id)
        current = await load_scope_settings(self.store, scope)
        if args.strip():
            try:
                changed = apply_changes(
                    current,
                    parse_changes(args),
                    self.host,
                    retention_supported=retention_enforceable(self.store),
                )
            except CommunityError as exc:
                await tell(str(exc))
                return
            await save_scope_settings(self.store, scope, changed, now=time.time())
            current = changed
        text = describe(current, self.host, channel_mention="<#{}>").replace("server", "workspace")
        await tell(
            text + "\nChange with e.g. `/interview admin channels=#interviews,#practice "
            "length=short voice=off leaderboard=on retention=30` (`channels=all` for every "
            "channel). Admins never see transcripts: only a candidate's share link shows one."
        )


class Background:
    """The app's long-running loops (reminders, queue expiry), started once and cancelled on
    shutdown; each round is bounded by the store's batch size."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def start(
        self,
        practice: Practice,
        *,
        reminder_interval_s: float = schedule.LOOP_INTERVAL_S,
        expiry_interval_s: float = EXPIRY_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if self.tasks:
            return
        self.tasks = [
            asyncio.create_task(
                schedule.reminder_loop(
                    practice.store,
                    practice.send_reminder,
                    interval_s=reminder_interval_s,
                    clock=clock,
                ),
                name="slack-reminders",
            ),
            asyncio.create_task(
                practice.expiry_loop(expiry_interval_s, clock), name="slack-queue-expiry"
            ),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
        self.tasks = []
