"""Broken targets on loopback: servers that reset connections, hang, or speak garbage.

Used by the error tests of the API checks; each server lives only inside its ``async with``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["broken_server"]


@asynccontextmanager
async def broken_server(kind: str) -> AsyncIterator[str]:
    """``reset``: closes every connection after reading the request; ``garbage``: answers
    bytes that are not HTTP; ``hang``: never answers (pair with a short request_timeout)."""

    handlers: set[asyncio.Task] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            handlers.add(task)
        try:
            await reader.read(1024)
            if kind == "garbage":
                writer.write(b"\x00\x13garbage, not HTTP at all\r\n\r\n")
                await writer.drain()
            elif kind == "hang":
                await asyncio.sleep(30)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
