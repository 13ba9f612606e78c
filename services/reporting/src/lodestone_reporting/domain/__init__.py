"""Reporting's domain: which counters each event moves and how reports read them (no I/O)."""
