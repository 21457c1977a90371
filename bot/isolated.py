"""Run a coroutine on an event loop of its own, in a thread of its own.

A run's checks do real work on their event loop (parsing answers, saving each result to
SQLite as it lands, starting dozens of probes at once). On the service's loop that work
would delay Slack's acknowledgements; on a loop in another thread it can only take the GIL
for a few milliseconds at a time. Cancelling the awaiting task cancels the coroutine in its
thread, so shutting the service down interrupts a run instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["run_isolated"]

T = TypeVar("T")


async def run_isolated(make: Callable[[], Awaitable[T]], *, name: str = "isolated") -> T:
    """Await ``make()`` on a fresh event loop in a new thread and return its result."""
    outcome: concurrent.futures.Future[T] = concurrent.futures.Future()
    started: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Task[T]]] = concurrent.futures.Future()

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        started.set_result((asyncio.get_running_loop(), task))  # type: ignore[arg-type]
        return await make()

    def work() -> None:
        try:
            result = asyncio.run(main())
        except BaseException as exc:  # handed to the awaiting side, cancellation included
            with contextlib.suppress(concurrent.futures.InvalidStateError):  # nobody waits any more
                outcome.set_exception(exc)
        else:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                outcome.set_result(result)

    threading.Thread(target=work, name=name, daemon=True).start()
    try:
        return await asyncio.wrap_future(outcome)
    except asyncio.CancelledError:
        if started.done():
            loop, task = started.result()
            loop.call_soon_threadsafe(task.cancel)
        raise
