"""The CI gate: findings per test, allow entries and baselines, fixes, renderers and reports."""
