"""Automation: workflows that react to prospects' events, exactly once."""
