"""The team's question bank: valid, broad enough, and consistent with the taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain import QuestionType
from bot.evaluation.text import content_words
from bot.planning.bank import BankError, QuestionBank, load_bank
from bot.planning.planner import ENGINEERING_FAMILIES
from bot.resources import data_dir


def test_bank_covers_every_question_type_and_enough_skills(bank: QuestionBank) -> None:
    for kind in QuestionType:
        assert bank.of_type(kind), f"no {kind} questions"
    assert len(bank.skills()) >= 40
    assert len(bank.role_families()) >= 10


def test_every_question_has_a_usable_rubric_and_talking_points(bank: QuestionBank) -> None:
    for question in bank.questions:
        assert question.talking_points, question.id
        assert question.rubric.weak != question.rubric.strong, question.id
        for point in question.talking_points:
            assert all(k == k.lower() and k.strip() == k and k for k in point.keywords), question.id


def test_bank_skill_names_exist_in_the_taxonomy(bank: QuestionBank) -> None:
    skills = json.loads((data_dir() / "taxonomy" / "skills.json").read_text())
    names = {entry["name"] for entry in skills["skills"]}
    missing = bank.skills() - names
    assert not missing, f"bank skills unknown to the taxonomy: {sorted(missing)}"


def test_duplicate_ids_and_bad_fields_fail_loudly(tmp_path: Path) -> None:
    one = tmp_path / "a.toml"
    one.write_text((data_dir() / "questions" / "example.toml").read_text())
    two = tmp_path / "b.toml"
    two.write_text(one.read_text())
    with pytest.raises(BankError, match="duplicate question id"):
        load_bank([one, two])
    broken = tmp_path / "c.toml"
    broken.write_text(one.read_text().replace('type = "behavioural"', 'type = "trivia"'))
    with pytest.raises(BankError, match=r"c\.toml: question beh\.example\.format"):
        load_bank([broken])


def test_no_two_questions_are_near_duplicates(bank: QuestionBank) -> None:
    """Different ids must not hide the same question: the plan's no-repeat rule relies on it."""
    words = [(q.id, content_words(q.text)) for q in bank.questions]
    for i, (first, a) in enumerate(words):
        for second, b in words[i + 1 :]:
            overlap = len(a & b) / max(1, min(len(a), len(b)))
            assert overlap < 0.8, (first, second)


def test_every_question_has_follow_up_hooks_and_a_hint(bank: QuestionBank) -> None:
    for question in bank.questions:
        assert question.follow_ups, question.id
        assert question.hint, question.id


def test_role_questions_cover_ten_non_engineering_families(bank: QuestionBank) -> None:
    families = bank.role_families() - ENGINEERING_FAMILIES
    assert len(families) >= 10
    for family in families:
        competencies = {
            q.competency for q in bank.of_type(QuestionType.ROLE) if family in q.role_families
        }
        assert len(competencies) >= 3, family
