"""The ``privacy`` statement: what the bot keeps, for how long, and how to delete it (issue 11).

Built from the running settings rather than written once in the README, so the retention period
and where data lives are the ones actually in force, in every adapter.
"""

from __future__ import annotations

from bot.ports import ForgetReport
from bot.retention import SHARE_LINK_GRACE_DAYS
from bot.settings import Settings
from bot.store import describe_url


def retention_text(days: int) -> str:
    if days == 0:
        return "They are kept until you delete them (automatic expiry is switched off here)."
    return (
        f"They are deleted automatically {days} day(s) after the interview was last active, "
        "checked at start and every few hours while the bot runs."
    )


# The statement must fit one Discord message (2,000 characters) whatever the host's paths are.
_MAX_LOCATION_CHARS = 60


def _short(location: str) -> str:
    if len(location) <= _MAX_LOCATION_CHARS:
        return location
    return "…" + location[-(_MAX_LOCATION_CHARS - 1) :]


def _where(settings: Settings) -> str:
    if settings.database_url and not settings.database_url.startswith("sqlite:"):
        where = _short(describe_url(settings.database_url))
        return f"a PostgreSQL database run by whoever hosts this bot ({where})"
    return (
        f"a database file on the machine running this bot ({_short(str(settings.database_file))})"
    )


def _audio_line(audio_opt_in: bool | None) -> str:
    base = (
        "• Audio is not stored by default: voice answers are transcribed and the recording "
        "discarded. Only if you opt in (`audio on`) are recordings of your answers kept with "
        "their interview, and they go with it."
    )
    if audio_opt_in is None:
        return base
    return base + (" Your opt-in is **on**." if audio_opt_in else " Your opt-in is off.")


def privacy_statement(
    settings: Settings,
    *,
    delete_hint: str = "`/interview forget`",
    audio_opt_in: bool | None = None,
    scope_retention_days: int | None = None,
) -> str:
    """Plain language, under Discord's 2,000-character message limit. ``delete_hint`` names the
    delete command the way the reader's adapter spells it; ``audio_opt_in`` (when known) says
    where the reader stands; ``scope_retention_days`` is a server's stricter retention, if any."""
    llm = (
        "Your job descriptions and answers are also sent to the language model configured by "
        "the host, which writes questions and feedback."
        if settings.llm_base_url or settings.llm_api_key
        else "Nothing is sent to an outside AI service: this bot grades offline."
    )
    days = settings.retention_days if scope_retention_days is None else scope_retention_days
    return "\n".join(
        [
            "**What interview-bot stores about you**",
            "• Each interview: the job analysis, questions, your answers (voice as transcript), "
            "scores, feedback, recap and your user id here.",
            "• Group practice: the observers or peer interviewer you invited, scores people "
            "gave, your share links, reminders, your place in a practice queue (until matched "
            "or timed out), preferences (audio opt-in, time zone) and this server's settings.",
            _audio_line(audio_opt_in),
            f"• Where: {_where(settings)}. {llm}",
            "",
            "**How long**",
            f"• {retention_text(days)} Everything tied to an interview goes with it; sent "
            "reminders follow the same period. A share link that expired or was revoked is "
            f"deleted {SHARE_LINK_GRACE_DAYS} days later.",
            "",
            "**Who can see it**",
            "• Through the bot (history, show, export, share pages): only you and the people "
            "you invite into a session, and they see that session only. Server admins get no "
            "access to your transcripts. A share link shows one session read-only until it "
            "expires or you revoke it (`unshare`).",
            "• The conversation itself is as visible as the place it happens: a Discord private "
            "thread is also visible to server moderators (Manage Threads), a Slack channel "
            "thread to the channel's members. For a private interview, DM the bot: DMs stay DMs.",
            "",
            "**How to delete it**",
            f"• {delete_hint} deletes all of it at once (interviews, answers, scores given "
            "and received, invitations, share links, reminders, queue entries, audio, "
            "preferences) and tells you how many of each went.",
        ]
    )


def forget_summary(report: ForgetReport) -> str:
    """One sentence naming every kind of data ``forget`` removed, with counts, for every adapter."""
    parts = [
        f"{report.sessions} interview(s)",
        f"{report.turns} answer(s) with their scores and recaps",
    ]
    extra = (
        (report.share_links, "share link(s)"),
        (report.participations, "observer/interviewer invitation(s)"),
        (report.peer_scores, "score(s) you gave or received from peers"),
        (report.reminders, "reminder(s)"),
        (report.queue_entries, "practice-queue entr(y/ies)"),
        (report.audio_clips, "stored audio clip(s)"),
        (report.preferences, "preference record(s)"),
    )
    parts += [f"{count} {label}" for count, label in extra if count]
    return "Done: deleted " + ", ".join(parts) + ". Nothing about you is left in the store."
