"""Platform adapters: translate and transport only."""
