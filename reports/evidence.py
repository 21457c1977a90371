"""Evidence as people read it: ``key: value`` pairs, never JSON cut mid-string.

A nested mapping becomes dotted keys (``headers.server: nginx``), a list becomes a comma list,
and a long value is shortened at a word boundary with an ellipsis, so a line never ends
halfway through a word without saying so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["evidence_line", "evidence_lines", "evidence_pairs", "shorten"]

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word boundary when there
    is one in the last third (a long token is cut where it must be), ending in an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    room = max(1, limit - len(ELLIPSIS))
    cut = text[:room]
    space = cut.rfind(" ")
    if space >= room * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ELLIPSIS


def _flatten(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        if not value:
            yield key, "(empty)"
        for sub, inner in value.items():
            yield from _flatten(f"{key}.{sub}", inner)
    elif isinstance(value, list | tuple | set):
        items = [
            str(v) if not isinstance(v, Mapping) else ", ".join(f"{k}={w}" for k, w in v.items())
            for v in value
        ]
        yield key, ", ".join(items) if items else "(none)"
    elif value is None:
        yield key, "(none)"
    else:
        yield key, str(value)


def evidence_pairs(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every evidence entry as (dotted key, text), in the order the check wrote them."""
    pairs: list[tuple[str, str]] = []
    for key, value in evidence.items():
        pairs.extend(_flatten(str(key), value))
    return pairs


def evidence_lines(
    evidence: Mapping[str, Any], *, value_limit: int = 160, max_lines: int = 12
) -> list[str]:
    """``key: value`` lines, each value shortened at a word boundary; past ``max_lines`` one
    line says how many more there are."""
    pairs = evidence_pairs(evidence)
    lines = [f"{key}: {shorten(text, value_limit)}" for key, text in pairs[:max_lines]]
    if len(pairs) > max_lines:
        lines.append(f"({len(pairs) - max_lines} more entries)")
    return lines


def evidence_line(evidence: Mapping[str, Any], *, value_limit: int = 160, limit: int = 600) -> str:
    """The same pairs on one line, ``key: value; ...`` (for a Markdown list or a table cell)."""
    line = "; ".join(
        f"{key}: {shorten(text, value_limit)}" for key, text in evidence_pairs(evidence)
    )
    return shorten(line, limit)
