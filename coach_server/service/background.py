"""Background tasks of the service (the rules watcher, the conversation recorder)."""
from __future__ import annotations

import asyncio


async def cancel_and_wait(task: asyncio.Future | None) -> None:
    """Stop a background task and wait until it has stopped (on the service's shutdown)."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
