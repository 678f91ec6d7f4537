"""Run an ASGI app's lifespan (its startup and shutdown) around async tests.

``httpx.AsyncClient(transport=ASGITransport(app))`` never sends the lifespan events, so an app
that calls ``sentry_sdk.init`` in its lifespan is never initialised under it. This module drives
the ASGI lifespan protocol itself, for any ASGI app (FastAPI, Starlette, Litestar, ...). It
imports no framework, and anyio (a dependency of httpx and Starlette) only when used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


@asynccontextmanager
async def lifespan(app: AsgiApp) -> AsyncIterator[None]:
    """Run ``app``'s lifespan startup on entry and its shutdown on exit.

    Usage::

        async with lifespan(app), httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
            await client.get("/")

    Raises:
        RuntimeError: the app reported ``lifespan.startup.failed`` or ``shutdown.failed``.
    """
    import anyio

    to_app, app_inbox = anyio.create_memory_object_stream[Message](2)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](2)

    async def run_app() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        try:
            await app(scope, app_inbox.receive, app_outbox.send)
        except Exception as exc:  # an app without lifespan support raises: say so, never hang
            app_outbox.send_nowait({"type": "lifespan.failed", "message": f"{type(exc).__name__}: {exc}"})

    async def expect(phase: str) -> None:
        reply = await from_app.receive()
        if reply["type"] != f"lifespan.{phase}.complete":
            raise RuntimeError(f"the app's lifespan {phase} failed: {reply.get('message', reply['type'])}")

    running = _asyncio_task(run_app)
    if running is None:  # trio: a task group, entered and left in this task
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_app)
            async with _phases(to_app, expect):
                yield
        return
    # asyncio: a plain task, so a fixture may start the lifespan in one task and end it in
    # another (pytest-asyncio runs an async fixture's setup and teardown in different tasks)
    try:
        async with _phases(to_app, expect):
            yield
    finally:
        await running


@asynccontextmanager
async def _phases(to_app: Any, expect: Callable[[str], Awaitable[None]]) -> AsyncIterator[None]:
    await to_app.send({"type": "lifespan.startup"})
    await expect("startup")
    try:
        yield
    finally:
        await to_app.send({"type": "lifespan.shutdown"})
        await expect("shutdown")


def _asyncio_task(run: Callable[[], Awaitable[None]]) -> Any:
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.create_task(run())  # type: ignore[arg-type]
