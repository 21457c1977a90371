"""Telling one person something privately, whatever Slack gave us to do it with.

A command or a message button carries a ``response_url`` (works even where the bot is not a
member); otherwise an ephemeral message in the channel; otherwise a direct message. A reply
that cannot be delivered at all is logged, never raised: the work it reports is done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.notifier import PostFailed, SlackNotifier

__all__ = ["Replier"]

log = logging.getLogger(__name__)


@dataclass
class Replier:
    notifier: SlackNotifier
    user: str
    channel: str | None = None
    response_url: str | None = None
    thread_ts: str | None = None

    async def __call__(self, text: str, blocks: Sequence[dict[str, Any]] | None = None, *, in_channel: bool = False) -> bool:
        """Deliver ``text``; True when some route worked."""
        if self.response_url:
            try:
                await self.notifier.respond(self.response_url, text, blocks, in_channel=in_channel)
                return True
            except PostFailed as exc:
                log.info("response_url failed (%s); falling back", exc.error)
        if self.channel and in_channel:
            try:
                await self.notifier.post(self.channel, text, blocks, thread_ts=self.thread_ts)
                return True
            except PostFailed as exc:
                log.info("channel post failed (%s); falling back", exc.error)
        if self.channel:
            try:
                await self.notifier.post_ephemeral(self.channel, self.user, text, blocks, thread_ts=self.thread_ts)
                return True
            except PostFailed as exc:
                log.info("ephemeral failed (%s); falling back to a direct message", exc.error)
        try:
            await self.notifier.post(self.user, text, blocks)
            return True
        except PostFailed as exc:
            log.warning("could not tell %s anything: %s", self.user, exc)
            return False
