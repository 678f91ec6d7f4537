"""The SDK patched to send into per-test captures: transport, installation, scopes, store."""
