"""lifespan(app): an ASGI app's startup and shutdown around async code."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette

from pytest_sentry_check import lifespan


def _app(calls: list[str], *, fail: bool = False) -> Starlette:
    @asynccontextmanager
    async def app_lifespan(app: Starlette) -> AsyncIterator[None]:
        calls.append("startup")
        if fail:
            raise ValueError("no DSN configured")
        yield
        calls.append("shutdown")

    return Starlette(lifespan=app_lifespan)


class TestLifespan:
    def test_runs_startup_on_entry_and_shutdown_on_exit(self) -> None:
        calls: list[str] = []

        async def main() -> None:
            async with lifespan(_app(calls)):
                calls.append("test")

        asyncio.run(main())
        assert calls == ["startup", "test", "shutdown"]

    def test_a_failed_startup_is_an_error_with_the_apps_message(self) -> None:
        async def main() -> None:
            async with lifespan(_app([], fail=True)):
                pass

        with pytest.raises(BaseException, match="no DSN configured"):
            asyncio.run(main())

    def test_an_app_without_lifespan_support_fails_instead_of_hanging(self) -> None:
        async def http_only(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "http", "lifespan not supported"

        async def main() -> None:
            async with lifespan(http_only):
                pass

        with pytest.raises(
            RuntimeError, match="the app's lifespan startup failed: AssertionError: lifespan not"
        ):
            asyncio.run(main())
