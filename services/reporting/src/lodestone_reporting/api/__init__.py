"""Reporting's HTTP surface: the reports, sales goals and the dashboard."""
