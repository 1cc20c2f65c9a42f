"""interview-bot core: platform-agnostic; never imports a chat SDK or adapters."""
