"""HTML the bot serves over its own HTTP server, rendered in the core (no web framework here)."""
