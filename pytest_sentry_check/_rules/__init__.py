"""What a secret looks like: pattern rules, sensitive field names, canary forms.

Nothing here imports from the package."""
