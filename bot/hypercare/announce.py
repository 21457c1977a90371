"""Post the window's start and end in the channel, each once (the store's notices)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.hypercare.window import Hypercare
from bot.store import Store, in_thread
from reports.mentions import mention

__all__ = ["announce_hypercare"]


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def announce_hypercare(
    hypercare: Hypercare, store: Store, notifier: Any, channel: str | None, now: datetime
) -> str | None:
    """Post "hypercare started" once the window opens and "ended" once it closes (only after
    a start was posted, so a service started weeks later stays quiet); returns what it posted."""
    if notifier is None or not channel:
        return None
    key = f"hypercare:{hypercare.start.date().isoformat()}"
    started, ended = f"{key}:start", f"{key}:end"
    if hypercare.active(now) and not await in_thread(store.notices.sent, started):
        text = (
            f":rotating_light: *Hypercare started* ({_at(hypercare.start)} until {_at(hypercare.end)}): "
            f"{hypercare.describe(mention)}."
        )
        await notifier.post(channel, text)
        await in_thread(store.notices.record, started, now)
        return text
    if (
        now >= hypercare.end
        and await in_thread(store.notices.sent, started)
        and not await in_thread(store.notices.sent, ended)
    ):
        text = (
            f":white_check_mark: *Hypercare ended* ({_at(hypercare.end)}): monitors are back to their own "
            "intervals and thresholds, and the digest to its own schedule."
        )
        await notifier.post(channel, text)
        await in_thread(store.notices.record, ended, now)
        return text
    return None
