"""Block Kit rendering and the adapter's configuration: pure, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters import cli
from adapters.slack.config import SlackConfig, SlackConfigError, normalise_api_url
from adapters.slack.render import (
    FIELD_TEXT_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    escape,
    escaped_pieces,
    history_blocks,
    render_replies,
    split_text,
)
from bot.domain import CompetencyScore, Improvement, Recap
from bot.events import Reply, ReplyKind


def _all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _check(blocks: list[dict[str, object]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= SECTION_TEXT_LIMIT
        for field in block.get("fields", []) or []:  # type: ignore[attr-defined]
            assert len(field["text"]) <= FIELD_TEXT_LIMIT


def test_a_huge_recap_is_split_across_messages_without_losing_anything() -> None:
    competencies = tuple(
        CompetencyScore(
            name=f"Competency {i}",
            score=3.0 + (i % 3) * 0.5,
            evidence=tuple(f"quote {i}.{j} " + "word " * 120 for j in range(6)),
            anchor="Clear structure with a measurable result.",
        )
        for i in range(40)
    )
    recap = Recap(
        overall=3.4,
        competencies=competencies,
        strengths=tuple(f"strength {i} " + "x" * 300 for i in range(20)),
        improvements=(
            Improvement(area="Results", advice="Quantify.", rewrite="I cut p99 by 80%."),
        ),
        skills_covered=("Python",),
        skills_not_covered=("Kafka",),
        next_focus=("Kafka", "System design"),
        questions_answered=8,
        questions_total=8,
    )
    reply = Reply(ReplyKind.RECAP, "Interview complete.", recap=recap, choices=("retake", "focus"))
    messages = render_replies([reply], "U1|C1|1.2")
    assert len(messages) > 1
    for message in messages:
        _check(message.blocks)
        assert len(message.text) <= 3000
    joined = "".join(_all_text(m.blocks) for m in messages)
    for i in range(40):
        for j in range(6):
            assert f"quote {i}.{j} " in joined
    assert "strength 19" in joined
    last = messages[-1].blocks
    assert last[-1]["type"] == "actions"
    ids = [e["action_id"] for e in last[-1]["elements"]]
    assert ids == ["iv:retake", "iv:focus"]
    assert last[-1]["elements"][1]["text"]["text"] == "Focus on Kafka, System design"


def test_long_text_becomes_several_sections_and_is_escaped() -> None:
    text = ("a <b> & c " * 900).strip()
    reply = Reply(ReplyKind.FEEDBACK, text)
    (message,) = render_replies([reply], "U1|C1|")
    assert len(message.blocks) > 1
    _check(message.blocks)
    joined = " ".join(b["text"]["text"] for b in message.blocks)
    assert "<b>" not in joined and joined.count("&lt;b&gt;") == 900


def test_question_buttons_and_confirm() -> None:
    reply = Reply(
        ReplyKind.QUESTION,
        "Question 1 of 5 — Technical · Python\nHow do you profile a slow service?",
        question_number=1,
        question_total=5,
        choices=("hint", "repeat", "skip", "end"),
    )
    (message,) = render_replies([reply], "U1|C1|9.9")
    assert message.blocks[0]["text"]["text"].startswith("*Question 1 of 5")
    actions = message.blocks[-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        "iv:hint",
        "iv:repeat",
        "iv:skip",
        "iv:end",
    ]
    assert all(e["value"] == "U1|C1|9.9" for e in actions["elements"])
    assert "confirm" in actions["elements"][-1]


def test_split_helpers() -> None:
    text = "para one\n\n" + "word " * 50
    assert "".join(split_text(text, 40)).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert all(len(p) <= 10 for p in escaped_pieces("<<<<<<<<<<<<<<<<<<<<", 10))
    assert escape("<@U1> & <!here>") == "&lt;@U1&gt; &amp; &lt;!here&gt;"


def test_history_is_bounded() -> None:
    assert history_blocks([])[1]["text"]["text"].startswith("No interviews yet")


def test_config_from_env() -> None:
    config = SlackConfig.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_PORT": "8080"}
    )
    assert config.socket_mode and config.port == 8080 and config.missing() == []
    assert "xoxb-1" not in repr(config)
    assert config.api_url == "https://slack.com/api/"
    http = SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert not http.socket_mode and "SLACK_SIGNING_SECRET" in " ".join(http.missing())
    assert normalise_api_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000/api/"
    assert normalise_api_url("https://proxy/slack/api") == "https://proxy/slack/api/"
    with pytest.raises(SlackConfigError) as info:
        SlackConfig.from_env(
            {"SLACK_BOT_TOKEN": "abc", "SLACK_API_URL": "ftp://x", "SLACK_PORT": "http"}
        )
    assert str(info.value).count("\n") == 2


def test_cli_exits_2_without_tokens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["--db", str(tmp_path / "db.sqlite3"), "slack"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert cli.main(["--db", str(tmp_path / "db.sqlite3"), "slack", "--port", "99999"]) == 2
    assert "not a TCP port" in capsys.readouterr().err
