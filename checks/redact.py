"""Redaction: evidence never holds a whole secret or token.

A secret shows at most its first 4 and last 2 characters and a short sha256 fingerprint, so
two findings of the same secret can be matched without either revealing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

__all__ = ["fingerprint", "redact", "scrub", "scrub_value"]


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", errors="replace")).hexdigest()[:12]


def redact(secret: str) -> str:
    """``sk-p…Zx (sha256:1a2b3c4d5e6f)``; short secrets keep no characters at all."""
    shown = f"{secret[:4]}…{secret[-2:]}" if len(secret) >= 12 else "…"
    return f"{shown} (sha256:{fingerprint(secret)})"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each known secret in ``text`` by its redaction."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, redact(secret))
    return text


def scrub_value(value: Any, secrets: Iterable[str]) -> Any:
    """:func:`scrub` through dicts, lists and strings (evidence structures)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v, secrets) for v in value]
    return value
