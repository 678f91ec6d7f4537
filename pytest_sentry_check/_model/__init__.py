"""What Sentry receives: records, the item-type registry, the items of any target, validation."""
