"""The wait every loop uses between rounds: a sleep that a stop signal cuts short."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleeper = Callable[[float, asyncio.Event], Awaitable[None]]


async def interruptible_sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep for `seconds`, or less if `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        pass
