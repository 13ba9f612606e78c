"""Workflow rules in plain Python (no I/O): definitions, triggers, step planning, templates."""
