"""Group practice in a Slack channel thread (issue 11): observers, peer interviewers, their
scores and the recap's bot-vs-people comparison.

The rules (who may invite, score, swap) live in ``bot.community``; this module turns them into
Slack: mentions in, ephemeral refusals and private interviewer notes (``chat.postEphemeral``:
only that person sees them, in the thread), score buttons under each answered question, and one
comparison message after the recap that is edited as late scores arrive.

A session in the DM with the bot cannot have guests: nobody else can see a DM, so the candidate
is asked to start in a channel instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError

from adapters.slack.render import (
    Block,
    context,
    escape,
    markdown_to_mrkdwn,
    sections,
)
from bot.access import AccessDenied, can_view
from bot.community.errors import CommunityError
from bot.community.participants import (
    INTERVIEWER,
    OBSERVER,
    guest_list,
    interviewer_of,
    invite,
    role_in,
    uninvite,
)
from bot.community.peer import check_swap, interviewer_notes, notes_markdown, swap_roles
from bot.community.prefs import recordings
from bot.community.scoring import compare, comparison_markdown, record_score, rubric_scale
from bot.events import ConversationRef, Reply, ReplyKind, UserRef
from bot.ports import SessionRecord

if TYPE_CHECKING:
    from adapters.slack.app import SlackInterview

log = logging.getLogger(__name__)

GROUP_PREFIX = "ivg:"
SCORE_ACTION = GROUP_PREFIX + "score:"
SWAP_ACTION = GROUP_PREFIX + "swap"
# The one refusal for a button on a session that is gone or not the clicker's (as bot.access):
# a forged action value must not tell whether a session exists.
NOT_YOURS = "Only the candidate and the people they invited can score or see this interview."
ANSWERING = ("asking", "follow_up")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|^@?([UW][A-Z0-9]{4,})$")
INVITE_USAGE = (
    "`/interview invite @someone observer` lets them watch and score your answers; "
    "`/interview invite @someone interviewer` makes them your peer interviewer (they see the "
    "questions' notes privately). `/interview uninvite @someone` removes them."
)

Respond = Callable[..., Awaitable[Any]]


def slack_id(user_key: str) -> str:
    return user_key.split(":", 1)[1] if user_key.startswith("slack:") else user_key


def mention_of(user_key: str) -> str:
    return f"<@{slack_id(user_key)}>"


def mentioned_user(text: str) -> str | None:
    """The user id in ``<@U123|name>`` (what Slack sends for a mention when the command escapes
    them) or a bare ``U123``; None for anything else (a name cannot be trusted to be unique)."""
    for word in text.split():
        match = _MENTION.match(word)
        if match:
            return match.group(1) or match.group(2)
    return None


def score_blocks(record: SessionRecord, question_index: int) -> list[Block]:
    """The 1-5 buttons for one answered question, with the rubric's anchors as the scale."""
    question = record.plan.questions[question_index]
    value = f"{record.id}|{question_index}"
    scale = " · ".join(f"*{s}* {anchor}" for s, anchor in rubric_scale(question) if s % 2)
    intro = (
        f"*Observers: score question {question_index + 1}* on the bot's rubric "
        "(only people in this interview can; scoring again replaces your score)."
    )
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        *context(scale[:2900]),
        {
            "type": "actions",
            "block_id": f"score-{record.id}-{question_index}",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"{SCORE_ACTION}{score}",
                    "text": {"type": "plain_text", "text": f"{score}"},
                    "value": value,
                }
                for score in range(1, 6)
            ],
        },
    ]


class GroupPractice:
    """Invite, score, peer notes and the recap comparison for one ``SlackInterview``."""

    def __init__(self, interview: SlackInterview) -> None:
        self.interview = interview
        self._comparisons: dict[str, str] = {}  # session id -> comparison message ts

    @property
    def store(self) -> Any:
        return self.interview.engine.store

    # ------------------------------------------------------------------ commands
    async def _session_for_guests(self, user: UserRef) -> tuple[SessionRecord, ConversationRef]:
        from adapters.slack.app import is_dm, parse_conversation_key

        record = await self.interview._latest_active(user.key)
        conversation = parse_conversation_key(record.conversation_key) if record else None
        if record is None or conversation is None:
            raise CommunityError(
                "You have no interview running. Start one in a channel with /interview start, "
                "then invite people to its thread."
            )
        if is_dm(conversation.channel_id):
            raise CommunityError(
                "This interview is in our DM, which nobody else can see. Start one in a channel "
                "(/interview start there) to practise with others."
            )
        return record, conversation

    async def invite_command(self, user: UserRef, args: str, respond: Respond) -> None:
        invitee = mentioned_user(args)
        words = [w.lower() for w in args.split()]
        role = next((w for w in words if w in (OBSERVER, INTERVIEWER)), OBSERVER)
        if invitee is None:
            await respond(text=INVITE_USAGE, response_type="ephemeral")
            return
        try:
            record, conversation = await self._session_for_guests(user)
            await invite(
                self.store,
                record,
                by=user.key,
                invitee=f"slack:{invitee}",
                role=role,
                now=time.time(),
            )
        except CommunityError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        what = (
            "as peer interviewer: they get each question's notes privately and ask the questions"
            if role == INTERVIEWER
            else "as an observer: they score each answer with the buttons under it"
        )
        await self.interview._post_text(
            conversation, f"{mention_of(user.key)} invited <@{invitee}> {what}."
        )
        if role == INTERVIEWER:
            await self.send_notes(record, conversation)
        await respond(text=f"<@{invitee}> is in, {what}.", response_type="ephemeral")

    async def uninvite_command(self, user: UserRef, args: str, respond: Respond) -> None:
        """The candidate removes a guest (``uninvite @someone``); a guest with no mention leaves
        the interview they were last let into."""
        target = mentioned_user(args)
        try:
            if target is None:
                joined = await self.store.sessions_participating(user.key, limit=1)
                record = await self.store.load_session(joined[0]) if joined else None
                if record is None:
                    raise CommunityError("You are not a guest in anyone's interview.")
                removed = await uninvite(self.store, record, by=user.key, user_key=user.key)
            else:
                record, _ = await self._session_for_guests(user)
                removed = await uninvite(
                    self.store, record, by=user.key, user_key=f"slack:{target}"
                )
        except CommunityError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        text = "Done: removed." if removed else "Nobody was removed: they were not in it."
        await respond(text=text, response_type="ephemeral")

    async def guests_command(self, user: UserRef, respond: Respond) -> None:
        try:
            record, _ = await self._session_for_guests(user)
        except CommunityError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        people = await self.store.participants(record.id)
        await respond(text=guest_list(people, "<@{}>"), response_type="ephemeral")

    async def swap_command(self, user: UserRef, respond: Respond) -> None:
        """The peer interviewer becomes the candidate of a fresh interview on the same job, in
        the same thread; the candidate becomes its interviewer."""
        from adapters.slack.app import parse_conversation_key

        record = await self._last_session_with_guests(user.key)
        conversation = parse_conversation_key(record.conversation_key) if record else None
        if record is None or conversation is None:
            await respond(
                text="Swapping roles needs a finished peer interview you took part in.",
                response_type="ephemeral",
            )
            return
        try:
            interviewer = await check_swap(
                self.store, record, by=user.key, conversation=conversation
            )
        except CommunityError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        if user.key != interviewer:
            await self._ask_to_swap(record, conversation, user, interviewer)
            await respond(
                text=f"Asked {mention_of(interviewer)} to accept the swap.",
                response_type="ephemeral",
            )
            return
        try:
            await self._swap(record, conversation, user)
        except CommunityError as exc:
            await respond(text=str(exc), response_type="ephemeral")
            return
        await respond(text="Swapped. The new plan is in the thread.", response_type="ephemeral")

    async def _ask_to_swap(
        self,
        record: SessionRecord,
        conversation: ConversationRef,
        user: UserRef,
        interviewer: str,
    ) -> None:
        """The candidate asked: becoming the candidate is the interviewer's decision, so they
        get an "Accept swap" button in the thread (only they can use it) and nothing starts
        until they press it."""
        text = (
            f"{mention_of(interviewer)}, {mention_of(user.key)} would like to swap roles: you'd "
            "be the candidate of a new interview on the same job. Only you can accept; nothing "
            "starts until you do. Observers are not carried over."
        )
        blocks: list[Block] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "block_id": f"swap-{record.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SWAP_ACTION,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Accept swap"},
                        "value": record.id,
                    }
                ],
            },
        ]
        await self.interview._post_blocks(conversation, text, blocks)

    async def _swap(
        self, record: SessionRecord, conversation: ConversationRef, user: UserRef
    ) -> None:
        """Run the swap for ``user`` (the interviewer: running it is their consent);
        ``CommunityError`` when it cannot happen now."""
        from adapters.slack.app import user_ref

        swap = await swap_roles(
            self.interview.engine,
            record,
            by=user.key,
            conversation=conversation,
            now=time.time(),
        )
        candidate = user_ref(slack_id(swap.new_candidate))
        await self.interview._post_text(
            conversation,
            f"Roles swapped: {mention_of(swap.new_candidate)} is the candidate now and "
            f"{mention_of(swap.new_interviewer)} interviews.",
        )
        await self.interview._send(conversation, swap.replies, candidate)

    async def recordings_command(self, user: UserRef, args: str, respond: Respond) -> None:
        """``/interview recordings SESSION``: the candidate's kept clips, uploaded to their DM
        with the bot (a slash command's reply cannot carry files; the DM is only theirs)."""

        async def tell(text: str) -> None:
            await respond(text=text, response_type="ephemeral")

        if not args.strip():
            await tell("Which interview? `/interview recordings <id>` (ids: `/interview history`).")
            return
        try:
            session_id, clips = await recordings(self.store, args.strip().strip("`"), user.key)
        except AccessDenied as exc:
            await tell(str(exc))
            return
        if not clips:
            await tell(
                f"No recordings are kept for interview `{session_id}` (audio opt-in was off, or "
                "no answer was spoken)."
            )
            return
        client = self.interview.client
        try:
            opened = await client.conversations_open(users=user.user_id)
            dm = str(opened["channel"]["id"])
            for clip in clips:
                await client.files_upload_v2(
                    channel=dm,
                    content=clip.data,
                    filename=clip.filename,
                    title=f"Interview {session_id}: {clip.filename}",
                )
        except SlackApiError as exc:
            log.warning("could not upload recordings: %s", exc.response.get("error"))
            await tell("I couldn't send the recordings to our DM; try again in a minute.")
            return
        await tell(f"I sent {len(clips)} recording(s) of interview `{session_id}` to our DM.")

    async def _last_session_with_guests(self, user_key: str) -> SessionRecord | None:
        """The most recent Slack session the user is candidate or interviewer of."""
        own = await self.store.sessions_for_user(user_key, limit=5)
        invited = [
            r
            for sid in await self.store.sessions_participating(user_key, limit=5)
            if (r := await self.store.load_session(sid)) is not None
        ]
        candidates = [r for r in [*own, *invited] if r.conversation_key.startswith("slack:")]
        return max(candidates, key=lambda r: (r.created_at, r.id), default=None)

    # ------------------------------------------------------------------ during the interview
    async def send_notes(self, record: SessionRecord, conversation: ConversationRef) -> None:
        """The open question's hidden notes, to the peer interviewer only."""
        interviewer = await interviewer_of(self.store, record)
        notes = interviewer_notes(record)
        if interviewer is None or notes is None:
            return
        text = markdown_to_mrkdwn(notes_markdown(notes))
        try:
            await self.interview.client.chat_postEphemeral(
                channel=conversation.channel_id,
                user=slack_id(interviewer),
                thread_ts=conversation.thread_id or None,
                text=text[:3000],
                blocks=sections(text)[:50],
            )
        except SlackApiError as exc:
            log.info("could not send interviewer notes: %s", exc.response.get("error"))

    async def after_replies(self, conversation: ConversationRef, replies: Sequence[Reply]) -> None:
        """Called after the engine's replies were posted: new question -> interviewer notes;
        recap -> the bot-vs-people comparison."""
        session_id = next((r.session_id for r in replies if r.session_id), "")
        if not session_id or not any(
            r.kind in (ReplyKind.QUESTION, ReplyKind.RECAP) for r in replies
        ):
            return
        if not await self.store.participants(session_id):
            return
        record = await self.store.load_session(session_id)
        if record is None:
            return
        if any(r.kind is ReplyKind.QUESTION for r in replies):
            await self.send_notes(record, conversation)
        if any(r.kind is ReplyKind.RECAP for r in replies):
            await self.post_comparison(record, conversation)

    async def after_answer(self, before: SessionRecord, conversation: ConversationRef) -> None:
        """Score buttons for a question the candidate just finished answering (the bot moved
        on, or the candidate skipped the follow-up or ended the interview), when anyone besides
        the candidate is in the session. An unanswered (skipped) question gets none."""
        if not await self.store.participants(before.id):
            return
        after = await self.store.load_session(before.id)
        if after is None:
            return
        index = before.cursor
        done = after.cursor > index or after.state not in ANSWERING
        answered = any(t.question_index == index and t.answer for t in after.turns)
        if not done or not answered or not 0 <= index < len(after.plan.questions):
            return
        blocks = score_blocks(after, index)
        await self.interview._post_blocks(conversation, f"Score question {index + 1} (1-5)", blocks)

    async def post_comparison(self, record: SessionRecord, conversation: ConversationRef) -> None:
        """Post (or update in place) the recap's bot-vs-people section."""
        comparison = compare(record, await self.store.peer_scores(record.id))
        text = comparison_markdown(comparison)
        if not text:
            text = (
                "**Bot vs observers**: nobody has scored yet. Scores given with the buttons "
                "above still count and update this message."
            )
        mrkdwn = markdown_to_mrkdwn(text)
        blocks = sections(mrkdwn)[:50]
        ts = self._comparisons.get(record.id)
        if ts:
            try:
                await self.interview.client.chat_update(
                    channel=conversation.channel_id, ts=ts, text=mrkdwn[:3000], blocks=blocks
                )
                return
            except SlackApiError as exc:
                log.info("could not update the comparison: %s", exc.response.get("error"))
        self._comparisons[record.id] = await self.interview._post_blocks(
            conversation, mrkdwn[:3000], blocks
        )
        while len(self._comparisons) > 2000:
            self._comparisons.pop(next(iter(self._comparisons)))

    # ------------------------------------------------------------------ score buttons
    async def on_action(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        from adapters.slack.app import parse_conversation_key

        await ack()
        action_id = str(action.get("action_id") or "")
        clicker = str(body.get("user", {}).get("id") or "")
        if action_id == SWAP_ACTION and clicker:
            await self._accept_swap(str(action.get("value") or ""), clicker, respond)
            return
        if not action_id.startswith(SCORE_ACTION) or not clicker:
            return
        session_id, _, index_text = str(action.get("value") or "").partition("|")
        try:
            score = float(action_id.removeprefix(SCORE_ACTION))
            index = int(index_text)
        except ValueError:
            return
        record = await self.store.load_session(session_id)

        async def tell(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        if record is None or not await can_view(self.store, record, f"slack:{clicker}"):
            await tell(NOT_YOURS)
            return
        try:
            await record_score(
                self.store,
                record,
                scorer=f"slack:{clicker}",
                question_index=index,
                score=score,
                now=time.time(),
            )
        except CommunityError as exc:
            await tell(str(exc))
            return
        anchor = dict(rubric_scale(record.plan.questions[index])).get(int(score), "")
        await tell(f"You scored question {index + 1}: {score:g}/5 — {escape(anchor)}")
        conversation = parse_conversation_key(record.conversation_key)
        if record.state == "finished" and conversation is not None:
            await self.post_comparison(record, conversation)

    async def _accept_swap(self, session_id: str, clicker: str, respond: AsyncRespond) -> None:
        """The "Accept swap" button: only the session's peer interviewer can press it."""
        from adapters.slack.app import parse_conversation_key, user_ref

        async def tell(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        user = user_ref(clicker)
        record = await self.store.load_session(session_id)
        if record is None or not await can_view(self.store, record, user.key):
            await tell(NOT_YOURS)
            return
        conversation = parse_conversation_key(record.conversation_key)
        if await role_in(self.store, record, user.key) != INTERVIEWER or conversation is None:
            await tell("Only the interviewer who was asked can accept.")
            return
        try:
            await self._swap(record, conversation, user)
        except CommunityError as exc:
            await tell(str(exc))
            return
        await tell("Swapped. The new plan is in the thread.")
