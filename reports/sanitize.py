"""Keep secrets out of documents: known secrets and token-shaped strings are redacted, long
evidence is cut short.

The runner already scrubs the target's secrets from findings, but a handover is read by more
people than a run report and is committed to repositories, so it scrubs again: every value it
prints, and the whole rendered document once more at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from checks.redact import redact, scrub

__all__ = ["Sanitizer"]

# Shapes of well-known credentials. A secret the configuration does not know about (one a
# check found in a log or a bundle and reported carelessly) is still caught by its shape.
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]{0,8000}?-----END [A-Z ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)",
            r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}",
            r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}",
            r"\bwhsec_[A-Za-z0-9+/=]{16,}",
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
            r"\bgh[pousr]_[A-Za-z0-9]{30,}",
            r"\bgithub_pat_[A-Za-z0-9_]{30,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bAIza[0-9A-Za-z_\-]{35}\b",
            r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
        )
    )
)


class Sanitizer:
    """Redacts the given secrets and token-shaped strings; truncates to ``limit`` characters."""

    def __init__(self, secrets: Iterable[str] = (), *, limit: int = 160) -> None:
        self.secrets = tuple(
            sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        )
        self.limit = limit

    def clean(self, text: object) -> str:
        """A value as text, with every secret redacted. No truncation."""
        if text is None:
            return ""
        text = text if isinstance(text, str) else _as_text(text)
        text = scrub(text, self.secrets)
        return _TOKEN_SHAPES.sub(lambda m: redact(m.group(0)), text)

    def short(self, text: object, limit: int | None = None) -> str:
        """:meth:`clean`, then cut to ``limit`` characters (after redaction, so no cut can
        leave a long piece of a secret behind)."""
        text = self.clean(text)
        limit = limit or self.limit
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def evidence(self, evidence: dict[str, Any], *, keys: int = 4, limit: int = 80) -> str:
        """A few evidence entries on one line: ``status=500; server=nginx``."""
        parts = []
        for key, value in list(evidence.items())[:keys]:
            parts.append(f"{key}={self.short(value, limit)}")
        if len(evidence) > keys:
            parts.append(f"(+{len(evidence) - keys} more)")
        return "; ".join(parts)


def _as_text(value: object) -> str:
    if isinstance(value, dict | list | tuple):
        try:
            return json.dumps(value, sort_keys=False, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            return str(value)
    return str(value)
