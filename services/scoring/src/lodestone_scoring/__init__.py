"""Scoring: explainable lead scores, grades and thresholds."""
