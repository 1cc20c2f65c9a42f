"""Buttons and modals.

Every button is an ``ActionButton``: a ``DynamicItem`` whose custom id carries the action, the
candidate's user id and the room (``ib:<action>:<owner>:<guild id|dm>:<room id>``), so buttons keep
working after a restart with no per-message state. Clicks are handed to whatever the client exposes
as ``interview_actions`` (the interview cog), which checks the owner and talks to the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import discord

from adapters.discord.render import clip_label
from bot.events import ConversationRef

log = logging.getLogger(__name__)

TEMPLATE = r"ib:(?P<action>[a-z]+):(?P<owner>\d+):(?P<scope>\d+|dm):(?P<room>\d+)"

LABELS: Mapping[str, tuple[str, discord.ButtonStyle]] = {
    "begin": ("Start", discord.ButtonStyle.success),
    "coding": ("Include coding", discord.ButtonStyle.secondary),
    "length": ("Change length", discord.ButtonStyle.secondary),
    "cancel": ("Cancel", discord.ButtonStyle.danger),
    "hint": ("Hint", discord.ButtonStyle.secondary),
    "repeat": ("Repeat", discord.ButtonStyle.secondary),
    "skip": ("Skip", discord.ButtonStyle.secondary),
    "end": ("End", discord.ButtonStyle.danger),
    "pause": ("Pause", discord.ButtonStyle.secondary),
    "resume": ("Resume", discord.ButtonStyle.primary),
    "retake": ("Retake", discord.ButtonStyle.primary),
    "focus": ("Focus on …", discord.ButtonStyle.secondary),
}
BUTTON_LABEL_LIMIT = 80


@dataclass(frozen=True, slots=True)
class ButtonAction:
    action: str
    owner_id: int
    conversation: ConversationRef


@runtime_checkable
class ActionHandler(Protocol):
    async def handle_action(
        self, interaction: discord.Interaction, action: ButtonAction
    ) -> None: ...

    async def report_error(
        self, interaction: discord.Interaction, error: BaseException
    ) -> None: ...


def custom_id(action: str, owner_id: int, conversation: ConversationRef) -> str:
    return f"ib:{action}:{owner_id}:{conversation.channel_id}:{conversation.thread_id}"


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    def __init__(
        self,
        action: ButtonAction,
        *,
        label: str | None = None,
        style: discord.ButtonStyle | None = None,
        disabled: bool = False,
    ) -> None:
        default_label, default_style = LABELS.get(
            action.action, (action.action.title(), discord.ButtonStyle.secondary)
        )
        self.action = action
        super().__init__(
            discord.ui.Button(
                label=clip_label(label or default_label, BUTTON_LABEL_LIMIT),
                style=style or default_style,
                custom_id=custom_id(action.action, action.owner_id, action.conversation),
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
    ) -> ActionButton:
        conversation = ConversationRef("discord", match["scope"], match["room"])
        return cls(ButtonAction(match["action"], int(match["owner"]), conversation))

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = getattr(interaction.client, "interview_actions", None)
        if not isinstance(handler, ActionHandler):
            log.warning("button %s clicked but no interview handler is loaded", self.custom_id)
            await interaction.response.send_message(
                "The interview module is not loaded right now. Try again in a minute.",
                ephemeral=True,
            )
            return
        await handler.handle_action(interaction, self.action)


def action_view(
    actions: tuple[str, ...],
    owner_id: int,
    conversation: ConversationRef,
    labels: Mapping[str, str] | None = None,
) -> discord.ui.View | None:
    """A persistent view (no timeout) with one button per action, in order; ``None`` if empty."""
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for name in dict.fromkeys(actions):
        label = (labels or {}).get(name)
        if label == "":
            continue  # a caller hides a button by giving it an empty label
        view.add_item(ActionButton(ButtonAction(name, owner_id, conversation), label=label))
    return view if view.children else None


# ---------------------------------------------------------------------- group practice
GROUP_TEMPLATE = r"ibg:(?P<kind>[a-z]+):(?P<a>[A-Za-z0-9_-]*):(?P<b>[A-Za-z0-9_-]*)"
GroupHandler = Callable[[discord.Interaction, str, str], Awaitable[None]]
GROUP_LABELS: Mapping[str, tuple[str, discord.ButtonStyle]] = {
    "note": ("Score with a note", discord.ButtonStyle.secondary),
    "notes": ("Interviewer notes", discord.ButtonStyle.primary),
    "compare": ("Bot vs observers", discord.ButtonStyle.secondary),
    "requeue": ("Queue again", discord.ButtonStyle.primary),
}


class GroupButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=GROUP_TEMPLATE):
    """Group-practice buttons (``ibg:<kind>:<a>:<b>``): an observer's score (``score``: a = the
    score, b = ``<session>-<question index>``), the note modal, the interviewer's notes, the
    comparison, the queue's "again". Everything the click needs is in the id, so buttons work
    after a restart; whoever clicks is checked by the handler the client registered for
    ``kind`` (``InterviewBot.group_actions``), never by who the button was shown to."""

    def __init__(self, kind: str, a: str = "", b: str = "", *, label: str | None = None) -> None:
        default_label, style = GROUP_LABELS.get(kind, (a, discord.ButtonStyle.secondary))
        self.kind, self.a, self.b = kind, a, b
        super().__init__(
            discord.ui.Button(
                label=clip_label(label or default_label, BUTTON_LABEL_LIMIT),
                style=style,
                custom_id=f"ibg:{kind}:{a}:{b}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any
    ) -> GroupButton:
        return cls(match["kind"], match["a"], match["b"])

    async def callback(self, interaction: discord.Interaction) -> None:
        handlers: Mapping[str, GroupHandler] = getattr(interaction.client, "group_actions", {})
        handler = handlers.get(self.kind)
        if handler is None:
            await interaction.response.send_message(
                "That button is not available right now. Try again in a minute.", ephemeral=True
            )
            return
        try:
            await handler(interaction, self.a, self.b)
        except Exception as exc:
            await _report(interaction, exc)


def score_view(session_id: str, question_index: int) -> discord.ui.View:
    """Five score buttons (the rubric's 1-5) and "Score with a note" for one answered question."""
    view = discord.ui.View(timeout=None)
    target = f"{session_id}-{question_index}"
    for score in range(1, 6):
        view.add_item(GroupButton("score", str(score), target, label=str(score)))
    view.add_item(GroupButton("note", "", target))
    return view


def group_view(*buttons: tuple[str, str, str]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for kind, a, b in buttons:
        view.add_item(GroupButton(kind, a, b))
    return view


class ScoreNoteModal(discord.ui.Modal):
    """A score (1-5) and a short note for one answer, from an observer or the interviewer."""

    def __init__(
        self,
        question_number: int,
        on_submit: Callable[[discord.Interaction, str, str], Awaitable[None]],
    ) -> None:
        super().__init__(title=f"Score answer {question_number}", timeout=900)
        self._submit = on_submit
        self.score: discord.ui.TextInput[Any] = discord.ui.TextInput(
            style=discord.TextStyle.short, max_length=3, required=True, placeholder="1-5"
        )
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, max_length=500, required=False
        )
        self.add_item(
            discord.ui.Label(text="Score (1-5, same rubric as the bot)", component=self.score)
        )
        self.add_item(discord.ui.Label(text="Note for the candidate", component=self.note))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, self.score.value or "", self.note.value or "")

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: Any = None
    ) -> None:
        await _report(interaction, error)


# ---------------------------------------------------------------------- modals
async def _report(interaction: discord.Interaction, error: Exception) -> None:
    """Errors in modals go to the cog's reporter (reference id, ephemeral message)."""
    report = getattr(getattr(interaction.client, "interview_actions", None), "report_error", None)
    if report is not None:
        await report(interaction, error)
    else:
        log.error("modal submit failed", exc_info=error)


Submit = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]


class JobDescriptionModal(discord.ui.Modal):
    """A 4,000-character paste box and, since discord.py 2.7, an optional file upload."""

    def __init__(self, on_submit: Submit, *, max_chars: int = 4000) -> None:
        super().__init__(title="Job description for your interview", timeout=900)
        self._submit = on_submit
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph,
            placeholder="Paste the job posting: title, responsibilities, requirements…",
            max_length=max_chars,
            required=False,
        )
        self.upload: discord.ui.FileUpload[Any] = discord.ui.FileUpload(
            required=False, max_values=1
        )
        self.add_item(discord.ui.Label(text="Job description", component=self.text))
        self.add_item(
            discord.ui.Label(
                text="…or upload it",
                description=".txt, .md, .pdf or .docx",
                component=self.upload,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        attachment = self.upload.values[0] if self.upload.values else None
        await self._submit(interaction, self.text.value or "", attachment)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: Any = None
    ) -> None:
        await _report(interaction, error)


class AnswerModal(discord.ui.Modal):
    def __init__(self, on_submit: Submit, *, max_chars: int = 4000) -> None:
        super().__init__(title="Your answer", timeout=1800)
        self._submit = on_submit
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, max_length=max_chars, required=True
        )
        self.add_item(discord.ui.Label(text="Answer", component=self.text))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._submit(interaction, self.text.value or "", None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: Any = None
    ) -> None:
        await _report(interaction, error)


class ConfirmView(discord.ui.View):
    """A short-lived Yes/No for destructive actions (``/interview forget``); owner only."""

    def __init__(self, owner_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[None]]):
        super().__init__(timeout=120)
        self.owner_id = owner_id
        self._on_confirm = on_confirm

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id

    @discord.ui.button(label="Delete my interviews", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await self._on_confirm(interaction)

    @discord.ui.button(label="Keep them", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was deleted.", view=None)
