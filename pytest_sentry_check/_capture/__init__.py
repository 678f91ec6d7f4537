"""The SDK patched to send into per-test captures: transport, installation, scopes, store."""

# First, before any module of this package: the run waiting for the SDK (see _sdk_import)
# patches it as soon as it is imported, with this package's modules.
import sentry_sdk  # noqa: F401
