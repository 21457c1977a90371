"""Fake credentials for the demo, made at run time so the repository never holds one.

Each looks like its provider's format (so the scanner's rules match) but is random and
belongs to no account. Prefixes are assembled from parts so that this file itself does not
match a rule.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from bot.demo.state import DemoState

__all__ = ["FakeKeys", "fake_keys", "random_chars"]

ALNUM = string.ascii_letters + string.digits


def random_chars(length: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class FakeKeys:
    openai: str
    anthropic: str
    stripe_secret: str
    stripe_publishable: str
    firebase_web: str


def fake_keys(state: DemoState) -> FakeKeys:
    """One set per demo run, shared by the demo's modules."""
    keys = state.extra.get("fake_keys")
    if keys is None:
        keys = FakeKeys(
            openai="sk-" + "proj-" + random_chars(64, ALNUM + "_-"),
            anthropic="sk-" + "ant-" + "api03-" + random_chars(93, ALNUM + "_-") + "AA",
            stripe_secret="sk_" + "live_" + random_chars(40),
            stripe_publishable="pk_" + "live_" + random_chars(40),
            firebase_web="AI" + "za" + random_chars(35, ALNUM + "_-"),
        )
        state.extra["fake_keys"] = keys
    return keys
