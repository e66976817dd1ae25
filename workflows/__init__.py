"""Workflows that run: schedules and triggers found in requests, scheduled runs, run history."""
