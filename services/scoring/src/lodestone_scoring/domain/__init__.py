"""Scoring rules in plain Python (no I/O): models, rule matching, the ledger, grades."""
