"""Discord cogs (slash commands -> core calls); populated by the Discord adapter work."""
