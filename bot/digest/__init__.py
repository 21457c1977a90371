"""The daily digest: what changed, what is late, what is about to lapse.

:mod:`bot.digest.model` is the neutral data, :mod:`bot.digest.build` reads the store into it,
:mod:`bot.digest.render` turns it into text (the CLI prints it; Slack uses it as the fallback
beside the blocks of :mod:`bot.slack.blocks.digest`), and :mod:`bot.digest.post` posts it
once per channel per day through the store's digest ledger.
"""

from __future__ import annotations

from bot.digest.build import build_digest, digest_day
from bot.digest.model import Digest, DigestItem, TargetDigest
from bot.digest.post import DigestPost, post_digest
from bot.digest.render import render_text

__all__ = [
    "Digest",
    "DigestItem",
    "DigestPost",
    "TargetDigest",
    "build_digest",
    "digest_day",
    "post_digest",
    "render_text",
]
