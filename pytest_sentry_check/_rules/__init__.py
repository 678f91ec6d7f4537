"""What a secret looks like: pattern rules, sensitive field names, canary forms (no imports from the package)."""
