"""What the SDK did instead of sending: the things it dropped, the exceptions it swallowed.

Made only when that happens (most tests never see either), so this module is imported then.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

__all__ = ["Dropped", "SdkError"]


@dataclass(frozen=True)
class Dropped:
    """One thing the SDK decided not to send, as a client report would count it.

    ``reason`` is the SDK's discard reason (``before_send``, ``sample_rate``,
    ``event_processor``, ``callback_error``, ...); ``category`` its data category
    (``error``, ``transaction``, ``span``, ``log_item``, ...). ``reported`` is false for
    drops the SDK makes without a client report (``ignore_errors``), which the plugin
    observes itself.
    """

    reason: str
    category: str
    quantity: int = 1
    reported: bool = True


@dataclass(frozen=True)
class SdkError:
    """An exception the SDK swallowed: raised by an application callback, or by serialization.

    ``source`` names the option whose callback raised (``before_send``, ``traces_sampler``, ...)
    or ``serialization`` when an envelope could not be turned into bytes; ``consequence``
    says what the SDK did about it; ``location`` is where in the payload serialization failed.
    """

    source: str
    exception: BaseException
    consequence: str
    callback: str = ""
    location: str = ""
    traceback_lines: tuple[str, ...] = ()

    @classmethod
    def from_exception(
        cls,
        source: str,
        exception: BaseException,
        consequence: str,
        *,
        skip_frames: int = 0,
        **details: str,
    ) -> SdkError:
        """Snapshot ``exception`` with its traceback as it is now, less its first frames."""
        tb = exception.__traceback__
        for _ in range(skip_frames):
            tb = tb.tb_next if tb is not None else None
        lines = traceback.format_exception(type(exception), exception, tb, chain=False)
        return cls(
            source,
            exception,
            consequence,
            traceback_lines=tuple("".join(lines).splitlines()),
            **details,
        )

    @property
    def exception_type(self) -> str:
        """Qualified name of the exception class."""
        exc_type = type(self.exception)
        module = exc_type.__module__
        return exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}"
