"""The one hand-off from async code to the store.

Store calls are synchronous SQLite (or a database driver); awaited directly they would stall
the event loop that acknowledges Slack, answers ingest and times probes whenever the database
is busy. Every coroutine that touches the store goes through :func:`in_thread`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["in_thread"]

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``call(*args, **kwargs)`` in a worker thread and await its answer."""
    bound: Callable[[], T] = functools.partial(call, *args, **kwargs)
    return await asyncio.to_thread(bound)
