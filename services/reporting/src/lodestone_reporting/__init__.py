"""Reporting: read models built from every topic, the reporting APIs and the dashboard."""
