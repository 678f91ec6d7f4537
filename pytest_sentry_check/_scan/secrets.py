"""``sentry_secrets``: the canary values of the running test, masked in every output while open."""

from __future__ import annotations

from pytest_sentry_check._masking import forget_secrets, register_secret
from pytest_sentry_check._rules.canaries import CANARY_KINDS, MIN_LENGTH

__all__ = ["SecretRegistry", "active_secrets"]

_active: list[SecretRegistry] = []


def active_secrets() -> tuple[str, ...]:
    """The values of every registry currently open (the running test's ``sentry_secrets``)."""
    if not _active:
        return ()
    return tuple(value for registry in _active for value in registry.values)


class SecretRegistry:
    """Values a test must never see leave: the ``sentry_secrets`` fixture.

    Registered values are masked in every output of the plugin while registered.
    """

    def __init__(self) -> None:
        self._values: list[str] = []

    def open(self) -> SecretRegistry:
        """Make this registry's values part of every ``assert_scrubbed`` until :meth:`close`."""
        _active.append(self)
        return self

    def close(self) -> None:
        if self in _active:
            _active.remove(self)
        self.clear()

    def make(self, kind: str) -> str:
        """A new unique value of ``kind`` (password, token, api_key, email, card, iban, jwt,
        bearer, aws_key, ssn), registered."""
        __tracebackhide__ = True
        try:
            factory = CANARY_KINDS[kind]
        except KeyError:
            raise ValueError(
                f"unknown secret kind {kind!r}; choose one of: {', '.join(CANARY_KINDS)}"
            ) from None
        return self.add(factory())

    def add(self, value: str) -> str:
        """Register a value the test already has; returns it."""
        __tracebackhide__ = True
        if not isinstance(value, str) or len(value) < MIN_LENGTH:
            raise ValueError(f"a secret must be a string of at least {MIN_LENGTH} characters")
        if value not in self._values:
            self._values.append(value)
            register_secret(value)
        return value

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self._values)

    def clear(self) -> None:
        """Unregister everything (the fixture does this when the test ends)."""
        forget_secrets(self._values)
        self._values.clear()
