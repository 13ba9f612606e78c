"""Lodestone's console: people sign in here and work through the services' own APIs."""
