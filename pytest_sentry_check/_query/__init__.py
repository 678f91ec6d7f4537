"""Queries over what a test captured: sentry_events, collections, criteria, capture()."""
