"""Posting today's digest once per channel per day: the day is claimed in the store's digest
ledger before the post, so the scheduler and a CLI ``--post`` cannot both send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import AppConfig
from bot.digest.build import build_digest, digest_day
from bot.digest.model import Digest
from bot.digest.render import render_text
from bot.store import Store, in_thread

__all__ = ["DigestPost", "post_digest"]


@dataclass(frozen=True)
class DigestPost:
    """What :func:`post_digest` did: ``sent``, ``already_sent``, ``failed`` or ``no_channel``."""

    outcome: str
    digest: Digest
    ts: str | None = None
    message: str = ""


BlocksBuilder = (
    Any  # Callable[[Digest], list[dict]]: the Slack blocks, from bot.slack.blocks.digest
)


async def post_digest(
    config: AppConfig,
    store: Store,
    notifier: Any,
    *,
    now: datetime | None = None,
    blocks: BlocksBuilder | None = None,
    twice_daily: bool = False,
) -> DigestPost:
    """Post today's digest to ``slack.channel`` unless it went out already today.

    The day is claimed in the store before the post, so two processes (the scheduler and a
    CLI ``--post``) cannot both send it; a post Slack refused releases the claim for a retry.
    ``twice_daily`` (hypercare): the afternoon's digest is a second one of the day.
    """
    now = now or datetime.now(UTC)
    ledger = store.digests
    channel = config.slack.channel
    if not channel:
        digest = await in_thread(build_digest, config, store, now=now)
        return DigestPost(
            "no_channel",
            digest,
            message="slack.channel is not set: there is nowhere to post the digest.",
        )
    day = digest_day(config, now)
    if twice_daily and _afternoon(config, now):  # hypercare: a second digest, its own ledger row
        day += " pm"
    claim = await in_thread(ledger.claim, channel, day, now)
    previous, since = await in_thread(ledger.previous, channel)
    digest = await in_thread(build_digest, config, store, now=now, previous=previous, since=since)
    if claim is None:
        sent = await in_thread(ledger.today, channel, day)
        where = f" (message {sent.ts})" if sent and sent.ts else ""
        return DigestPost(
            "already_sent",
            digest,
            sent.ts if sent else None,
            f"Today's digest ({day}) was already posted to {channel}{where}.",
        )
    try:
        ts = await notifier.post(
            channel, render_text(digest, slack=True), blocks(digest) if blocks else None
        )
    except Exception as exc:  # the notifier's sentence never holds the token
        await in_thread(ledger.failed, claim)
        return DigestPost("failed", digest, message=f"The digest was not posted: {exc}")
    first = digest.targets[0] if digest.targets else None
    await in_thread(
        ledger.sent,
        claim,
        ts=ts,
        snapshot=digest.snapshot(),
        score=first.score if first else None,
        verdict=first.verdict if first else None,
        now=now,
    )
    return DigestPost("sent", digest, ts, f"Posted the digest for {day} to {channel}.")


def _afternoon(config: AppConfig, now: datetime) -> bool:
    zone = ZoneInfo(config.slack.digest.timezone if config.slack.digest else "UTC")
    return now.astimezone(zone).hour >= 12
