"""The one exception intake raises, kept apart so the worker process can raise it too."""

from __future__ import annotations


class IntakeError(ValueError):
    """The job description cannot be used; ``str()`` is the message for the user."""
