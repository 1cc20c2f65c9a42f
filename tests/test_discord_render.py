"""Discord rendering: embeds stay within Discord's limits and nothing is truncated away."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("discord")

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.config import DiscordConfig, DiscordConfigError, normalise_api_base
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    Outgoing,
    render_recap,
    render_replies,
    split_text,
)
from bot.domain import CompetencyScore, Improvement, Recap
from bot.events import Reply, ReplyKind
from bot.render import recap_text


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_limits(messages: list[Outgoing]) -> None:
    for message in messages:
        assert len(message.content) <= CONTENT_LIMIT
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message.embeds) <= EMBED_TOTAL_LIMIT
        for embed in message.embeds:
            assert len(embed.title or "") <= TITLE_LIMIT
            assert len(embed.description or "") <= DESCRIPTION_LIMIT
            assert len(embed.fields) <= FIELD_COUNT_LIMIT
            for field in embed.fields:
                assert 0 < len(field.name or "") <= FIELD_NAME_LIMIT
                assert 0 < len(field.value or "") <= FIELD_VALUE_LIMIT


def _text_of(messages: list[Outgoing]) -> str:
    parts: list[str] = []
    for message in messages:
        parts.append(message.content)
        for embed in message.embeds:
            parts.append(embed.description or "")
            parts.extend(f"{f.name}{f.value}" for f in embed.fields)
            parts.append(embed.footer.text or "")
    return " ".join(parts)


def long_recap() -> Recap:
    quote = "we rebuilt the billing pipeline so that retries were idempotent " * 12
    return Recap(
        overall=3.4,
        competencies=tuple(
            CompetencyScore(
                name=f"Competency number {i} with a fairly descriptive name",
                score=2.0 + (i % 3),
                evidence=(f"[{i}a] {quote}", f"[{i}b] {quote}"),
                anchor="Covers metadata and builds; versioning is thin. " * 6,
            )
            for i in range(30)
        ),
        strengths=tuple(f"Strength {i}: clear structure with numbers " * 5 for i in range(12)),
        improvements=tuple(
            Improvement(
                area=f"Area {i}",
                advice="Say what you did, not what the team did. " * 10,
                rewrite=f"[{i}] In my role I [slot: the action you took] which led to " * 8,
            )
            for i in range(10)
        ),
        skills_covered=tuple(f"Skill{i}" for i in range(60)),
        skills_not_covered=tuple(f"Missing{i}" for i in range(60)),
        next_focus=("Kafka", "System design", "STAR results"),
        questions_answered=30,
        questions_total=30,
        hints_used=3,
    )


def test_a_long_recap_is_split_across_embeds_and_messages_without_losing_anything() -> None:
    recap = long_recap()
    text = (
        "Interview complete. Here is your recap.\n\n" + recap_text(recap) + "\n\nUsage: 12 tokens"
    )
    reply = Reply(ReplyKind.RECAP, text, recap=recap, choices=("retake", "focus"))
    messages = render_recap(reply, chart=b"\x89PNG fake")
    _check_limits(messages)
    assert len(messages) > 1 and sum(len(m.embeds) for m in messages) > 3
    everything = _squash(_text_of(messages))
    for item in recap.competencies:
        assert _squash(item.name) in everything
        for quote in item.evidence:
            assert _squash(quote) in everything
    for improvement in recap.improvements:
        assert _squash(improvement.rewrite) in everything
    for skill in (*recap.skills_covered, *recap.skills_not_covered):
        assert skill in everything
    assert "Usage: 12 tokens" in _text_of(messages)
    assert messages[0].content == "Interview complete. Here is your recap."
    # The chart rides on the first embed; the buttons on the last message only.
    assert messages[0].chart is not None
    assert messages[0].embeds[0].image.url == "attachment://competencies.png"
    assert messages[-1].actions == ("retake", "focus")
    assert all(not m.actions for m in messages[:-1])


def test_a_huge_question_and_notices_are_split_not_cut() -> None:
    body = "Explain this. " * 800  # ~11k characters
    question = Reply(
        ReplyKind.QUESTION,
        f"Question 1 of 5 — Technical · Python\n{body}",
        question_number=1,
        question_total=5,
        choices=("hint", "repeat", "skip", "end"),
    )
    notice = Reply(ReplyKind.NOTICE, "Note " * 700)
    messages = render_replies([notice, question], question_footer="Reply in this thread")
    _check_limits(messages)
    assert _squash(body) in _squash(_text_of(messages))
    assert _squash(notice.text) in _squash(_text_of(messages))
    titles = [e.title for m in messages for e in m.embeds]
    assert titles[0] == "Question 1 of 5 — Technical · Python"
    assert messages[-1].actions == ("hint", "repeat", "skip", "end")


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab \n\n.x"), max_size=3000), limit=st.integers(1, 500)
)
def test_split_text_keeps_every_character_within_the_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert _squash("".join(pieces)) == _squash(text)


def test_api_base_url_normalisation_and_env_parsing() -> None:
    assert normalise_api_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080/api/v10"
    assert normalise_api_base("https://proxy.example/api/v10/") == "https://proxy.example/api/v10"
    with pytest.raises(DiscordConfigError):
        normalise_api_base("discord.com/api")
    config = DiscordConfig.from_env(
        {
            "DISCORD_TOKEN": " abc ",
            "DISCORD_GUILD_IDS": "910000000000000001, 910000000000000002 910000000000000001",
            "DISCORD_API_BASE_URL": "http://localhost:3000",
        }
    )
    assert config.token == "abc"
    assert config.guild_ids == (910000000000000001, 910000000000000002)
    assert config.api_base_url == "http://localhost:3000/api/v10"
    assert "abc" not in repr(config)
    with pytest.raises(DiscordConfigError, match="DISCORD_GUILD_IDS"):
        DiscordConfig.from_env({"DISCORD_GUILD_IDS": "my-server"})


def test_cli_discord_without_a_token_exits_2_with_a_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.cli import main

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_GUILD_IDS", raising=False)
    monkeypatch.setenv("INTERVIEW_BOT_DATA_DIR", str(tmp_path))
    assert main(["discord"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err
