"""The one exception group-practice code raises for things the user did or asked wrong."""

from __future__ import annotations


class CommunityError(ValueError):
    """A refusal meant for the person who asked: ``str()`` is the whole message, written to be
    shown as it is (ephemeral in Discord, a DM or ephemeral in Slack). Nothing was changed."""
