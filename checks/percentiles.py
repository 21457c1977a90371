"""Percentiles, one definition for the whole project: nearest rank.

The p95 of ``perf.latency_p95``, of a monitor's last probes and of the ingested request
window all come from here, so "p95" means the same number everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["nearest_rank", "p95"]


def nearest_rank(sorted_values: list[float], percentile: float) -> float:
    """The nearest-rank percentile: the value at rank ceil(p/100 * n)."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, math.ceil(percentile / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def p95(values: Iterable[float]) -> float | None:
    """The 95th percentile of ``values`` in any order; None without samples."""
    ordered = sorted(values)
    return nearest_rank(ordered, 95) if ordered else None
