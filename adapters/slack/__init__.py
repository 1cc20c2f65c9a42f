"""Slack adapter: slack-bolt ``AsyncApp`` over Socket Mode or HTTP, Block Kit rendering.

Translate and transport only: the interview itself is ``bot.engine``; nothing here decides what
to ask or how to grade.
"""
