"""Lodestone benchmarks: each prints ratios measured in one run against this machine's limits."""
