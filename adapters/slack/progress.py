"""``/interview show``, ``share`` and ``unshare``: one past session, to its candidate and the
people they let in, and signed read-only links for a mentor.

Every answer here is ephemeral (only the person asking sees it): a transcript never lands in a
channel because someone typed a command there. A session someone may not see gets the same words
as a session that does not exist, so ids cannot be probed for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import document_blocks, markdown_to_mrkdwn, sections
from bot.access import AccessDenied, viewable_session
from bot.ports import SessionRecord, Store
from bot.progress import session_markdown
from bot.settings import Settings

log = logging.getLogger(__name__)


def context_mrkdwn(text: str) -> list[dict[str, Any]]:
    """A context line of trusted mrkdwn (a date token must not be escaped)."""
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}]


Respond = Callable[..., Awaitable[Any]]


async def latest_session(store: Store, user_key: str, platform: str) -> SessionRecord | None:
    """The user's most recent non-cancelled session on ``platform`` (what ``share`` with no id
    means)."""
    for record in await store.sessions_for_user(user_key, limit=20):
        if record.state != "cancelled" and record.conversation_key.startswith(f"{platform}:"):
            return record
    return None


async def show(
    store: Store,
    client: AsyncWebClient,
    user_id: str,
    user_key: str,
    args: str,
    respond: Respond,
) -> None:
    """``/interview show <id> [markdown]``: the session in an ephemeral message; with
    ``markdown`` the whole export also arrives as a .md file in the user's DM."""
    words = args.split()
    if not words:
        await respond(
            text="Which one? `/interview show <session id>` (ids are in `/interview history`).",
            response_type="ephemeral",
        )
        return
    try:
        record = await viewable_session(store, words[0].strip("`"), user_key)
    except AccessDenied as exc:
        await respond(text=f"{exc}. `/interview history` lists yours.", response_type="ephemeral")
        return
    markdown = session_markdown(record)
    title = f"Mock interview: {record.profile.title}"
    await respond(
        text=title,
        blocks=document_blocks(title, markdown_to_mrkdwn(markdown)),
        response_type="ephemeral",
    )
    if any(w.lower() in ("markdown", "md", "export") for w in words[1:]):
        try:
            opened = await client.conversations_open(users=user_id)
            await client.files_upload_v2(
                channel=str(opened["channel"]["id"]),
                content=markdown.encode("utf-8"),
                filename=f"interview-{record.id}.md",
                title=title,
            )
        except SlackApiError as exc:
            log.warning("could not send the Markdown export: %s", exc.response.get("error"))
            await respond(
                text="I couldn't send the Markdown file to our DM; try again later.",
                response_type="ephemeral",
            )


async def share(
    store: Store,
    settings: Settings,
    user_key: str,
    platform: str,
    args: str,
    respond: Respond,
) -> None:
    """``/interview share [id]``: a signed, expiring read-only link to one of the user's own
    sessions (the latest with no id). Only the candidate shares; observers cannot."""
    from bot.share import create_share

    words = args.split()
    if words:
        ref = words[0].strip("`")
    else:
        latest = await latest_session(store, user_key, platform)
        if latest is None:
            await respond(
                text="You have no interview to share yet. Start one with /interview start.",
                response_type="ephemeral",
            )
            return
        ref = latest.id
    try:
        shared = await create_share(store, settings, ref, user_key, now=time.time())
    except AccessDenied as exc:
        await respond(text=str(exc), response_type="ephemeral")
        return
    record = await store.load_session(shared.link.session_id)
    title = record.profile.title if record is not None else "mock"
    expires = int(shared.expires_at)
    readable = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
    note = (
        f"Expires <!date^{expires}^{{date_short_pretty}} {{time}}|{readable}>. "
        f"`/interview unshare {shared.link.session_id}` revokes it now."
    )
    if not shared.served:
        note += (
            " This link works only once the bot's web server runs (HTTP_PORT) and is reachable "
            "from outside (PUBLIC_URL): ask whoever runs the bot."
        )
    await respond(
        text=f"Read-only link to your {title} interview: {shared.url}",
        blocks=[
            *sections(
                f"Read-only link to your {title} interview (its transcript and recap, nothing "
                f"else of yours):\n{shared.url}"
            ),
            *context_mrkdwn(note),
        ],
        response_type="ephemeral",
    )


async def unshare(store: Store, user_key: str, args: str, respond: Respond) -> None:
    """``/interview unshare [id]``: revoke the user's links (one session's, or all)."""
    from bot.share import revoke_shares

    words = args.split()
    session_id = words[0].strip("`") if words else None
    try:
        count = await revoke_shares(store, user_key, session_id=session_id, now=time.time())
    except AccessDenied as exc:
        await respond(text=str(exc), response_type="ephemeral")
        return
    what = "that interview" if session_id else "your interviews"
    text = (
        f"Revoked {count} link(s) to {what}: they no longer open."
        if count
        else f"There were no open links to {what}."
    )
    await respond(text=text, response_type="ephemeral")
