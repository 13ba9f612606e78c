"""Lodestone's shared event contracts, topic names and thin plumbing.

Nothing here knows what a score or a workflow means: domain logic lives in the services.
"""
