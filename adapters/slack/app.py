"""``/interview`` on Slack: slash command, modal, buttons and thread replies -> engine -> Block Kit.

Translate and transport only. A session lives in a *room*: a thread under the bot's summary
message in a channel (``ConversationRef("slack", channel, thread_ts)``) or the DM with the bot
(``ConversationRef("slack", dm_channel, "")``). The candidate answers by replying there; the
transcript is the engine's store, so nothing here ever reads a thread back from Slack
(``conversations.replies`` is heavily rate-limited for non-Marketplace apps).

Every listener acknowledges first (Slack wants an answer within 3 seconds) and then works: bolt
runs the rest of the listener after the ack has been sent (``process_before_response=False``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import progress
from adapters.slack.config import SlackConfig
from adapters.slack.group import GROUP_PREFIX, GroupPractice
from adapters.slack.practice import Background, Practice
from adapters.slack.render import (
    ACTION_PREFIX,
    SlackMessage,
    action_value,
    actions,
    context,
    history_blocks,
    home_view,
    markdown_to_mrkdwn,
    parse_action_value,
    parse_modal_metadata,
    render_replies,
    sections,
    start_modal,
)
from adapters.slack.voice import (
    Listener,
    audio_format,
    looks_like_audio,
    unavailable_message,
    vocabulary,
)
from adapters.web.server import chat_http_server, slack_routes
from bot.community.prefs import audio_opt_in, keep_audio_if_opted_in, set_audio_opt_in
from bot.community.scope import ScopeSettings
from bot.domain import Recap
from bot.engine import InterviewEngine
from bot.events import (
    Attachment,
    Command,
    ConversationRef,
    EventKind,
    IncomingEvent,
    Reply,
    ReplyKind,
    UserRef,
)
from bot.intake import IntakeError
from bot.ports import ACTIVE_STATES, SessionRecord, SpeechToText
from bot.privacy import privacy_statement
from bot.progress import resolve_focus
from bot.retention import retention_task
from bot.settings import Settings
from bot.speech.audio import SUPPORTED
from bot.speech.errors import AudioError, SpeechUnavailable

log = logging.getLogger(__name__)

PLATFORM = "slack"
JD_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm", ".rtf")
LENGTHS = ("short", "standard", "long")
OPTION_KEYS = ("length", "coding", "focus")
DOWNLOAD_TIMEOUT_S = 20.0
AUDIO_MAX_BYTES = 50 * 1024 * 1024  # the speech package's own cap on one recording
ANSWERING_STATES = ("asking", "follow_up")
SEEN_EVENTS = 5_000
CHART_FILENAME = "competencies.png"
BUTTON_COMMANDS = {
    "hint": Command.HINT,
    "repeat": Command.REPEAT,
    "skip": Command.SKIP,
    "end": Command.END,
    "begin": Command.BEGIN,
    "cancel": Command.CANCEL,
}
USAGE = (
    "*/interview* — mock interviews from a job description\n"
    "• `/interview start` opens a form (paste it, or upload a PDF/DOCX/…); "
    "`/interview start <pasted text>` starts at once (`length=short`, `coding=yes`, "
    "`focus=A,B` may come first)\n"
    "• `/interview length short|standard|long`, `/interview coding yes|no|auto`, "
    "`/interview focus A,B` change the plan before you start; `focus:weakest` practises your "
    "weakest areas\n"
    "• `/interview status`, `/interview end`, `/interview history`, `/interview show <id>`, "
    "`/interview share [id]`, `/interview unshare [id]`, `/interview forget`, "
    "`/interview privacy`, `/interview audio on|off` (keep recordings of spoken answers), "
    "`/interview recordings <id>` (get them back)\n"
    "• With others (in a channel): `/interview invite @someone observer|interviewer`, "
    "`uninvite @someone`, `leave`, `guests`, `swap`; `/interview practice` for the practice "
    "queue, reminders and the leaderboard; `/interview admin` for workspace admins\n"
    "You can also send me the job description as a file in our DM. Answer each question by "
    "replying in the interview's thread, in text or as a voice clip."
)
_SUBCOMMAND = re.compile(r"^\s*(\S+)\s*(.*)$", re.DOTALL)
_OPTION = re.compile(r"^(length|coding|focus)[=:](\S+)\s*", re.IGNORECASE)
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


Notify = Callable[[str], Awaitable[None]]


# ---------------------------------------------------------------------- references
def user_ref(user_id: str, name: str = "") -> UserRef:
    return UserRef(PLATFORM, user_id, name)


def conversation_for(channel: str, thread_ts: str = "") -> ConversationRef:
    return ConversationRef(PLATFORM, channel, thread_ts)


def parse_conversation_key(key: str) -> ConversationRef | None:
    """``slack:<channel>:<thread ts or empty>`` -> the ``ConversationRef``; None for others."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != PLATFORM or not parts[1]:
        return None
    return ConversationRef(PLATFORM, parts[1], parts[2])


def is_dm(channel: str) -> bool:
    return channel.startswith("D")


def plain_text(text: str) -> str:
    """A Slack message's text as the candidate typed it: links and mentions to their labels,
    entities unescaped (the engine grades words, not ``&lt;`` or ``<@U123>``)."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return label
        return target.removeprefix("mailto:") if not target.startswith(("@", "#", "!")) else ""

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_options(text: str) -> tuple[dict[str, str], str]:
    """Leading ``length=… coding=… focus=…`` tokens (``focus:weakest`` too), then the rest (the
    job description)."""
    options: dict[str, str] = {}
    rest = text.strip()
    while True:
        match = _OPTION.match(rest)
        if match is None:
            return options, rest
        options[match.group(1).lower()] = match.group(2)
        rest = rest[match.end() :]


class Bounded(OrderedDict[str, Any]):
    """A dict that forgets its oldest entries beyond ``limit`` (in-memory caches stay bounded)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass(frozen=True, slots=True)
class JobSource:
    text: str = ""
    attachment: Attachment | None = None
    options: dict[str, str] = field(default_factory=dict)
    team_id: str = ""  # the workspace: its admins' settings apply


def chart_png(recap: Recap) -> bytes | None:
    """The competency chart, or None: no chart is never a failed recap."""
    try:
        from bot.evaluation.chart import competency_chart

        return competency_chart(recap)
    except Exception:
        log.exception("chart rendering failed; sending the recap without it")
        return None


# ---------------------------------------------------------------------- the app
class SlackInterview:
    """The bolt app and its listeners around one ``InterviewEngine``."""

    def __init__(
        self,
        engine: InterviewEngine,
        config: SlackConfig,
        *,
        default_length: str = "standard",
        client: AsyncWebClient | None = None,
        settings: Settings | None = None,
        stt: SpeechToText | None = None,
    ) -> None:
        self.engine = engine
        # Spoken answers: the model loads on first use (or the work queue takes them, issue 12).
        self.listener = Listener(stt, settings)
        self.settings = settings  # the /interview privacy text; None shows the defaults
        self.config = config
        self.default_length = default_length
        self.client = client or AsyncWebClient(
            token=config.bot_token, base_url=config.api_url, timeout=30
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.signing_secret or "unused-in-socket-mode",
            # Socket Mode payloads come over our own authenticated websocket; bolt skips the
            # check for them anyway, and HTTP mode always verifies.
            request_verification_enabled=not config.socket_mode,
            logger=logging.getLogger("slack_bolt"),
        )
        self._seen: Bounded = Bounded(SEEN_EVENTS)  # event_id -> first arrival time
        self._summaries: Bounded = Bounded(10_000)  # conversation key -> summary message ts
        self._tasks: set[asyncio.Task[Any]] = set()
        self.group = GroupPractice(self)
        self.practice = Practice(self)
        self.background = Background()
        self.app.middleware(self._skip_retries)
        self.app.command("/interview")(self.on_command)
        self.app.view("iv_start")(self.on_modal)
        self.app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_action)
        self.app.action(re.compile("^" + re.escape(GROUP_PREFIX)))(self.group.on_action)
        self.app.event("message")(self.on_message)
        self.app.event("app_home_opened")(self.on_home)
        self.app.event("app_mention")(self.on_mention)
        self.app.error(self.on_error)

    async def aclose(self) -> None:
        """Stop the background work this app started (reminders, queue expiry, transcriptions
        in flight) and wait for it, bounded."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        self._tasks.clear()
        await self.background.stop()
        await self.listener.aclose()

    def start_background(self, **options: Any) -> None:
        """Reminders and queue expiry, until ``aclose`` (``options``: intervals and clock)."""
        self.background.start(self.practice, **options)

    # ------------------------------------------------------------------ middleware
    async def _skip_retries(
        self,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        """Acknowledge and drop a retry (``X-Slack-Retry-Num``, mirrored by bolt in Socket
        Mode) of an event this process already took, so nothing is processed twice.

        A retry whose ``event_id`` we never saw is processed: the first delivery did not reach
        us (we were restarting), and dropping it would lose the candidate's answer.
        """
        body = req.body if isinstance(req.body, dict) else {}
        event_id = str(body.get("event_id") or "")
        retry = req.headers.get("x-slack-retry-num")
        if event_id:
            seen = event_id in self._seen
            if not seen:
                self._seen[event_id] = time.time()
            if seen:
                log.info("skipping repeated delivery of %s (retry %s)", event_id, retry)
                return BoltResponse(status=200, body="")
        elif retry:
            log.info("skipping a retried request without an event id")
            return BoltResponse(status=200, body="")
        return await next()

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        reference = uuid.uuid4().hex[:8]
        kind = body.get("type") or body.get("command") or "request"
        log.error("%s failed [ref %s]", kind, reference, exc_info=error)

    # ------------------------------------------------------------------ transport helpers
    async def _handle(self, event: IncomingEvent) -> list[Reply]:
        started = time.perf_counter()
        replies = await self.engine.handle(event)
        log.debug(
            "%s %s in %s: %d reply(ies) in %.0f ms",
            event.kind,
            event.command or "",
            event.conversation.key,
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return replies

    async def _labels(self, user: UserRef, conversation: ConversationRef) -> dict[str, str]:
        """Summary button labels that depend on the plan: the coding toggle and the length."""
        record = await self.engine.store.active_session(user.key, conversation.key)
        if record is None or record.state != "briefing":
            return {}
        included = any(q.type.value == "coding" for q in record.plan.questions)
        return {
            "coding": "Skip coding" if included else "Include coding",
            "length": f"Change length ({record.plan.options.length})",
        }

    async def _post(self, conversation: ConversationRef, message: SlackMessage) -> str:
        response = await self.client.chat_postMessage(
            channel=conversation.channel_id,
            thread_ts=conversation.thread_id or None,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response.get("ts") or "")

    async def _send(
        self,
        conversation: ConversationRef,
        replies: Sequence[Reply],
        user: UserRef,
        *,
        summary_ts: str = "",
    ) -> None:
        """Render and post ``replies`` in the room. A summary replaces the message at
        ``summary_ts`` (the thread's parent, or the summary whose buttons were clicked) so the
        plan stays one message that changes; the recap's chart follows it into the thread."""
        labels = {}
        if any(r.kind is ReplyKind.SUMMARY for r in replies):
            labels = await self._labels(user, conversation)
        footer = (
            "Type your answer here."
            if not conversation.thread_id
            else "Reply in this thread with your answer."
        )
        value = action_value(user.user_id, conversation)
        for message in render_replies(replies, value, labels=labels, footer=footer):
            if message.kind is ReplyKind.SUMMARY and summary_ts:
                await self.client.chat_update(
                    channel=conversation.channel_id,
                    ts=summary_ts,
                    text=message.text,
                    blocks=message.blocks,
                )
                self._summaries[conversation.key] = summary_ts
                summary_ts = ""
                continue
            ts = await self._post(conversation, message)
            if message.kind is ReplyKind.SUMMARY:
                self._summaries[conversation.key] = ts
        recap = next((r.recap for r in replies if r.recap is not None), None)
        if recap is not None:
            await self._upload_chart(conversation, recap)
            await self._publish_home(user)
        await self.group.after_replies(conversation, replies)

    async def _post_text(self, conversation: ConversationRef, text: str) -> str:
        return await self._post(conversation, SlackMessage(text, sections(text), ReplyKind.NOTICE))

    async def _post_blocks(
        self, conversation: ConversationRef, text: str, blocks: list[dict[str, Any]]
    ) -> str:
        return await self._post(conversation, SlackMessage(text, blocks, ReplyKind.NOTICE))

    @staticmethod
    def channel_refusal(scope: ScopeSettings) -> str:
        places = ", ".join(f"<#{c}>" for c in scope.allowed_channels)
        return (
            f"Interviews aren't run in this channel (a workspace admin chose {places}). "
            "Use one of those, or our DM."
        )

    async def _upload_chart(self, conversation: ConversationRef, recap: Recap) -> None:
        png = await asyncio.to_thread(chart_png, recap)
        if png is None:
            return
        try:
            await self.client.files_upload_v2(
                channel=conversation.channel_id,
                thread_ts=conversation.thread_id or None,
                content=png,
                filename=CHART_FILENAME,
                title="Competency scores",
            )
        except SlackApiError as exc:
            log.warning("could not upload the recap chart: %s", exc.response.get("error"))

    async def _publish_home(self, user: UserRef) -> None:
        records = [
            r
            for r in await self.engine.store.sessions_for_user(user.key, limit=20)
            if r.state != "cancelled"
        ]
        try:
            await self.client.views_publish(user_id=user.user_id, view=home_view(records))
        except SlackApiError as exc:
            log.info("could not publish the Home tab: %s", exc.response.get("error"))

    def _private(self, channel: str, user_id: str, thread_ts: str = "") -> Notify:
        """A message only ``user_id`` sees, where there is no ``response_url`` to answer on."""

        async def notify(text: str) -> None:
            try:
                await self.client.chat_postEphemeral(
                    channel=channel,
                    user=user_id,
                    text=text,
                    thread_ts=thread_ts or None,
                    blocks=sections(text),
                )
            except SlackApiError as exc:
                log.info("could not tell %s privately: %s", user_id, exc.response.get("error"))

        return notify

    @staticmethod
    def _responder(respond: AsyncRespond) -> Notify:
        async def notify(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        return notify

    async def _latest_active(self, user_key: str) -> SessionRecord | None:
        """The user's most recent open Slack session, wherever it lives."""
        for record in await self.engine.store.sessions_for_user(user_key, limit=20):
            if record.state in ACTIVE_STATES and record.conversation_key.startswith(f"{PLATFORM}:"):
                return record
        return None

    @staticmethod
    def _where(conversation: ConversationRef) -> str:
        if is_dm(conversation.channel_id):
            return "our DM"
        return f"the thread under my message in <#{conversation.channel_id}>"

    # ------------------------------------------------------------------ job description in
    def _max_bytes(self) -> int:
        return self.engine.limits.intake.max_bytes

    def _trusted_download(self, url: str) -> bool:
        """Only Slack (or the configured API host) may receive the bot token."""
        host = (urlsplit(url).hostname or "").lower()
        return bool(host) and (
            host == "slack.com" or host.endswith(".slack.com") or host == self.config.api_host
        )

    async def _file_info(self, file_id: str, what: str) -> dict[str, Any]:
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("files.info %s failed: %s", file_id, error)
            raise IntakeError(
                f"I couldn't read that file from Slack ({error}). Try again, or {what}."
            ) from exc
        return dict(info.get("file") or {})

    async def _fetch(self, meta: dict[str, Any], name: str, limit: int, what: str) -> bytes:
        """An authenticated GET of ``url_private_download`` (only to Slack's own hosts), at most
        ``limit`` bytes. Raises ``IntakeError`` with a message for the user (``what`` says what
        to do instead: "paste the text", "type your answer")."""
        if int(meta.get("size") or 0) > limit:
            raise IntakeError(
                f"{name} is {int(meta['size']) / 1024 / 1024:.1f} MB; the limit is "
                f"{limit / 1024 / 1024:.1f} MB. Please {what} instead."
            )
        url = str(meta.get("url_private_download") or meta.get("url_private") or "")
        if not self._trusted_download(url):
            log.warning("refusing to send the bot token to %r", urlsplit(url).hostname)
            raise IntakeError(f"I couldn't download {name} from Slack. Please {what} instead.")
        suffix = PurePosixPath(name).suffix.lower()
        headers = {"Authorization": f"Bearer {self.config.bot_token or self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, headers=headers) as response,
            ):
                if response.status != 200:
                    raise IntakeError(
                        f"Slack refused to send {name} (HTTP {response.status}). "
                        f"Try again, or {what}."
                    )
                if "text/html" in response.content_type and suffix not in (".html", ".htm"):
                    # Slack answers an unauthorised download with its sign-in page, status 200.
                    raise IntakeError(
                        f"Slack sent a sign-in page instead of {name}: the app needs the "
                        "files:read scope (reinstall it from slack/manifest.yml)."
                    )
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise IntakeError(f"{name} is over the {limit / 1024 / 1024:.1f} MB limit.")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("downloading %s failed: %s", name, exc)
            raise IntakeError(f"I couldn't download {name} from Slack. Try again.") from exc
        return bytes(data)

    async def download(self, file_id: str) -> Attachment:
        """A job description: ``files.info`` then an authenticated download. Raises
        ``IntakeError`` with a message for the user."""
        meta = await self._file_info(file_id, "paste the text")
        name = str(meta.get("name") or "job-description")
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in JD_SUFFIXES:
            raise IntakeError(
                f"{name}: send the job description as .txt, .md, .pdf, .docx, .html or .rtf, "
                "or paste it."
            )
        data = await self._fetch(meta, name, self._max_bytes(), "paste the text")
        mimetype = str(meta.get("mimetype") or "")
        return Attachment(name, data, mimetype)

    # ------------------------------------------------------------------ starting
    async def _open_room(
        self, user: UserRef, channel: str, notify: Notify
    ) -> tuple[ConversationRef, str]:
        """Where the session lives: a thread under a new message in ``channel``, or the DM.
        Returns the room and the parent message's ts ("" in a DM)."""
        if is_dm(channel):
            return conversation_for(channel), ""
        try:
            response = await self.client.chat_postMessage(
                channel=channel,
                text=f"<@{user.user_id}>'s mock interview: reading the job description…",
            )
            ts = str(response["ts"])
            return conversation_for(str(response.get("channel") or channel), ts), ts
        except SlackApiError as exc:
            log.info("cannot post in %s (%s); using the DM", channel, exc.response.get("error"))
        opened = await self.client.conversations_open(users=user.user_id)
        dm = str(opened["channel"]["id"])
        await notify(
            "I can't post in this channel (invite me with `/invite @interview-bot`), so we'll "
            "do this in our DM."
        )
        return conversation_for(dm), ""

    async def start(self, user: UserRef, channel: str, source: JobSource, notify: Notify) -> None:
        """Start (or, during a briefing, restart) an interview from ``source``."""
        scope = await self.practice.scope_settings(source.team_id)
        if not is_dm(channel) and not scope.channel_allowed(channel):
            await notify(self.channel_refusal(scope))
            return
        length = scope.default_length or self.default_length
        options = {"length": length, "coding": "auto", **source.options}
        if options.get("focus"):  # "weakest" becomes this user's weakest areas (spaced practice)
            options["focus"] = await resolve_focus(self.engine.store, user.key, options["focus"])
        existing = await self._latest_active(user.key)
        summary_ts = ""
        parent = ""
        if existing is not None:
            here = parse_conversation_key(existing.conversation_key)
            assert here is not None
            if existing.state != "briefing":
                await notify(
                    f"You already have an interview running in {self._where(here)}: answer "
                    "there, or `/interview end` it first."
                )
                return
            conversation = here
            summary_ts = self._summaries.get(here.key, here.thread_id)
        else:
            conversation, parent = await self._open_room(user, channel, notify)
            summary_ts = parent
        event = IncomingEvent(
            EventKind.COMMAND,
            user,
            conversation,
            text=source.text,
            command=Command.START,
            options=options,
            attachment=source.attachment,
        )
        replies = await self._handle(event)
        if not replies or replies[-1].kind is ReplyKind.ERROR:
            if parent:
                await self.client.chat_delete(channel=conversation.channel_id, ts=parent)
            await notify("\n".join(r.text for r in replies) or "I couldn't start an interview.")
            return
        await self._send(conversation, replies, user, summary_ts=summary_ts)
        if not is_dm(channel) or conversation.channel_id != channel:
            # Slack shows a channel thread to every member of the channel; the privacy
            # statement promises people are told before they answer.
            visible = (
                ""
                if is_dm(conversation.channel_id)
                else " Heads-up: that thread is visible to everyone in the channel; for a "
                "private interview, start it in a DM with me."
            )
            await notify(f"Your interview is in {self._where(conversation)}.{visible}")

    # ------------------------------------------------------------------ /interview
    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        match = _SUBCOMMAND.match(command.get("text") or "")
        sub, rest = (match.group(1).lower(), match.group(2)) if match else ("help", "")
        user = user_ref(str(command["user_id"]), str(command.get("user_name") or ""))
        channel = str(command["channel_id"])
        team_id = str(command.get("team_id") or "")
        notify = self._responder(respond)
        if sub == "start":
            options, text = split_options(rest)
            if not text.strip():
                await ack()  # the trigger id expires 3 s after the command: open the modal now
                scope = await self.practice.scope_settings(team_id)
                view = start_modal(
                    channel,
                    self.engine.limits.intake.max_chars,
                    options,
                    length=scope.default_length or self.default_length,
                )
                await self.client.views_open(trigger_id=command["trigger_id"], view=view)
                return
            await ack(text="Reading the job description…", response_type="ephemeral")
            source = JobSource(text=plain_text(text), options=options, team_id=team_id)
            await self.start(user, channel, source, notify)
            return
        await ack()
        if sub in OPTION_KEYS:
            value = rest.strip()
            if sub == "focus" and value:
                value = await resolve_focus(self.engine.store, user.key, value)
            await self._configure(user, {sub: value}, notify)
        elif sub == "show":
            await progress.show(
                self.engine.store, self.client, user.user_id, user.key, rest, respond
            )
        elif sub == "share":
            await progress.share(
                self.engine.store, self.settings or Settings(), user.key, PLATFORM, rest, respond
            )
        elif sub == "unshare":
            await progress.unshare(self.engine.store, user.key, rest, respond)
        elif sub == "invite":
            await self.group.invite_command(user, rest, respond)
        elif sub in ("uninvite", "leave"):
            await self.group.uninvite_command(user, rest, respond)
        elif sub == "guests":
            await self.group.guests_command(user, respond)
        elif sub == "swap":
            await self.group.swap_command(user, respond)
        elif sub == "recordings":
            await self.group.recordings_command(user, rest, respond)
        elif sub == "practice":
            await self.practice.command(user, team_id, channel, rest, respond)
        elif sub == "admin":
            await self.practice.admin_command(user, team_id, rest, respond)
        elif sub == "audio":
            choice = rest.strip().lower()
            if choice not in ("on", "off"):
                await notify(
                    "`/interview audio on` keeps recordings of your spoken answers with the "
                    "interview; `/interview audio off` (the default) transcribes and discards them."
                )
                return
            await notify(
                await set_audio_opt_in(self.engine.store, user.key, choice == "on", now=time.time())
            )
        elif sub in ("status", "end"):
            await self._run(user, Command(sub), notify)
        elif sub == "history":
            records = [
                r
                for r in await self.engine.store.sessions_for_user(user.key, limit=20)
                if r.state != "cancelled"
            ]
            await respond(
                text=f"{len(records)} interview(s)",
                blocks=history_blocks(records),
                response_type="ephemeral",
            )
        elif sub == "privacy":
            host = self.settings or Settings()
            scope = await self.practice.scope_settings(team_id)
            text = privacy_statement(
                host,
                audio_opt_in=await audio_opt_in(self.engine.store, user.key),
                scope_retention_days=(
                    scope.effective_retention_days(host)
                    if scope.retention_days is not None
                    else None
                ),
            )
            await respond(text=markdown_to_mrkdwn(text), response_type="ephemeral")
        elif sub == "forget":
            value = action_value(user.user_id, conversation_for(channel))
            await respond(
                text="Delete all your interviews, answers and recaps?",
                blocks=[
                    *sections(
                        "Delete all your interviews, answers and recaps? This cannot be undone."
                    ),
                    *actions(["forget"], value),
                ],
                response_type="ephemeral",
            )
        else:
            await respond(text=USAGE, response_type="ephemeral")

    async def _configure(self, user: UserRef, options: dict[str, str], notify: Notify) -> None:
        record = await self._latest_active(user.key)
        conversation = parse_conversation_key(record.conversation_key) if record else None
        if record is None or conversation is None:
            await notify("You have no interview being planned. Start one with /interview start.")
            return
        if record.state != "briefing":
            await notify("This interview has already started, so its plan can't change now.")
            return
        replies = await self._handle(
            IncomingEvent.do(user, conversation, Command.CONFIGURE, **options)
        )
        if replies and replies[-1].kind is ReplyKind.ERROR:
            await notify(replies[-1].text)
            return
        summary_ts = self._summaries.get(conversation.key, conversation.thread_id)
        await self._send(conversation, replies, user, summary_ts=summary_ts)
        await notify(f"Plan updated in {self._where(conversation)}.")

    async def _run(self, user: UserRef, command: Command, notify: Notify) -> None:
        record = await self._latest_active(user.key)
        conversation = parse_conversation_key(record.conversation_key) if record else None
        if conversation is None:
            await notify("You have no interview running. Start one with /interview start.")
            return
        replies = await self._handle(IncomingEvent.do(user, conversation, command))
        if command is Command.STATUS:
            await notify("\n".join(r.text for r in replies))
            return
        await self._send(conversation, replies, user)
        if record is not None and command is Command.END:
            await self.group.after_answer(record, conversation)
        await notify(f"Done — see {self._where(conversation)}.")

    # ------------------------------------------------------------------ the modal
    async def on_modal(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values: dict[str, Any] = view.get("state", {}).get("values", {})

        def value(block: str) -> dict[str, Any]:
            return dict(values.get(block, {}).get("value") or {})

        text = str(value("jd_text").get("value") or "")
        files = value("jd_file").get("files") or []
        if not text.strip() and not files:
            await ack(
                response_action="errors",
                errors={"jd_text": "Paste the job description, or upload it below."},
            )
            return
        await ack()
        channel, options = parse_modal_metadata(str(view.get("private_metadata") or ""))
        for key in ("length", "coding"):
            selected = value(key).get("selected_option") or {}
            if selected.get("value"):
                options[key] = str(selected["value"])
        user = user_ref(str(body["user"]["id"]), str(body["user"].get("name") or ""))
        if not channel:
            opened = await self.client.conversations_open(users=user.user_id)
            channel = str(opened["channel"]["id"])
        notify = self._private(channel, user.user_id)
        team_id = str(body.get("team", {}).get("id") or body["user"].get("team_id") or "")
        try:
            source = (
                JobSource(
                    attachment=await self.download(str(files[0]["id"])),
                    options=options,
                    team_id=team_id,
                )
                if files
                else JobSource(text=text, options=options, team_id=team_id)
            )
        except IntakeError as exc:
            await notify(f":warning: {exc}")
            return
        await self.start(user, channel, source, notify)

    # ------------------------------------------------------------------ buttons
    async def on_action(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        await ack()
        name = str(action.get("action_id", "")).removeprefix(ACTION_PREFIX)
        parsed = parse_action_value(str(action.get("value") or ""))
        clicker = str(body.get("user", {}).get("id") or "")
        if parsed is None:
            return
        owner, conversation = parsed
        notify = self._responder(respond)
        if clicker != owner:
            await notify(
                f"These buttons belong to <@{owner}>'s interview. Start your own with "
                "/interview start."
            )
            return
        user = user_ref(owner, str(body.get("user", {}).get("name") or ""))
        message_ts = str(
            body.get("container", {}).get("message_ts") or body.get("message", {}).get("ts") or ""
        )
        if name == "forget":
            removed = await self.engine.store.forget_user(user.key)
            await respond(
                text=f"Done: deleted {removed.sessions} interview(s) and "
                f"{removed.turns} answer(s), with their scores and recaps.",
                replace_original=True,
            )
            await self._publish_home(user)
            return
        if name in ("coding", "length"):
            await self._replan(user, conversation, name, message_ts, notify)
            return
        if name in ("retake", "focus"):
            options = {"focus": "next"} if name == "focus" else {}
            replies = await self._handle(
                IncomingEvent.do(user, conversation, Command.RETAKE, **options)
            )
            await self._send(conversation, replies, user)
            return
        command = BUTTON_COMMANDS.get(name)
        if command is None:
            await notify("That button is no longer used.")
            return
        before = await self.engine.store.active_session(user.key, conversation.key)
        replies = await self._handle(IncomingEvent.do(user, conversation, command))
        if name in ("begin", "cancel") and before is not None and before.state == "briefing":
            await self._close_summary(body, conversation, message_ts, name, replies)
            if name == "cancel":
                return
        await self._send(conversation, replies, user)
        if before is not None and name in ("skip", "end"):
            await self.group.after_answer(before, conversation)  # an answer was being followed up

    async def _close_summary(
        self,
        body: dict[str, Any],
        conversation: ConversationRef,
        message_ts: str,
        name: str,
        replies: Sequence[Reply],
    ) -> None:
        """The summary keeps its content and loses its buttons once begun or cancelled."""
        if not message_ts:
            return
        blocks = [
            b for b in body.get("message", {}).get("blocks", []) if b.get("type") != "actions"
        ]
        note = "Started — good luck!" if name == "begin" else " ".join(r.text for r in replies)
        try:
            await self.client.chat_update(
                channel=conversation.channel_id,
                ts=message_ts,
                text=note,
                blocks=[*blocks[:48], *context(note)],
            )
        except SlackApiError as exc:
            log.info("could not update the summary: %s", exc.response.get("error"))

    async def _replan(
        self,
        user: UserRef,
        conversation: ConversationRef,
        which: str,
        message_ts: str,
        notify: Notify,
    ) -> None:
        record = await self.engine.store.active_session(user.key, conversation.key)
        if record is None or record.state != "briefing":
            await notify("This interview has already started (or ended); its plan can't change.")
            return
        options: dict[str, str] = {}
        if which == "length":
            current = record.plan.options.length
            options["length"] = LENGTHS[(LENGTHS.index(current) + 1) % len(LENGTHS)]
        else:
            included = any(q.type.value == "coding" for q in record.plan.questions)
            options["coding"] = "no" if included else "yes"
        replies = await self._handle(
            IncomingEvent.do(user, conversation, Command.CONFIGURE, **options)
        )
        await self._send(conversation, replies, user, summary_ts=message_ts)

    # ------------------------------------------------------------------ messages
    async def on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The candidate's replies in their room; everything else is ignored."""
        team_id = str(body.get("team_id") or event.get("team") or "")
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        user_id = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        if not user_id or not channel:
            return
        if event.get("channel_type") == "im" or is_dm(channel):
            conversation = conversation_for(channel)
        elif event.get("thread_ts"):
            conversation = conversation_for(channel, str(event["thread_ts"]))
        else:
            return  # top-level channel chatter is not ours
        user = user_ref(user_id)
        record = await self.engine.store.active_session(user.key, conversation.key)
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        notify = self._private(channel, user_id, conversation.thread_id)
        if files and (record is None or record.state == "briefing"):
            if record is None and not conversation.thread_id:
                # A job description sent in the DM with nothing running: start from it.
                await self._start_from_file(user, channel, str(files[0]["id"]), notify, team_id)
            elif record is not None:
                await self._start_from_file(user, channel, str(files[0]["id"]), notify, team_id)
            return
        if record is None:
            return  # another user's reply in someone's thread, or no session here
        clips = [f for f in files if looks_like_audio(f)]
        if clips and record.state in ANSWERING_STATES:
            if not (await self.practice.scope_settings(team_id)).voice_allowed:
                await notify(
                    "Voice answers are turned off in this workspace (an admin chose that). "
                    "Please type your answer here."
                )
                return
            await self._answer_by_voice(user, conversation, record, clips[0], notify)
            return
        text = plain_text(str(event.get("text") or ""))
        if not text.strip():
            if files:
                await notify(
                    "I read answers as text or as a voice clip (mp3, m4a, ogg, webm or wav): "
                    "please type it (code in ``` blocks) or record it."
                )
            return
        event_in = IncomingEvent.say(user, conversation, text)
        await self._answer(user, conversation, event_in, notify, record)

    async def _answer(
        self,
        user: UserRef,
        conversation: ConversationRef,
        event: IncomingEvent,
        notify: Notify,
        before: SessionRecord,
    ) -> bool:
        """Hand one answer to the engine and post what comes back; False when it failed (the
        candidate was told to send it again)."""
        try:
            replies = await self._handle(event)
        except Exception:
            reference = uuid.uuid4().hex[:8]
            log.exception("answer in %s failed [ref %s]", conversation.key, reference)
            await notify(
                f"Sorry, something went wrong on my side (ref {reference}). Your answer may not "
                "have been recorded: please send it again in a moment."
            )
            return False
        await self._send(conversation, replies, user)
        await self.group.after_answer(before, conversation)
        return True

    async def _answer_by_voice(
        self,
        user: UserRef,
        conversation: ConversationRef,
        record: SessionRecord,
        file: dict[str, Any],
        notify: Notify,
    ) -> None:
        """A voice clip in the room: download, transcribe (off the loop), echo what was heard,
        then answer with it. A clip that cannot be used is explained and nothing is recorded."""
        what = "type your answer"
        try:
            meta = await self._file_info(str(file["id"]), what)
            name = str(meta.get("name") or file.get("name") or "recording")
            fmt = audio_format(
                name, str(meta.get("mimetype") or ""), str(meta.get("filetype") or "")
            )
            if fmt is None:
                await notify(f"{name} isn't a recording I can play. Send {SUPPORTED}, or type.")
                return
            await notify("Listening to your recording…")
            data = await self._fetch(meta, name, AUDIO_MAX_BYTES, what)
        except IntakeError as exc:
            await notify(f":warning: {exc}")
            return
        try:
            heard = await self.listener.hear(data, fmt, vocabulary(record))
        except AudioError as exc:
            await notify(f":warning: {exc.user_message} Nothing was recorded for this question.")
            return
        except SpeechUnavailable as exc:
            log.warning("speech recognition unavailable: %s", exc)
            await notify(unavailable_message(exc))
            return
        except Exception:
            reference = uuid.uuid4().hex[:8]
            log.exception("transcribing a clip in %s failed [ref %s]", conversation.key, reference)
            await notify(
                f"Sorry, I couldn't transcribe that (ref {reference}). Nothing was recorded: "
                "send it again, or type your answer."
            )
            return
        await self._post(
            conversation,
            SlackMessage(
                heard.echo(),
                [*sections(heard.echo()), *context(heard.delivery_line())],
                ReplyKind.NOTICE,
            ),
        )
        question_index = record.cursor
        event = IncomingEvent.spoken(user, conversation, heard.text, heard.spoken.delivery)
        if not await self._answer(user, conversation, event, notify, record):
            return
        await keep_audio_if_opted_in(
            self.engine.store,
            user.key,
            session_id=record.id,
            question_index=question_index,
            data=data,
            format=fmt,
            now=time.time(),
        )
        # Without the opt-in the bytes go out of scope here: nothing of the recording is kept.

    async def _start_from_file(
        self, user: UserRef, channel: str, file_id: str, notify: Notify, team_id: str = ""
    ) -> None:
        try:
            attachment = await self.download(file_id)
        except IntakeError as exc:
            await notify(f":warning: {exc}")
            return
        await self.start(user, channel, JobSource(attachment=attachment, team_id=team_id), notify)

    async def on_home(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await self._publish_home(user_ref(str(event["user"])))

    async def on_mention(self, event: dict[str, Any]) -> None:
        await self.client.chat_postMessage(
            channel=str(event["channel"]),
            thread_ts=str(event.get("thread_ts") or event.get("ts") or "") or None,
            text=USAGE,
        )


# ---------------------------------------------------------------------- running it
async def check_token(client: AsyncWebClient) -> str:
    """``auth.test`` once at start, so a bad token is one clear message, not a failure per
    event. Returns the bot's user id; raises ``SlackApiError``."""
    response = await client.auth_test()
    return str(response.get("user_id") or "")


async def serve_http(interview: SlackInterview, *, host: str = "0.0.0.0") -> None:
    """HTTP mode: bolt's aiohttp app at ``config.path`` until cancelled."""
    from aiohttp import web

    config = interview.config
    runner = web.AppRunner(interview.app.web_app(path=config.path, port=config.port))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, config.port)
        await site.start()
        log.warning(
            "Slack HTTP mode: listening on %s:%d%s (Request URL: https://<your host>%s)",
            host,
            config.port,
            config.path,
            config.path,
        )
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve_socket_mode(interview: SlackInterview) -> None:
    """Socket Mode: an outbound websocket to Slack (no public URL) until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(
        interview.app, interview.config.app_token, web_client=interview.client
    )
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.warning("Slack Socket Mode: connected")
    try:
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def run_slack(
    engine: InterviewEngine,
    config: SlackConfig,
    *,
    default_length: str = "standard",
    say: Callable[[str], None] = print,
    settings: Settings | None = None,
) -> int:
    """Run until stopped: Socket Mode with an app token, else HTTP. Exit 2 on a bad token.
    With ``settings``, expired transcripts are purged at start and periodically meanwhile."""
    interview = SlackInterview(engine, config, default_length=default_length, settings=settings)
    try:
        await check_token(interview.client)
    except SlackApiError as exc:
        say(
            f"! Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}). Copy the Bot User "
            "OAuth Token again from your app's OAuth & Permissions page."
        )
        return 2
    except aiohttp.ClientError as exc:
        say(f"! Could not reach the Slack API at {config.api_url}: {exc}")
        return 2
    interview.start_background()
    try:
        # Issue 12: with HTTP_PORT set, one server carries /healthz, /metrics, share pages and,
        # in HTTP mode, Slack's events (SLACK_PORT is then unused); without it, as before.
        events = [] if config.socket_mode else [slack_routes(interview.app, config.path)]
        async with (
            retention_task(engine.store, settings.retention_days if settings else 0),
            chat_http_server(settings, engine.store, extra=events) as shared,
        ):
            if config.socket_mode:
                await serve_socket_mode(interview)
            elif shared is None:
                await serve_http(interview)
            else:
                log.warning("Slack HTTP mode: Request URL https://<your host>%s", config.path)
                await asyncio.Event().wait()
    finally:
        await interview.aclose()
    return 0
