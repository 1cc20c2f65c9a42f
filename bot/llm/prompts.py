"""Prompt templates as files under ``prompts/``, versioned, with their variables declared.

A template file starts with a header (``name``, ``version``, ``variables``, ``data``), a line holding
only ``---``, then an optional ``=== system ===`` and a ``=== user ===`` section using
``{{variable}}``. Variables
listed under ``data`` are untrusted text (the job description, the candidate's answers): they are
fenced between markers carrying a random boundary token that changes with every call, so text
inside them cannot close the fence or pass itself off as an instruction. Loading checks that the
declared variables and the ones used match, so a typo fails the test suite, not an interview.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.ports import ChatMessage
from bot.resources import prompts_dir

_VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_SECTION = re.compile(r"^=== (system|user) ===$", re.MULTILINE)
BOUNDARY_VARIABLE = "boundary"


class PromptError(ValueError):
    """A template file is malformed or rendered with the wrong variables."""


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    name: str
    version: str
    variables: frozenset[str]
    data: frozenset[str]
    system: str
    user: str

    @property
    def tag(self) -> str:
        return f"{self.name}@v{self.version}"

    def render(self, values: Mapping[str, str], boundary: str | None = None) -> list[ChatMessage]:
        """Messages for one call. Values named under ``data`` are fenced as untrusted text."""
        boundary = boundary or new_boundary()
        given = set(values)
        expected = set(self.variables) - {BOUNDARY_VARIABLE}
        if given != expected:
            raise PromptError(
                f"prompt {self.tag}: expected variables {sorted(expected)}, got {sorted(given)}"
            )
        filled = {k: fence(k, v, boundary) if k in self.data else v for k, v in values.items()}
        filled[BOUNDARY_VARIABLE] = boundary

        def substitute(text: str) -> str:
            return _VARIABLE.sub(lambda m: filled[m.group(1)], text)

        messages = [ChatMessage("system", substitute(self.system))] if self.system else []
        messages.append(ChatMessage("user", substitute(self.user)))
        return messages


def new_boundary() -> str:
    return secrets.token_hex(8)


def fence(label: str, text: str, boundary: str) -> str:
    # Marker look-alikes inside the data are defused so nothing can fake the end of the block.
    cleaned = text.replace("<<<", "‹‹‹").replace(">>>", "›››").replace(boundary, "[removed]")
    return f"<<<DATA {label} {boundary}>>>\n{cleaned}\n<<<END {label} {boundary}>>>"


def parse_template(name: str, source: str) -> PromptTemplate:
    header, sep, body = source.partition("\n---\n")
    if not sep:
        raise PromptError(f"prompt {name}: missing the '---' line after the header")
    meta: dict[str, str] = {}
    for line in header.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    for key in ("name", "version", "variables"):
        if key not in meta:
            raise PromptError(f"prompt {name}: header lacks {key!r}")
    parts = _SECTION.split(body)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if "user" not in sections:
        raise PromptError(f"prompt {name}: needs a '=== user ===' section")

    def names(value: str) -> frozenset[str]:
        return frozenset(v.strip() for v in value.split(",") if v.strip())

    variables = names(meta["variables"])
    data = names(meta.get("data", ""))
    used = set(_VARIABLE.findall(sections.get("system", "") + sections["user"]))
    if used != set(variables):
        raise PromptError(
            f"prompt {name}: declared variables {sorted(variables)} but uses {sorted(used)}"
        )
    if not data <= variables:
        raise PromptError(f"prompt {name}: data {sorted(data - variables)} are not variables")
    if data and BOUNDARY_VARIABLE not in variables:
        raise PromptError(f"prompt {name}: fenced data needs the {{{{boundary}}}} explained")
    return PromptTemplate(
        meta["name"], meta["version"], variables, data, sections.get("system", ""), sections["user"]
    )


@cache
def load_prompt(name: str, directory: str | None = None) -> PromptTemplate:
    base = Path(directory) if directory is not None else prompts_dir()
    path = base / f"{name}.md"
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PromptError(f"prompt file not found: {path}") from exc
    return parse_template(name, source)


TASKS = ("analyse", "plan", "follow_up", "grade", "recap", "repair")
