"""Contact rules in plain Python (no I/O): records, interactions, identity resolution."""
