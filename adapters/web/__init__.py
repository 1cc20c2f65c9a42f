"""The bot's own HTTP server (``server.py``: health, metrics, Slack's HTTP mode) and the pages
it serves (``share_routes.py``: read-only session pages for share links)."""
