"""Waivers that lapsed: tell the channel once, so an item that counts again is not a surprise.

The scheduler calls :func:`announce_lapsed_waivers` every 15 minutes; the store's notices
make each announcement happen once, across restarts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.config import AppConfig
from bot.store import Store, in_thread
from reports.mentions import mention

__all__ = ["LOOKBACK", "announce_lapsed_waivers"]

LOOKBACK = timedelta(days=7)  # a waiver that ended longer ago than this is old news


class Poster(Protocol):
    async def post(self, channel: str, text: str, *args: Any, **kwargs: Any) -> Any: ...


async def announce_lapsed_waivers(
    config: AppConfig, store: Store, notifier: Poster, channel: str, now: datetime
) -> int:
    """Post once for each waiver that ended in the last week; returns how many were posted."""
    posted = 0
    for target in config.targets:
        for item in await in_thread(store.items, target):
            expires = item.waiver_expires
            if not item.waiver_reason or expires is None or not (now - LOOKBACK < expires <= now):
                continue
            key = f"waiver:{target}:{item.check_id}:{expires.isoformat()}"
            if await in_thread(store.notices.sent, key):
                continue
            owner = f" {mention(item.owner)}" if item.owner else ""
            await notifier.post(
                channel,
                f":hourglass_flowing_sand: The waiver of `{item.check_id}` on {target} ended "
                f"{expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({item.waiver_reason}); it counts again.{owner}",
            )
            await in_thread(store.notices.record, key, now)
            posted += 1
    return posted
