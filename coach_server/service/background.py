"""Background tasks of the service (the rules watcher, the conversation recorder): started with the
service, stopped — and waited for — when it stops."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Stop a background task and wait until it has stopped (on the service's shutdown)."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


def in_background(run: Callable[[], Coroutine[Any, Any, None]]) -> CleanupContext:
    """An aiohttp cleanup context that runs `run()` as a task for as long as the service runs."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(run())
        yield
        await cancel_and_wait(task)
    return context
