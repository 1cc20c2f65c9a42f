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


def _where(settings: Settings) -> str:
    if settings.database_url and not settings.database_url.startswith("sqlite:"):
        return f"a PostgreSQL database run by whoever hosts this bot ({describe_url(settings.database_url)})"
    return f"a database file on the machine running this bot ({settings.database_file})"


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
            "• Each interview: the job analysis, the questions, your typed answers (voice as "
            "transcript), scores, feedback and recap, and your user id here.",
            "• Group practice: who you invited (observers, a peer interviewer), the 1–5 scores "
            "people gave, share links you made, reminders you scheduled, your place in a "
            "practice queue (until matched or timed out), your preferences (audio opt-in, time "
            "zone) and this server's settings.",
            _audio_line(audio_opt_in),
            f"• Where: {_where(settings)}. {llm}",
            "",
            "**How long**",
            f"• {retention_text(days)} Scores, invitations, share links and stored audio go "
            "with their interview; sent reminders go with the same retention. A share link "
            f"that expired or was revoked is deleted {SHARE_LINK_GRACE_DAYS} days later.",
            "",
            "**Who can see it**",
            "• You, and only the people you invite into a session (they see that session, "
            "nothing else). Server admins cannot read your transcripts. A share link shows one "
            "session read-only until it expires or you revoke it (`unshare`). DMs stay DMs.",
            "",
            "**How to delete it**",
            f"• {delete_hint} deletes your interviews, answers, scores, recaps, invitations, "
            "scores you gave, share links, reminders, queue entries, stored audio and "
            "preferences at once, and tells you how many of each were removed.",
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
