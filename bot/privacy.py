"""The ``privacy`` statement: what the bot keeps, for how long, and how to delete it (issue 11).

Built from the running settings rather than written once in the README, so the retention period
and where data lives are the ones actually in force, in every adapter.
"""

from __future__ import annotations

from bot.ports import ForgetReport
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


def privacy_statement(settings: Settings, *, delete_hint: str = "`/interview forget`") -> str:
    """Plain language, under Discord's 2,000-character message limit. ``delete_hint`` names the
    delete command the way the reader's adapter spells it."""
    llm = (
        "Your job descriptions and answers are also sent to the language model configured by "
        "the host, which writes questions and feedback."
        if settings.llm_base_url or settings.llm_api_key
        else "Nothing is sent to an outside AI service: this bot grades offline."
    )
    return "\n".join(
        [
            "**What interview-bot stores about you**",
            "• Each interview: the job description's analysis (title, level, skills), the "
            "questions you were asked, your typed answers (voice answers as their transcript), "
            "the scores, feedback and recap, and your user id on this platform.",
            "• Audio is never stored: voice is transcribed and the recording discarded.",
            f"• Where: {_where(settings)}. {llm}",
            "",
            "**How long**",
            f"• {retention_text(settings.retention_days)}",
            "",
            "**Who can see it**",
            "• Only you: history and transcripts are shown to the user they belong to, privately.",
            "",
            "**How to delete it**",
            f"• {delete_hint} deletes all your interviews, answers, scores and recaps at once "
            "and tells you how many were removed.",
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
