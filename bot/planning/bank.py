"""The team's question bank: TOML files under ``data/questions/`` loaded into validated ``Question``s.

TOML rather than YAML because the standard library reads it and people can edit it by hand; each
question is validated on load so a typo in the bank fails the test suite, not an interview.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.domain import Question, QuestionType
from bot.resources import data_dir


class BankError(ValueError):
    """The question bank on disk is malformed; the message names the file and the question."""


def _convert(raw: dict[str, Any]) -> dict[str, Any]:
    item = dict(raw)
    rubric = item.get("rubric")
    if isinstance(rubric, dict):
        item["rubric"] = {
            "weak": rubric.get("1", ""),
            "adequate": rubric.get("3", ""),
            "strong": rubric.get("5", ""),
        }
    return item


def _parse_file(path: Path) -> Iterator[Question]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BankError(f"{path.name}: not valid TOML: {exc}") from exc
    for position, raw in enumerate(document.get("questions", [])):
        try:
            yield Question.model_validate(_convert(raw))
        except ValidationError as exc:
            ident = raw.get("id", f"#{position}") if isinstance(raw, dict) else f"#{position}"
            raise BankError(f"{path.name}: question {ident}: {exc}") from exc


@dataclass(frozen=True)
class QuestionBank:
    questions: tuple[Question, ...]
    _by_id: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for question in self.questions:
            if question.id in self._by_id:
                raise BankError(f"duplicate question id: {question.id}")
            self._by_id[question.id] = question

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def of_type(self, kind: QuestionType) -> list[Question]:
        return [q for q in self.questions if q.type is kind]

    def for_skill(self, skill: str) -> list[Question]:
        wanted = skill.casefold()
        return [q for q in self.questions if any(s.casefold() == wanted for s in q.skills)]

    def skills(self) -> set[str]:
        return {s for q in self.questions for s in q.skills}

    def role_families(self) -> set[str]:
        return {f for q in self.questions for f in q.role_families}


def load_bank(paths: Iterable[Path] | None = None) -> QuestionBank:
    files = (
        sorted(paths) if paths is not None else sorted((data_dir() / "questions").glob("*.toml"))
    )
    if not files:
        raise BankError(f"no question files found under {data_dir() / 'questions'}")
    questions: list[Question] = []
    for path in files:
        questions.extend(_parse_file(path))
    return QuestionBank(tuple(questions))
